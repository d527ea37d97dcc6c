#include "nasctl/latency/edgetpu_ops.h"

namespace nasctl::latency {
namespace {

using graph::Activation;
using graph::Op;

// Softmax limit from the supported-operations table: "Supports only 1-D input tensor with a max of
// 16,000 elements".
constexpr int64_t kMaxSoftmaxElements = 16000;

const char* activation_reason(Activation a) {
  if (a == Activation::kHardSwish) return "hard_swish (TFLite HARD_SWISH) is not mapped by the Edge TPU compiler";
  return nullptr;
}

}  // namespace

const char* edgetpu_unsupported_reason(const graph::Node& n) {
  switch (n.op) {
    case Op::kMaxPool2d:
    case Op::kAvgPool2d:
      if (n.activation != Activation::kNone) return "pools with a fused activation are not mapped (no fused activation function)";
      return nullptr;
    case Op::kSoftmax:
      if (n.output.h != 1 || n.output.w != 1) return "softmax is mapped only over a 1-D tensor (input must be 1x1xC)";
      if (n.output.c > kMaxSoftmaxElements) return "softmax is mapped only up to 16,000 elements";
      return nullptr;
    case Op::kChannelShuffle:
      if (n.output.h > 1 && n.output.w > 1)
        return "channel_shuffle needs a 4-D transpose (HxWxGxC/G); the compiler maps only tensors with 3 non-1 innermost dims";
      return nullptr;
    case Op::kConv2d:
    case Op::kDepthwiseConv2d:
    case Op::kFullyConnected:
    case Op::kBatchNorm:
    case Op::kActivation:
    case Op::kAdd:
      return activation_reason(n.activation);
    case Op::kMul:
    case Op::kConcat:
    case Op::kGlobalAvgPool:
    case Op::kReshape:
    case Op::kPad:
      return nullptr;
  }
  return nullptr;
}

std::vector<UnsupportedOp> check_edgetpu(const graph::Graph& graph) {
  std::vector<UnsupportedOp> out;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const graph::Node& n = graph.nodes[i];
    if (const char* reason = edgetpu_unsupported_reason(n)) out.push_back({int(i), n.id, n.op, reason});
  }
  return out;
}

int first_unsupported_node(const graph::Graph& graph) {
  for (size_t i = 0; i < graph.nodes.size(); ++i)
    if (edgetpu_unsupported_reason(graph.nodes[i])) return int(i);
  return -1;
}

}  // namespace nasctl::latency
