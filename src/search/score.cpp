#include "nasctl/search/score.h"

#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include <filesystem>

#include "nasctl/core/error.h"
#include "nasctl/latency/hardware_profile.h"
#include "nasctl/nn/tensor_archive.h"
#include "nasctl/search/arch_latency.h"
#include "nasctl/search/search.h"
#include "nasctl/search/supernet.h"
#include "search/search_data.h"

namespace nasctl::search {

std::vector<ArchScore> score_architectures(const std::string& run_dir, const std::vector<NamedArch>& archs,
                                           const ScoreOptions& options) {
  if (options.batches < 0) throw Error("score: --batches must be >= 0 (0 = the whole validation split), but got " +
                                       std::to_string(options.batches));
  if (options.batch_size < 0) throw Error("score: --batch-size must be >= 0 (0 = the search's), but got " +
                                          std::to_string(options.batch_size));
  SearchOptions o = load_run_options(run_dir);
  const std::string ckpt = search_checkpoint_path(run_dir);
  if (!std::filesystem::exists(ckpt)) throw Error(run_dir + " holds no search checkpoint (" + ckpt + ")");
  SearchData d = open_search_data(o);

  // Every architecture must be one of the run's space: encode names the block and value if not.
  std::vector<std::vector<int>> indices;
  for (const NamedArch& a : archs) {
    try {
      indices.push_back(d.space->encode(a.arch));
    } catch (const Error& e) {
      throw Error(a.name + ": not in the search's space: " + e.what());
    }
  }

  Supernet supernet(*d.space, o.seed);
  nn::TensorArchive archive = nn::load_archive(ckpt);
  nn::load_module_state(archive, *supernet, ckpt, "supernet.");
  ArchLatency latency(*d.space, latency::load_hardware_profile(o.hardware));

  const int batch = options.batch_size > 0 ? options.batch_size : validation_batch_size(o);
  data::LoaderOptions lopts = search_loader_options(o, d, batch, /*train=*/false, o.seed + 1);
  lopts.workers = options.workers;
  lopts.shuffle = false;  // the same batches, in dataset order, for every architecture
  data::Loader loader(d.val, lopts);
  int64_t batches = loader.batches_per_epoch();
  if (batches == 0) {
    throw Error(run_dir + ": the validation split has " + std::to_string(d.val->size()) +
                " images, fewer than one batch of " + std::to_string(batch));
  }
  if (options.batches > 0) batches = std::min(batches, options.batches);

  std::vector<int64_t> correct(archs.size(), 0);
  int64_t images = 0;
  c10::InferenceMode guard;
  loader.start_epoch(0);
  data::Batch b;
  for (int64_t i = 0; i < batches && loader.next(b); ++i) {
    images += b.labels.size(0);
    for (size_t a = 0; a < archs.size(); ++a) {
      torch::Tensor logits = supernet->forward(b.images, d.space->decode(indices[a]));
      correct[a] += logits.argmax(1).eq(b.labels).sum().item<int64_t>();
    }
  }
  std::vector<ArchScore> scores;
  for (size_t a = 0; a < archs.size(); ++a) {
    ArchScore s;
    s.name = archs[a].name;
    s.indices = indices[a];
    s.images = images;
    s.accuracy = images > 0 ? static_cast<double>(correct[a]) / static_cast<double>(images) : 0.0;
    s.latency_ms = latency.latency_ms(indices[a]);
    scores.push_back(std::move(s));
  }
  return scores;
}

}  // namespace nasctl::search
