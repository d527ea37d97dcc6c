// Emitters shared by the lowering rules: ops, activations, padding, reshapes, parameters.
#include <cfloat>

#include "export/lowering_impl.h"
#include "nasctl/core/error.h"

namespace nasctl::exporter::detail {

using graph::Activation;
using graph::Node;

AxisPad axis_pad(int in, int kernel, int stride, graph::Padding padding) {
  AxisPad p;
  if (padding == graph::Padding::kValid) {
    p.tflite_same = true;  // nothing to pad either way
    return p;
  }
  int out = (in + stride - 1) / stride;
  int total = std::max((out - 1) * stride + kernel - in, 0);
  p.same = true;
  p.before = (kernel - 1) / 2;
  p.after = total - p.before;
  p.tflite_same = p.before == total / 2;  // TFLite: total / 2 before, the odd pixel after
  return p;
}

bool produces_nonneg(Activation act) {
  return act == Activation::kRelu || act == Activation::kRelu6 || act == Activation::kSigmoid ||
         act == Activation::kHardSigmoid;
}

Error no_lowering(const Node& n) {
  std::string name = graph::op_name(n.op);
  std::string number = name == "?" ? " (#" + std::to_string(static_cast<int>(n.op)) + ")" : "";
  return Error("node '" + n.id + "': op '" + name + "'" + number +
               " has no TFLite lowering (docs/export.md lists the ops nasctl exports)");
}

int Lowerer::emit(BuiltinOp op, std::vector<int> inputs, std::vector<int> out_shape, const std::string& name,
                  OpOptions options) {
  int out = model_.add_activation(name, std::move(out_shape));
  Operator o;
  o.op = op;
  o.inputs = std::move(inputs);
  o.outputs = {out};
  o.options = std::move(options);
  o.origin = origin_;
  model_.add_operator(std::move(o));
  return out;
}

int Lowerer::scalar_constant(float value, const std::string& name) {
  return model_.add_float_constant(name, {1}, {value});
}

FusedActivation Lowerer::fused_part(Activation act) const {
  switch (act) {
    case Activation::kRelu: return FusedActivation::kRelu;
    case Activation::kRelu6: return FusedActivation::kRelu6;
    default: return FusedActivation::kNone;
  }
}

int Lowerer::emit_activation(int x, Activation act, const std::string& name) {
  const std::vector<int> s = shape(x);
  switch (act) {
    case Activation::kNone:
      return x;
    case Activation::kRelu:
      return emit(BuiltinOp::kRelu, {x}, s, name);
    case Activation::kRelu6:
      return emit(BuiltinOp::kRelu6, {x}, s, name);
    case Activation::kHardSwish: {
      if (!options_.decompose_hard_swish) return emit(BuiltinOp::kHardSwish, {x}, s, name);
      // x * (relu6(x + 3) / 6): ops the Edge TPU compiler maps.
      OpOptions relu6;
      relu6.activation = FusedActivation::kRelu6;
      int clipped = emit(BuiltinOp::kAdd, {x, scalar_constant(3.0f, name + "/three")}, s, name + "/add3", relu6);
      int gate = emit(BuiltinOp::kMul, {clipped, scalar_constant(1.0f / 6.0f, name + "/sixth")}, s, name + "/gate");
      return emit(BuiltinOp::kMul, {x, gate}, s, name);
    }
    case Activation::kSigmoid:
      return emit(BuiltinOp::kLogistic, {x}, s, name);
    case Activation::kSwish: {
      int gate = emit(BuiltinOp::kLogistic, {x}, s, name + "/sigmoid");
      return emit(BuiltinOp::kMul, {x, gate}, s, name);
    }
    case Activation::kHardSigmoid: {
      // hard_sigmoid(x) = relu6(x + 3) / 6 (PyTorch's definition): ADD with fused RELU6, MUL.
      OpOptions relu6;
      relu6.activation = FusedActivation::kRelu6;
      int clipped = emit(BuiltinOp::kAdd, {x, scalar_constant(3.0f, name + "/three")}, s, name + "/add3", relu6);
      return emit(BuiltinOp::kMul, {clipped, scalar_constant(1.0f / 6.0f, name + "/sixth")}, s, name);
    }
  }
  return x;
}

int Lowerer::finish_activation(int y, Activation act, bool bias_took_hard_sigmoid, const std::string& name) {
  if (bias_took_hard_sigmoid) {
    return emit(BuiltinOp::kMul, {y, scalar_constant(1.0f / 6.0f, name + "/sixth")}, shape(y), name);
  }
  if (fused_part(act) != FusedActivation::kNone) return y;
  return emit_activation(y, act, name);
}

int Lowerer::emit_pad(int x, int top, int bottom, int left, int right, const std::string& name, bool lowest) {
  if (top == 0 && bottom == 0 && left == 0 && right == 0) return x;
  std::vector<int> s = shape(x);
  int paddings = model_.add_int32_constant(name + "/paddings", {4, 2}, {0, 0, top, bottom, left, right, 0, 0});
  std::vector<int> out = {s[0], s[1] + top + bottom, s[2] + left + right, s[3]};
  if (!lowest) return emit(BuiltinOp::kPad, {x, paddings}, out, name);
  return emit(BuiltinOp::kPadV2, {x, paddings, scalar_constant(-FLT_MAX, name + "/value")}, out, name);
}

int Lowerer::as_4d(int x) {
  if (shape(x).size() == 4) return x;
  auto found = as_4d_.find(x);
  if (found != as_4d_.end()) return found->second;
  int c = shape(x).back();
  std::vector<int> target = {1, 1, 1, c};
  int dims = model_.add_int32_constant(model_.tensors[x].name + "/shape4d", {4}, target);
  OpOptions o;
  o.new_shape = target;
  int y = emit(BuiltinOp::kReshape, {x, dims}, target, model_.tensors[x].name + "/4d", o);
  as_4d_[x] = y;
  return y;
}

int Lowerer::as_2d(int x) {
  if (shape(x).size() == 2) return x;
  auto found = as_2d_.find(x);
  if (found != as_2d_.end()) return found->second;
  const std::vector<int>& s = shape(x);
  std::vector<int> target = {1, s[1] * s[2] * s[3]};
  int dims = model_.add_int32_constant(model_.tensors[x].name + "/shape2d", {2}, target);
  OpOptions o;
  o.new_shape = target;
  int y = emit(BuiltinOp::kReshape, {x, dims}, target, model_.tensors[x].name + "/2d", o);
  as_2d_[x] = y;
  return y;
}

int Lowerer::input(const Node& n, size_t i) const {
  int producer = n.input_index.at(i);
  return producer == graph::kGraphInput ? input_tensor_ : value_.at(producer);
}

bool Lowerer::input_nonneg(const Node& n, size_t i) const {
  int producer = n.input_index.at(i);
  return producer != graph::kGraphInput && nonneg_.at(producer);
}

bool Lowerer::has_param(const Node& n, const std::string& name) const {
  auto node = weights_.find(n.id);
  return node != weights_.end() && node->second.count(name);
}

const HostTensor& Lowerer::param(const Node& n, const std::string& name, const std::vector<int64_t>& expected) const {
  auto shape_str = [](const std::vector<int64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
  };
  auto node = weights_.find(n.id);
  if (node == weights_.end() || !node->second.count(name)) {
    throw Error("node '" + n.id + "' (" + graph::op_name(n.op) + "): no weight '" + name + "' to export");
  }
  const HostTensor& t = node->second.at(name);
  if (t.shape != expected) {
    throw Error("node '" + n.id + "' (" + graph::op_name(n.op) + "): weight '" + name + "' has shape " +
                shape_str(t.shape) + ", but the node needs " + shape_str(expected));
  }
  return t;
}

}  // namespace nasctl::exporter::detail
