#pragma once
/// The latency side of a search: predicted Edge TPU latency of sampled architectures, computed
/// in-process with latency::EdgeTpuModel, the choices an Edge TPU-only search masks out, and the
/// range of latencies a space can reach. No LibTorch here.
///
/// Two caches make a prediction cost a few microseconds: per architecture (the search revisits
/// them), and per part (stem, block, head) keyed by the part's spec and input shape: a part's
/// per-op cost terms (latency::OpTerms) are computed once from its own small graph and the network
/// is priced by EdgeTpuModel::combine() over the concatenated terms: the same arithmetic, in the
/// same order, as predicting the lowered graph, so the results are identical (tested).

#include <functional>
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
  /// Latency with its prediction interval (the profile's calibration.interval).
  latency::LatencyPrediction latency_interval(const std::vector<int>& indices);
  /// Latency by lowering the whole architecture to a Graph, bypassing both caches (the reference
  /// the cached path must reproduce; for tests and benchmarks).
  double latency_ms_uncached(const std::vector<int>& indices) const;
  /// True when the Edge TPU compiler maps every op of the architecture.
  bool on_edgetpu(const std::vector<int>& indices);
  /// Unsupported ops of the architecture's graph (for messages).
  std::vector<latency::UnsupportedOp> unsupported(const std::vector<int>& indices) const;

  const space::SearchSpace& space() const { return space_; }
  const latency::EdgeTpuModel& model() const { return model_; }
  /// Architectures evaluated so far (cache misses).
  int64_t evaluations() const { return evaluations_; }
  /// Parts (stem, blocks, head) whose terms were computed so far (part cache misses).
  int64_t part_evaluations() const { return part_evaluations_; }
  /// Forgets every cached architecture and part (benchmarks: time the cold path).
  void clear_caches();

 private:
  struct Entry {
    latency::LatencyPrediction prediction;
    bool on_edgetpu = true;
  };
  /// A part's cost terms and output shape; `supported` false when an op of it cannot be mapped (the
  /// network then takes the uncached path: the compiler's cut is a whole-network matter).
  struct Part {
    std::vector<latency::OpTerms> ops;
    graph::Shape output;
    bool supported = true;
  };
  const Entry& evaluate(const std::vector<int>& indices);
  const Part& cached_part(const std::string& key, const std::function<graph::Graph()>& lower);
  bool predict_from_parts(const space::ArchSpec& arch, latency::LatencyPrediction* out);

  space::SearchSpace space_;
  latency::EdgeTpuModel model_;
  std::unordered_map<std::string, Entry> cache_;
  std::unordered_map<std::string, Part> parts_;
  std::vector<latency::OpTerms> ops_;  // the network's terms, reused across calls
  std::string key_;                    // part key buffer, reused across calls
  int64_t evaluations_ = 0;
  int64_t part_evaluations_ = 0;
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
