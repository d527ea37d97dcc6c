#include "search/search_data.h"

namespace nasctl::search {

SearchData open_search_data(const SearchOptions& o) {
  SearchData d;
  d.space = std::make_unique<space::SearchSpace>(space::SearchSpace::load(o.space));
  d.base = data::open_dataset(o.data, data::Split::kTrain);
  auto split = data::split_train_val(d.base, o.val_fraction, o.seed);
  d.train = split.first;
  d.val = split.second;
  graph::Shape input = d.space->input();
  d.input_size = o.input_size > 0 ? o.input_size : input.h;
  d.space->set_input({d.input_size, d.input_size, input.c}, d.base->classes());
  return d;
}

int validation_batch_size(const SearchOptions& o) { return o.val_batch_size > 0 ? o.val_batch_size : o.batch_size; }

data::LoaderOptions search_loader_options(const SearchOptions& o, const SearchData& d, int batch_size, bool train,
                                          uint64_t seed, int rank, int world_size) {
  data::LoaderOptions l;
  l.batch_size = batch_size;
  l.workers = o.workers;
  l.seed = seed;
  l.drop_last = true;  // equal batches on every rank and step
  l.rank = rank;
  l.world_size = world_size;
  l.transform = data::default_transform(*d.base, d.input_size, train && o.supernet.augment);
  l.transform.channels = d.space->input().c;
  return l;
}

}  // namespace nasctl::search
