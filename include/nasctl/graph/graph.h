#pragma once
/// The network Graph: primitive ops with static NHWC shapes, the one network description that the
/// latency model, GraphNet (training) and the TFLite exporter consume ("graph v1").
///
/// Tensors are rank 3, height x width x channels (the batch dimension is implicit). Vectors are
/// 1 x 1 x C: global_avg_pool keeps the spatial dims, fully_connected produces 1 x 1 x units.
/// Flatten/reshape use NHWC element order, whatever layout a consumer computes in.

#include <cstdint>
#include <string>
#include <vector>

namespace nasctl::graph {

/// The largest height, width, kernel, stride, pad, filter or unit count a Graph accepts (channels
/// of a flattened tensor may go up to kMaxTensorElements).
/// Far beyond any Edge TPU network; low enough that shapes and counts never overflow.
constexpr int64_t kMaxDim = int64_t(1) << 24;
/// The most elements one tensor may hold (so that a flattened tensor's length fits an int).
constexpr int64_t kMaxTensorElements = (int64_t(1) << 31) - 1;

/// Static shape of one tensor (batch implicit).
struct Shape {
  int h = 0;
  int w = 0;
  int c = 0;
  int64_t elements() const { return int64_t(h) * w * c; }
  bool operator==(const Shape& o) const { return h == o.h && w == o.w && c == o.c; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  ///< "112x112x32"
};

/// The op set. Adding an op means teaching every consumer (see docs/architecture.md).
enum class Op {
  kConv2d,           ///< kernel, stride, groups, padding, bias, fused activation
  kDepthwiseConv2d,  ///< groups == input channels; filters = channels x depth multiplier
  kBatchNorm,        ///< per-channel affine + running stats; optional fused activation
  kActivation,       ///< element-wise `activation`
  kAdd,              ///< element-wise sum of 2+ tensors of equal shape; optional fused activation
  kMul,              ///< element-wise product; the second input may be 1x1xC (squeeze-excite scaling)
  kConcat,           ///< concatenation along channels
  kMaxPool2d,        ///< kernel, stride, padding
  kAvgPool2d,        ///< kernel, stride, padding (padding excluded from the average, as TFLite does)
  kGlobalAvgPool,    ///< HxWxC -> 1x1xC
  kFullyConnected,   ///< flattens its input (NHWC order), `units` outputs, bias, fused activation
  kReshape,          ///< to `shape` (flatten is reshape to 1x1x(h*w*c)); NHWC element order
  kPad,              ///< explicit zero padding `pads` = {top, bottom, left, right}
  kSoftmax,          ///< over channels
  kChannelShuffle,   ///< ShuffleNet's shuffle of `groups` channel groups
};

/// Activation functions (fused into an op, or as an op of their own).
enum class Activation { kNone, kRelu, kRelu6, kHardSwish, kHardSigmoid, kSigmoid, kSwish };

/// Padding of convolutions and pools.
/// kSame: output = ceil(in / stride); the padding is symmetric as in PyTorch, (k - 1) / 2 before
///        (dilation 1), with whatever is needed after. (TFLite's SAME puts the odd pixel after;
///        the exporter emits an explicit pad where the two differ.)
/// kValid: no padding, output = (in - k) / stride + 1.
enum class Padding { kSame, kValid };

const char* op_name(Op op);                 ///< "conv2d", ...
const char* activation_name(Activation a);  ///< "relu", ..., "none"
const char* padding_name(Padding p);        ///< "same" | "valid"
/// Parse names; throw Error naming `where` and the value when unknown.
Op parse_op(const std::string& name, const std::string& where);
Activation parse_activation(const std::string& name, const std::string& where);
Padding parse_padding(const std::string& name, const std::string& where);

/// Index of the graph input in Node::input_index.
constexpr int kGraphInput = -1;

/// One op of the Graph. Attributes not used by an op keep their defaults.
struct Node {
  std::string id;
  Op op = Op::kConv2d;
  std::vector<std::string> inputs;  ///< ids of producer nodes, or "input"

  // Attributes (as in graph v1 JSON).
  int filters = 0;                  ///< conv2d / depthwise_conv2d output channels
  int kernel_h = 1, kernel_w = 1;   ///< conv / pool window
  int stride_h = 1, stride_w = 1;
  Padding padding = Padding::kSame;
  int groups = 1;                   ///< conv2d groups; channel_shuffle groups
  bool bias = false;                ///< conv2d / fully_connected bias
  Activation activation = Activation::kNone;  ///< fused (or the function of an activation op)
  int units = 0;                    ///< fully_connected outputs
  Shape target;                     ///< reshape target
  int pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;  ///< pad
  double epsilon = 1e-5;            ///< batch_norm

  // Filled by Graph::finalize().
  std::vector<int> input_index;     ///< producers as node indices (kGraphInput for the input)
  std::vector<Shape> input_shapes;
  Shape output;
  int64_t macs = 0;                 ///< multiply-accumulates (conv, depthwise, fully_connected)
  int64_t params = 0;               ///< trainable parameters (BN: gamma and beta)
  int64_t weight_params = 0;        ///< of which weights (kernels), the rest are biases / BN
  int64_t param_bytes_int8 = 0;     ///< bytes once compiled full-integer: weights 1 B, biases int32 4 B
  int64_t activation_bytes = 0;     ///< output tensor at int8 (1 B per element)

  /// Symmetric-"same" padding before the data on each axis (0 for valid).
  int same_pad_top() const;
  int same_pad_left() const;
  /// True for conv2d / depthwise_conv2d.
  bool is_conv() const { return op == Op::kConv2d || op == Op::kDepthwiseConv2d; }
};

/// Totals of a finalized graph.
struct GraphStats {
  int64_t macs = 0;
  int64_t params = 0;
  int64_t param_bytes_int8 = 0;
  int64_t activation_bytes = 0;
  int64_t peak_activation_bytes = 0;  ///< largest single op's input + output at int8
};

/// A network: input shape, nodes, outputs. Build it (GraphBuilder, from_json, lowering) and call
/// finalize(), which validates, orders nodes topologically and infers shapes and counts.
class Graph {
 public:
  std::string name = "graph";
  Shape input;
  std::vector<Node> nodes;
  std::vector<std::string> outputs;

  /// Validates every node (reporting the first bad one by id) and every shape against kMaxDim and
  /// kMaxTensorElements, sorts nodes topologically, resolves
  /// inputs, infers shapes, normalises conv2d with groups == channels to depthwise_conv2d, and
  /// computes per-node counts. Throws Error on the first problem. Idempotent.
  void finalize();
  bool finalized() const { return finalized_; }

  /// Index of node `id`, or -1.
  int find(const std::string& id) const;
  const Node& node(const std::string& id) const;  ///< throws when missing
  /// Output node indices (after finalize).
  std::vector<int> output_indices() const;
  /// Shape of the first output.
  Shape output_shape() const;
  GraphStats stats() const;

 private:
  bool finalized_ = false;
};

}  // namespace nasctl::graph
