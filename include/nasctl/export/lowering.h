#pragma once
/// Lowering a Graph with its weights to a float32 TFLite Model.
///
/// Per graph op (see docs/export.md for the full table):
///  - conv2d -> CONV_2D (OHWI weights), depthwise_conv2d -> DEPTHWISE_CONV_2D ([1, kh, kw, C*M]),
///    grouped conv2d -> SPLIT + one CONV_2D per group + CONCATENATION; a batch_norm that is the
///    only reader of a conv (without activation) is folded into it;
///  - a standalone batch_norm -> DEPTHWISE_CONV_2D 1x1 with bias (one op, per-channel int8 scale);
///  - activations: relu / relu6 fused where TFLite fuses them (conv, depthwise, fully connected,
///    add), else RELU / RELU6; hard_swish -> HARD_SWISH (or ADD, MUL, MUL, see LoweringOptions);
///    sigmoid -> LOGISTIC; swish -> LOGISTIC +
///    MUL; hard_sigmoid -> ADD 3 with fused RELU6, MUL 1/6 (after a conv or fully connected: +3
///    folded into its bias, RELU6 fused, then MUL 1/6);
///  - add -> ADD (a chain for 3+ inputs); mul -> MUL (broadcast 1x1xC); concat -> CONCATENATION;
///    global_avg_pool -> MEAN over [1, 2] keep_dims; fully_connected -> FULLY_CONNECTED ([1, units]
///    output); flatten / reshape -> RESHAPE; pad -> PAD; softmax -> SOFTMAX; channel_shuffle ->
///    RESHAPE + TRANSPOSE + RESHAPE;
///  - "same" padding: where the Graph's (PyTorch's) padding differs from TFLite's SAME (odd pixel
///    after), an explicit PAD + VALID; max pools pad with zeros when their input is known to be
///    non-negative, else with PADV2 (the lowest float); avg pools are corrected for the excluded
///    padding by a MUL with a constant map of window sizes.
/// Outputs that are 1x1xC vectors become [1, C] tensors.

#include <map>
#include <string>

#include "nasctl/export/tflite_model.h"
#include "nasctl/export/weights.h"
#include "nasctl/graph/graph.h"

namespace nasctl::exporter {

/// A lowered network: the float Model and where each graph node's output went.
struct LoweredModel {
  Model model;
  /// Graph node id -> the tensor holding its output (folded nodes share their conv's tensor).
  std::map<std::string, int> node_tensor;
};

struct LoweringOptions {
  /// hard_swish as x * (relu6(x + 3) / 6) with ADD (fused RELU6), MUL, MUL instead of TFLite's
  /// HARD_SWISH: the Edge TPU compiler maps these ops but not HARD_SWISH (google-coral/edgetpu
  /// issues 272, 353), so the whole network stays on the Edge TPU. Default false (HARD_SWISH).
  bool decompose_hard_swish = false;
};

/// Lowers a finalized `graph`. Throws Error naming the node and op when an op has no TFLite
/// lowering, and naming the node and parameter when a weight is missing or has the wrong shape.
LoweredModel lower_to_tflite(const graph::Graph& graph, const NodeWeights& weights,
                             const LoweringOptions& options = {});

}  // namespace nasctl::exporter
