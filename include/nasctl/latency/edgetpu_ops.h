#pragma once
/// Which Graph ops the Edge TPU compiler maps, following Coral's documented op list and limits
/// ("TensorFlow models on the Edge TPU", coral.ai/docs/edgetpu/models-intro, supported operations
/// table) for a full-integer 8-bit model as `nasctl export` writes it:
///   - conv2d, depthwise_conv2d, fully_connected, add, mul, concat, max/avg pool, global average
///     pool (MEAN over x/y), pad, reshape and the activations relu, relu6, sigmoid (LOGISTIC),
///     swish (LOGISTIC + MUL) and hard_sigmoid (ADD with fused RELU6 + MUL) are mapped;
///   - pools must not carry a fused activation ("No fused activation function");
///   - softmax only over a 1-D tensor of at most 16,000 elements;
///   - hard_swish (TFLite HARD_SWISH) is not mapped by the compiler (google-coral/edgetpu issues
///     #272 and #353, compiler 15);
///   - channel_shuffle needs a 4-D reshape/transpose (H x W x groups x C/groups), and the compiler
///     maps only tensors whose three innermost dimensions may exceed 1.
/// The compiler cuts the graph at the first op it cannot map: that op and every op after it run
/// on the host CPU (EdgeTpuModel prices that part with the profile's CPU constants).

#include <string>
#include <vector>

#include "nasctl/graph/graph.h"

namespace nasctl::latency {

/// An op the Edge TPU compiler cannot map.
struct UnsupportedOp {
  int node = -1;        ///< index in Graph::nodes
  std::string id;       ///< node id
  graph::Op op = graph::Op::kConv2d;
  std::string reason;   ///< "hard_swish (TFLite HARD_SWISH) is not mapped by the Edge TPU compiler"
};

/// Why `node` cannot run on the Edge TPU, or nullptr when it can. Cheap (no allocation): the
/// search calls it to mask decisions. The node must be finalized (shapes inferred).
const char* edgetpu_unsupported_reason(const graph::Node& node);

/// Every unsupported op of a finalized graph, in execution order (empty: the whole graph maps).
std::vector<UnsupportedOp> check_edgetpu(const graph::Graph& graph);

/// Index of the first unsupported node in execution order, or -1 when the whole graph maps.
int first_unsupported_node(const graph::Graph& graph);

}  // namespace nasctl::latency
