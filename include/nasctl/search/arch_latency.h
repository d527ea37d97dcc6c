#pragma once
/// The latency side of a search: predicted Edge TPU latency of sampled architectures, computed
/// in-process with latency::EdgeTpuModel (cached per architecture), the choices an Edge TPU-only
/// search masks out, and the range of latencies a space can reach. No LibTorch here.

#include <string>
#include <unordered_map>
#include <vector>

#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/space/search_space.h"

namespace nasctl::search {

/// Predicted latency of the architectures of one space on one hardware profile.
class ArchLatency {
 public:
  ArchLatency(space::SearchSpace space, latency::HardwareProfile profile);

  /// Latency in ms of the architecture `indices` (inactive decisions do not matter).
  double latency_ms(const std::vector<int>& indices);
  /// True when the Edge TPU compiler maps every op of the architecture.
  bool on_edgetpu(const std::vector<int>& indices);
  /// Unsupported ops of the architecture's graph (for messages).
  std::vector<latency::UnsupportedOp> unsupported(const std::vector<int>& indices) const;

  const space::SearchSpace& space() const { return space_; }
  const latency::EdgeTpuModel& model() const { return model_; }
  /// Architectures evaluated so far (cache misses).
  int64_t evaluations() const { return evaluations_; }

 private:
  struct Entry {
    double ms = 0;
    bool on_edgetpu = true;
  };
  const Entry& evaluate(const std::vector<int>& indices);

  space::SearchSpace space_;
  latency::EdgeTpuModel model_;
  std::unordered_map<std::string, Entry> cache_;
  int64_t evaluations_ = 0;
};

/// Per decision, per choice: whether the controller may pick it.
using ChoiceMask = std::vector<std::vector<bool>>;

/// A choice an Edge TPU-only search forbids, and why.
struct MaskedChoice {
  int decision = -1;
  int choice = -1;
  std::string reason;  ///< "stage1/activation = hard_swish: b2_expand_bn: hard_swish (TFLite HARD_SWISH) is ..."
};

/// The choices to forbid so that every op maps onto the Edge TPU. It first finds an architecture
/// with as few unmapped ops as possible (coordinate descent), then forbids each choice that adds
/// unmapped ops to it. Unmapped ops no choice can avoid (a hard_swish stem) are reported in
/// `unavoidable` and do not mask anything.
std::vector<MaskedChoice> edgetpu_masks(ArchLatency& latency, std::vector<std::string>* unavoidable = nullptr);

/// The fastest and slowest architectures among the allowed choices.
struct LatencyRange {
  double min_ms = 0;
  std::vector<int> fastest;
  double max_ms = 0;
  std::vector<int> slowest;
  bool exact = false;  ///< true when every architecture was evaluated (small spaces)
};

/// Exhaustive for spaces of at most `exhaustive_limit` index vectors; otherwise coordinate descent
/// from the per-decision cheapest (dearest) choices until no single change improves, which is
/// exact when the latency is monotone in each decision, as the Edge TPU model is.
LatencyRange latency_range(ArchLatency& latency, const ChoiceMask& allowed, int64_t exhaustive_limit = 20000);

}  // namespace nasctl::search
