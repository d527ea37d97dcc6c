#pragma once
/// `nasctl export --check-edgetpu`: which operators of an exported TFLite model the Edge TPU
/// compiler would not map, and where it would cut the graph (the first such operator and every one
/// after it run on the host CPU).
///
/// Two sources of reasons, in execution order of the TFLite operators:
///  - the Graph node an operator was lowered from, judged by the latency model's op check
///    (latency/edgetpu_ops.h: Coral's documented op list and limits, e.g. hard_swish, softmax over
///    more than a vector, fused activations on pools) — except channel_shuffle, which the exporter
///    lowers to tensors the compiler accepts, so it is judged by its TFLite tensors below;
///  - the TFLite operators themselves: only full-integer (int8) operators map, PADV2 (max pools
///    whose padding must be the lowest value) and DEQUANTIZE are not on Coral's list, and tensors
///    may have more than three dimensions only if the outer ones are 1.
/// A DEQUANTIZE at the very end (float32 output) is listed but does not cut the graph: the
/// compiler leaves it to the CPU after the Edge TPU part.

#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/export/tflite_model.h"
#include "nasctl/graph/graph.h"

namespace nasctl::exporter {

/// One operator the compiler would not map.
struct EdgeTpuIssue {
  int op_index = -1;   ///< index in Model::operators
  std::string op;      ///< TFLite name, "HARD_SWISH"
  std::string node;    ///< Graph node it came from ("" for inserted edge ops)
  std::string reason;
};

struct EdgeTpuReport {
  std::vector<EdgeTpuIssue> unsupported;
  int total_ops = 0;
  /// First operator of the CPU part (where the compiler cuts the graph), or -1: all mapped.
  int cut_op = -1;
  std::string cut_node;  ///< its Graph node
  /// Operators before the cut (on the Edge TPU) and from it on (on the CPU).
  int edgetpu_ops = 0;
  int cpu_ops = 0;

  /// True when the whole model runs on the Edge TPU as one partition.
  bool one_partition() const { return cut_op < 0; }
  Json to_json() const;
  /// Human-readable lines (one per issue, then the verdict).
  std::string to_text() const;
};

/// Checks `model` (lowered from `graph`, quantized or not).
EdgeTpuReport check_edgetpu_model(const Model& model, const graph::Graph& graph);

}  // namespace nasctl::exporter
