#pragma once
/// Scoring architectures with a search's shared weights: how good a proxy the supernet is.
///
/// A finished (or checkpointed) search holds shared weights for every architecture of its space.
/// `score_architectures` runs given architectures through them on the run's own validation split
/// (the held-out part of the training data the search measured Q on), exactly as the search
/// measures Q: the supernet's BatchNorm normalises with each batch's statistics, batches have the
/// search's validation batch size and no augmentation. Comparing these scores with stand-alone
/// retrained accuracy (rank correlation) tells whether the search's ranking can be trusted.

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/space/arch_spec.h"

namespace nasctl::search {

/// An architecture to score and the name it is reported under (e.g. its file).
struct NamedArch {
  std::string name;
  space::ArchSpec arch;
};

/// What `score_architectures` measured for one architecture.
struct ArchScore {
  std::string name;
  std::vector<int> indices;  ///< its choices in the run's space
  double accuracy = 0;       ///< top-1 on the scored validation images, as a fraction
  int64_t images = 0;        ///< validation images scored
  double latency_ms = 0;     ///< predicted on the run's hardware profile
};

struct ScoreOptions {
  /// Validation batches per architecture; default 0 = every full batch of the validation split.
  int64_t batches = 0;
  /// Batch size; default 0 = the search's validation batch size (BatchNorm sees batches as in Q).
  int batch_size = 0;
  /// Data decoding threads; default 1.
  int workers = 1;
};

/// Scores `archs` with the shared weights of the search in `run_dir` (its config.json and
/// checkpoints/last.ckpt). Every architecture sees the same batches. Throws Error naming the run
/// folder when it holds no search, and naming the architecture, block and value when an
/// architecture is not in the run's space.
std::vector<ArchScore> score_architectures(const std::string& run_dir, const std::vector<NamedArch>& archs,
                                           const ScoreOptions& options = {});

}  // namespace nasctl::search
