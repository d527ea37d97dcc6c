#pragma once
/// Loss and accuracy: label-smoothed cross-entropy, top-k counting, evaluation over a loader.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "nasctl/data/loader.h"
#include "nasctl/nn/graph_net.h"

namespace nasctl::train {

class Distributed;

/// Cross-entropy of [N, C] logits against [N] labels with label smoothing (the target puts
/// 1 - s + s / C on the label and s / C elsewhere), averaged over the batch.
torch::Tensor smoothed_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels, double smoothing);

/// Number of rows whose label is among the top `k` logits.
int64_t count_top_k(const torch::Tensor& logits, const torch::Tensor& labels, int k);

/// Results of an evaluation.
struct EvalResult {
  int64_t samples = 0;
  double loss = 0;   ///< mean cross-entropy (no smoothing)
  double top1 = 0;   ///< fraction in [0, 1]
  double top5 = 0;   ///< fraction in [0, 1] (top-min(5, classes))
  std::vector<int64_t> class_total;    ///< samples per true class
  std::vector<int64_t> class_correct;  ///< top-1 hits per true class
  std::vector<std::vector<int64_t>> confusion;  ///< [true][predicted] counts
};

/// Evaluates `net` (switched to eval mode, then back) on one epoch of `loader` on `device`. With an
/// active `dist`, each rank evaluates its shard and the counts are summed over ranks.
EvalResult evaluate(nn::GraphNet& net, data::Loader& loader, const torch::Device& device, int classes,
                    Distributed* dist = nullptr);

}  // namespace nasctl::train
