#pragma once
// The Lowerer behind lower_to_tflite: one object per lowering, node by node in topological order.
// lowering.cpp holds the per-op rules, lowering_emit.cpp the emitters they share.

#include <map>
#include <string>
#include <vector>

#include "nasctl/core/error.h"
#include "nasctl/export/lowering.h"

namespace nasctl::exporter::detail {

/// Padding of one spatial axis of a window op as the Graph defines it, and TFLite's view of it.
struct AxisPad {
  int before = 0;  ///< Graph padding before the data ((k - 1) / 2 for "same")
  int after = 0;   ///< the rest; negative = that many trailing input pixels are never read
  bool same = false;       ///< the Graph op pads ("same")
  bool tflite_same = false;  ///< TFLite's SAME pads exactly like the Graph on this axis
};
AxisPad axis_pad(int in, int kernel, int stride, graph::Padding padding);

/// True when an activation's outputs are never negative (ReLU, ReLU6, (hard) sigmoid): the int8
/// tensor after it then needs no negative range.
bool produces_nonneg(graph::Activation act);

/// The error for a node whose op the exporter cannot express in TFLite.
Error no_lowering(const graph::Node& node);

class Lowerer {
 public:
  Lowerer(const graph::Graph& graph, const NodeWeights& weights, const LoweringOptions& options);
  LoweredModel run();

 private:
  // --- per-op rules (lowering.cpp)
  void lower_node(size_t index);
  void lower_conv(size_t index);
  void lower_batch_norm(size_t index);
  void lower_fully_connected(size_t index);
  void lower_pool(size_t index);
  void lower_elementwise(size_t index);
  void lower_reshape(size_t index);
  void lower_channel_shuffle(size_t index);
  void plan_folding();

  /// Weights and bias of a conv / fully connected node (LibTorch layout) with its folded
  /// batch_norm and hard_sigmoid's +3 applied; `last` is the node that ends it (the batch_norm when
  /// folded), `fused` what the op fuses, `name` its output's name.
  struct LinearParams {
    std::vector<float> weight;
    std::vector<float> bias;
    const graph::Node* last = nullptr;
    bool bias_hard_sigmoid = false;
    FusedActivation fused = FusedActivation::kNone;
    std::string name;
  };
  LinearParams linear_params(size_t index, const std::vector<int64_t>& weight_shape);
  /// The explicit PAD a conv needs where TFLite's SAME differs from the Graph's; sets o.padding.
  int emit_conv_padding(const graph::Node& n, int x, OpOptions& o);
  /// CONV_2D, or SPLIT + a CONV_2D per group + CONCATENATION.
  int emit_conv(const graph::Node& n, int x, const LinearParams& p, const OpOptions& o);

  // --- emitters (lowering_emit.cpp)
  /// Appends an op producing one new float tensor of `shape`; returns that tensor.
  int emit(BuiltinOp op, std::vector<int> inputs, std::vector<int> shape, const std::string& name,
           OpOptions options = {});
  /// Applies `act` to `x` with standalone ops (x unchanged for kNone).
  int emit_activation(int x, graph::Activation act, const std::string& name);
  /// What to fuse into an op that supports fused activations, and what must follow it.
  FusedActivation fused_part(graph::Activation act) const;
  /// After an op with fused_part(act) fused: the standalone remainder (hard_sigmoid's MUL 1/6 when
  /// its +3 went into the bias, or the whole activation when nothing could be fused).
  int finish_activation(int y, graph::Activation act, bool bias_took_hard_sigmoid, const std::string& name);
  /// Explicit PAD (or PADV2 with `value`) of a 4D tensor; returns x when nothing is padded.
  int emit_pad(int x, int top, int bottom, int left, int right, const std::string& name, bool lowest = false);
  /// The same tensor as [1, 1, 1, C] / [1, C]; reshapes once per tensor.
  int as_4d(int x);
  int as_2d(int x);
  int scalar_constant(float value, const std::string& name);
  /// Input `i` of node `n` as a tensor.
  int input(const graph::Node& n, size_t i) const;
  bool input_nonneg(const graph::Node& n, size_t i) const;
  const std::vector<int>& shape(int tensor) const { return model_.tensors.at(tensor).shape; }
  /// Parameter `name` of node `n`, checked against `expected` (LibTorch layout).
  const HostTensor& param(const graph::Node& n, const std::string& name, const std::vector<int64_t>& expected) const;
  bool has_param(const graph::Node& n, const std::string& name) const;

  const graph::Graph& graph_;
  const NodeWeights& weights_;
  LoweringOptions options_;
  Model model_;
  std::string origin_;             // id of the node being lowered (Operator::origin)
  int input_tensor_ = -1;
  std::vector<int> value_;         // per node: its output tensor
  std::vector<bool> nonneg_;       // per node: output known to be >= 0
  std::vector<int> folded_bn_;     // per node (conv / fc): the batch_norm folded into it, or -1
  std::vector<int> folded_into_;   // per node (batch_norm): the producer it was folded into, or -1
  std::map<int, int> as_4d_, as_2d_;
};

}  // namespace nasctl::exporter::detail
