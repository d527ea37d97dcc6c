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
#include "nasctl/latency/interval.h"

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

/// The cost terms of one Edge TPU op that do not depend on the rest of the network. What the op
/// adds is max(compute, memory, weights) + overhead, where the weights term depends on how much of
/// the parameter cache earlier ops used: EdgeTpuModel::combine() applies that, in execution order.
/// The search caches these per block (search/arch_latency.h).
struct OpTerms {
  int node = -1;                     ///< index in the graph the terms were computed from
  double compute_s = 0;              ///< systolic / vector work, unfused activation passes included
  double memory_s = 0;               ///< activation bytes read and written / on-chip bandwidth
  double overhead_s = 0;             ///< fixed per-op cost (per pass)
  int64_t param_bytes = 0;           ///< parameters (folded batch norm included)
  bool pool_or_elementwise = false;  ///< pool, add, mul, unfused activation, softmax (op-mix class)
};

/// The parts of a prediction that belong to the whole network.
struct NetworkTerms {
  double link_bytes = 0;   ///< input + output (or cut) tensors over the host link
  bool on_edgetpu = true;  ///< false when the whole graph runs on the host CPU (no Edge TPU call)
  double cpu_s = 0;        ///< ops after the cut, on the host CPU
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
  double lo_ms = 0;               ///< prediction interval (equal to total_ms when the profile has none)
  double hi_ms = 0;
  double interval_coverage = 0;   ///< share of held-out measurements the interval held (0: no interval)
  OpMix mix = OpMix::kConv;       ///< op-mix class that chose the interval
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
  /// Latency with its prediction interval (the profile's calibration.interval), no breakdown.
  LatencyPrediction predict_interval(const graph::Graph& graph) const;
  /// Latency from per-op terms (in execution order, all on the Edge TPU or before the cut) and the
  /// network terms: the parameter cache, host transfers and per-inference overhead applied. The same
  /// arithmetic as predict_ms(), which calls it, so cached terms reproduce it exactly. `report`,
  /// when given, must have one OpCost per node the terms index.
  LatencyPrediction combine(const OpTerms* ops, size_t count, const NetworkTerms& network,
                            LatencyReport* report = nullptr) const;
  /// The per-op terms of a graph's Edge TPU ops (before any cut) and its network terms.
  void terms(const graph::Graph& graph, std::vector<OpTerms>* ops, NetworkTerms* network) const;
  /// The interval model in force (empty when the profile carries none).
  const IntervalModel& interval_model() const { return interval_; }

  /// Peak systolic throughput the profile allows (ops/s, 2 per MAC, after conv_efficiency).
  double peak_ops_per_s() const;

  const HardwareProfile& profile() const { return profile_; }

 private:
  LatencyPrediction evaluate(const graph::Graph& graph, LatencyReport* report) const;

  HardwareProfile profile_;
  IntervalModel interval_;
};

}  // namespace nasctl::latency
