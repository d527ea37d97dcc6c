#pragma once
/// EdgeTpuModel: an analytical roofline model of a Coral Edge TPU running a full-integer 8-bit
/// compiled network, evaluated per op of a Graph (docs/latency-model.md has the derivation).
///
///   latency::EdgeTpuModel model(latency::load_hardware_profile("coral-usb3"));
///   double ms = model.predict_ms(graph);              // fast path for the search
///   latency::LatencyReport r = model.predict(graph);  // per-op breakdown
///
/// As the compiler does: batch norm folds into the conv / fully-connected op before it, ReLU and
/// ReLU6 fuse into their producer, reshape is free. Per op on the Edge TPU:
///   time = max(compute, memory, weights) + op_overhead
///   compute: convs tile the reduction dim (in_ch x taps) over array_rows and the output channels
///            over array_cols; each tile pass costs max(output pixels, weight_load_cycles)
///            cycles (the next tile loads while this one computes), divided by conv_efficiency; depthwise, pool and element-wise ops have throughputs;
///   memory:  activation bytes read and written / onchip_bandwidth;
///   weights: parameter bytes that did not fit in the on-chip cache (filled in execution order)
///            stream over the host link on every inference / host_bandwidth.
/// Per inference: inference_overhead + input and output bytes / host_bandwidth. Ops from the first
/// one the compiler cannot map (edgetpu_ops.h) run on the host CPU (profile's cpu_* constants).

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/graph/graph.h"
#include "nasctl/latency/edgetpu_ops.h"
#include "nasctl/latency/hardware_profile.h"

namespace nasctl::latency {

/// What limits an op: the largest of its terms, or the fixed overhead when that is larger.
/// kFused: folded into another op, or free (reshape). kCpu: runs on the host CPU after the cut.
enum class Bound { kCompute, kMemory, kWeights, kOverhead, kFused, kCpu };
const char* bound_name(Bound bound);  ///< "compute", "memory", "weights", "overhead", "fused", "cpu"

/// The cost of one Graph node.
struct OpCost {
  int node = -1;               ///< index in Graph::nodes
  int fused_into = -1;         ///< node this one is folded/fused into (Bound::kFused), else -1
  bool on_edgetpu = true;      ///< false from the cut on
  double ops = 0;              ///< arithmetic ops: 2 per MAC, 1 per pooled / element-wise element
  double bytes = 0;            ///< activation bytes read + written (int8)
  int64_t param_bytes = 0;     ///< parameter bytes (folded batch norm included)
  int64_t cached_bytes = 0;    ///< of which cached on chip
  int64_t streamed_bytes = 0;  ///< of which streamed over the host link every inference
  double utilization = 0;      ///< systolic array utilisation of the tiling (convs, fully connected)
  double compute_s = 0;
  double memory_s = 0;
  double weights_s = 0;
  double overhead_s = 0;
  double time_s = 0;           ///< what the op adds to the latency
  Bound bound = Bound::kCompute;
};

/// The latency of one network, with its breakdown.
struct LatencyReport {
  std::string network;            ///< Graph::name
  std::string hardware;           ///< profile name
  double total_ms = 0;            ///< predicted latency per inference
  double edgetpu_ms = 0;          ///< sum over the ops on the Edge TPU
  double cpu_ms = 0;              ///< sum over the ops after the cut (host CPU estimate)
  double transfer_ms = 0;         ///< input and output (or cut) tensors over the host link
  double overhead_ms = 0;         ///< fixed per-inference overhead
  int64_t cached_param_bytes = 0;
  int64_t streamed_param_bytes = 0;
  bool on_edgetpu = true;         ///< true when the compiler maps the whole graph
  int cut_node = -1;              ///< first node on the CPU, or -1
  std::vector<UnsupportedOp> unsupported;
  std::vector<OpCost> ops;        ///< one per Graph node, in execution order
};

class EdgeTpuModel {
 public:
  /// Validates the profile (throws Error naming the bad constant).
  explicit EdgeTpuModel(HardwareProfile profile);

  /// Latency with the per-op breakdown. `graph` must be finalized.
  LatencyReport predict(const graph::Graph& graph) const;
  /// Latency in ms only: no allocation after the first call on a thread (the search's hot path).
  double predict_ms(const graph::Graph& graph) const;
  /// Peak systolic throughput the profile allows (ops/s, 2 per MAC, after conv_efficiency).
  double peak_ops_per_s() const;

  const HardwareProfile& profile() const { return profile_; }

 private:
  double evaluate(const graph::Graph& graph, LatencyReport* report) const;

  HardwareProfile profile_;
};

}  // namespace nasctl::latency
