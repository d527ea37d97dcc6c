#pragma once
// The data and space of a search, as the search loop and the scorer of its shared weights both
// set them up: the space sized for the data, the training data split into a part that trains the
// shared weights and a held-out part that gives Q.

#include <memory>

#include "nasctl/data/dataset.h"
#include "nasctl/data/loader.h"
#include "nasctl/search/options.h"
#include "nasctl/space/search_space.h"

namespace nasctl::search {

struct SearchData {
  std::unique_ptr<space::SearchSpace> space;  ///< input size and classes set for the data
  std::shared_ptr<data::Dataset> base;        ///< the whole training split
  std::shared_ptr<data::Dataset> train;       ///< trains the shared weights
  std::shared_ptr<data::Dataset> val;         ///< held out for Q (never the test split)
  int input_size = 0;                         ///< image size in force
};

/// Loads the space and data of `options` and splits the training data (seeded by options.seed).
SearchData open_search_data(const SearchOptions& options);

/// The validation batch in force: val_batch_size, or batch_size when that is 0.
int validation_batch_size(const SearchOptions& options);

/// Loader options of a search: `train` adds the training augmentation (when supernet.augment),
/// batches are always full (equal on every rank and step).
data::LoaderOptions search_loader_options(const SearchOptions& options, const SearchData& data, int batch_size,
                                          bool train, uint64_t seed, int rank = 0, int world_size = 1);

}  // namespace nasctl::search
