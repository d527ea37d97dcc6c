// Graph op -> TFLite ops. The table of rules is in lowering.h and docs/export.md.
#include <cmath>

#include "export/lowering_impl.h"
#include "nasctl/core/error.h"

namespace nasctl::exporter {
namespace detail {

using graph::Activation;
using graph::Node;
using graph::Op;

namespace {

bool produces_nonneg(Activation act) {
  return act == Activation::kRelu || act == Activation::kRelu6 || act == Activation::kSigmoid ||
         act == Activation::kHardSigmoid;
}

// True when `act` leaves standalone ops after the op it belongs to (the op's own output then gets
// a "/linear" name, and the node's name goes to the last activation op).
bool needs_tail(Activation act) {
  return act != Activation::kNone && act != Activation::kRelu && act != Activation::kRelu6;
}

// Folded conv / fully-connected parameters in LibTorch layout: weight [O, ...], bias [O].
struct Folded {
  std::vector<float> weight;
  std::vector<float> bias;
};

}  // namespace

Lowerer::Lowerer(const graph::Graph& graph, const NodeWeights& weights, const LoweringOptions& options)
    : graph_(graph), weights_(weights), options_(options) {
  if (!graph_.finalized()) throw runtime_error("lower_to_tflite: the graph is not finalized");
}

void Lowerer::plan_folding() {
  size_t count = graph_.nodes.size();
  folded_bn_.assign(count, -1);
  folded_into_.assign(count, -1);
  std::vector<int> readers(count, 0);
  for (const Node& n : graph_.nodes) {
    for (int p : n.input_index) {
      if (p != graph::kGraphInput) ++readers[p];
    }
  }
  for (int out : graph_.output_indices()) readers[out] += 2;  // an output must stay visible
  for (size_t i = 0; i < count; ++i) {
    const Node& bn = graph_.nodes[i];
    if (bn.op != Op::kBatchNorm) continue;
    int p = bn.input_index[0];
    if (p == graph::kGraphInput || readers[p] != 1) continue;
    const Node& producer = graph_.nodes[p];
    bool foldable = producer.is_conv() || producer.op == Op::kFullyConnected;
    if (!foldable || producer.activation != Activation::kNone) continue;
    folded_bn_[p] = static_cast<int>(i);
    folded_into_[i] = p;
  }
}

LoweredModel Lowerer::run() {
  plan_folding();
  const graph::Shape& in = graph_.input;
  input_tensor_ = model_.add_activation("input", {1, in.h, in.w, in.c});
  model_.inputs = {input_tensor_};
  model_.description = "nasctl export of " + graph_.name;
  value_.assign(graph_.nodes.size(), -1);
  nonneg_.assign(graph_.nodes.size(), false);
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    origin_ = graph_.nodes[i].id;
    lower_node(i);
  }
  origin_.clear();
  LoweredModel lowered;
  for (int index : graph_.output_indices()) {
    const Node& n = graph_.nodes[index];
    int t = value_[index];
    if (n.output.h == 1 && n.output.w == 1) t = as_2d(t);
    model_.outputs.push_back(t);
  }
  for (size_t i = 0; i < graph_.nodes.size(); ++i) lowered.node_tensor[graph_.nodes[i].id] = value_[i];
  lowered.model = std::move(model_);
  return lowered;
}

void Lowerer::lower_node(size_t i) {
  const Node& n = graph_.nodes[i];
  switch (n.op) {
    case Op::kConv2d:
    case Op::kDepthwiseConv2d:
      lower_conv(i);
      break;
    case Op::kFullyConnected:
      lower_fully_connected(i);
      break;
    case Op::kBatchNorm:
      lower_batch_norm(i);
      break;
    case Op::kMaxPool2d:
    case Op::kAvgPool2d:
      lower_pool(i);
      break;
    case Op::kActivation:
    case Op::kAdd:
    case Op::kMul:
    case Op::kConcat:
    case Op::kSoftmax:
    case Op::kGlobalAvgPool:
    case Op::kPad:
      lower_elementwise(i);
      break;
    case Op::kReshape:
      lower_reshape(i);
      break;
    case Op::kChannelShuffle:
      lower_channel_shuffle(i);
      break;
    default:
      throw no_lowering(n);
  }
}

// Conv weights with a folded batch_norm: w' = w * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps).
static Folded fold(const std::vector<float>& weight, std::vector<float> bias, const HostTensor* gamma,
                   const HostTensor* beta, const HostTensor* mean, const HostTensor* var, double eps) {
  Folded f{weight, std::move(bias)};
  if (!gamma) return f;
  size_t out = f.bias.size();
  size_t per = f.weight.size() / out;
  for (size_t o = 0; o < out; ++o) {
    double s = gamma->values[o] / std::sqrt(double(var->values[o]) + eps);
    for (size_t k = 0; k < per; ++k) f.weight[o * per + k] = static_cast<float>(f.weight[o * per + k] * s);
    f.bias[o] = static_cast<float>((double(f.bias[o]) - mean->values[o]) * s + beta->values[o]);
  }
  return f;
}

void Lowerer::lower_conv(size_t i) {
  const Node& n = graph_.nodes[i];
  const int in_c = n.input_shapes[0].c, out_c = n.filters, kh = n.kernel_h, kw = n.kernel_w;
  const int in_per_group = in_c / n.groups;
  const HostTensor& w = param(n, "weight", {out_c, in_per_group, kh, kw});
  std::vector<float> bias(out_c, 0.0f);
  if (n.bias) bias = param(n, "bias", {out_c}).values;

  // A folded batch_norm takes over the node's name and activation.
  const Node* bn = folded_bn_[i] >= 0 ? &graph_.nodes[folded_bn_[i]] : nullptr;
  const Node& last = bn ? *bn : n;
  Folded f = bn ? fold(w.values, bias, &param(*bn, "weight", {out_c}), &param(*bn, "bias", {out_c}),
                       &param(*bn, "running_mean", {out_c}), &param(*bn, "running_var", {out_c}), bn->epsilon)
                : Folded{w.values, bias};
  Activation act = last.activation;
  bool bias_hard_sigmoid = act == Activation::kHardSigmoid;
  if (bias_hard_sigmoid) {
    for (float& b : f.bias) b += 3.0f;  // relu6(z + 3) / 6: +3 here, RELU6 fused, MUL 1/6 after
  }
  OpOptions o;
  o.stride_h = n.stride_h;
  o.stride_w = n.stride_w;
  o.activation = bias_hard_sigmoid ? FusedActivation::kRelu6 : fused_part(act);

  int x = as_4d(input(n, 0));
  detail::AxisPad ph = axis_pad(n.input_shapes[0].h, kh, n.stride_h, n.padding);
  detail::AxisPad pw = axis_pad(n.input_shapes[0].w, kw, n.stride_w, n.padding);
  if (ph.tflite_same && pw.tflite_same) {
    o.padding = n.padding == graph::Padding::kSame ? TflitePadding::kSame : TflitePadding::kValid;
  } else {
    x = emit_pad(x, ph.before, std::max(ph.after, 0), pw.before, std::max(pw.after, 0), n.id + "/pad");
    o.padding = TflitePadding::kValid;
  }
  std::vector<int> out_shape = {1, n.output.h, n.output.w, out_c};
  std::string name = needs_tail(act) ? last.id + "/linear" : last.id;

  int y;
  if (n.op == Op::kDepthwiseConv2d) {
    // [O, 1, kh, kw] -> [1, kh, kw, O]; output channel o = c * multiplier + m in both layouts.
    std::vector<float> dw(f.weight.size());
    for (int oc = 0; oc < out_c; ++oc) {
      for (int k = 0; k < kh * kw; ++k) dw[k * out_c + oc] = f.weight[oc * kh * kw + k];
    }
    o.depth_multiplier = out_c / in_c;
    int wt = model_.add_float_constant(n.id + "/weights", {1, kh, kw, out_c}, dw);
    int bt = model_.add_float_constant(n.id + "/bias", {out_c}, f.bias);
    y = emit(BuiltinOp::kDepthwiseConv2d, {x, wt, bt}, out_shape, name, o);
  } else {
    // [O, I/g, kh, kw] -> OHWI per group; groups > 1 split the input and concatenate the outputs.
    const int g = n.groups, out_per_group = out_c / g;
    std::vector<int> parts(g, x);
    if (g > 1) {
      OpOptions so;
      so.num_splits = g;
      int axis = model_.add_int32_constant(n.id + "/split_axis", {}, {3});
      std::vector<int> part_shape = shape(x);
      part_shape[3] /= g;
      Operator split;
      split.op = BuiltinOp::kSplit;
      split.inputs = {axis, x};
      split.options = so;
      split.origin = origin_;
      for (int k = 0; k < g; ++k) {
        parts[k] = model_.add_activation(n.id + "/split" + std::to_string(k), part_shape);
        split.outputs.push_back(parts[k]);
      }
      model_.add_operator(std::move(split));
    }
    std::vector<int> outs;
    for (int k = 0; k < g; ++k) {
      std::vector<float> ohwi(size_t(out_per_group) * kh * kw * in_per_group);
      for (int oc = 0; oc < out_per_group; ++oc) {
        for (int ic = 0; ic < in_per_group; ++ic) {
          for (int k2 = 0; k2 < kh * kw; ++k2) {
            ohwi[(size_t(oc) * kh * kw + k2) * in_per_group + ic] =
                f.weight[((size_t(k) * out_per_group + oc) * in_per_group + ic) * kh * kw + k2];
          }
        }
      }
      std::string suffix = g > 1 ? "/g" + std::to_string(k) : "";
      std::vector<float> b(f.bias.begin() + k * out_per_group, f.bias.begin() + (k + 1) * out_per_group);
      int wt = model_.add_float_constant(n.id + suffix + "/weights", {out_per_group, kh, kw, in_per_group}, ohwi);
      int bt = model_.add_float_constant(n.id + suffix + "/bias", {out_per_group}, b);
      std::vector<int> part_out = {1, n.output.h, n.output.w, out_per_group};
      outs.push_back(emit(BuiltinOp::kConv2d, {parts[k], wt, bt}, part_out, g > 1 ? name + suffix : name, o));
    }
    if (g == 1) {
      y = outs[0];
    } else {
      OpOptions co;
      co.axis = 3;
      y = emit(BuiltinOp::kConcatenation, outs, out_shape, name, co);
    }
  }
  origin_ = last.id;  // the activation ops belong to the node that carries the activation
  value_[i] = finish_activation(y, act, bias_hard_sigmoid, last.id);
  nonneg_[i] = produces_nonneg(act);
}

void Lowerer::lower_fully_connected(size_t i) {
  const Node& n = graph_.nodes[i];
  const int units = n.units;
  const int64_t in = n.input_shapes[0].elements();
  const HostTensor& w = param(n, "weight", {units, in});
  std::vector<float> bias(units, 0.0f);
  if (n.bias) bias = param(n, "bias", {units}).values;
  const Node* bn = folded_bn_[i] >= 0 ? &graph_.nodes[folded_bn_[i]] : nullptr;
  const Node& last = bn ? *bn : n;
  Folded f = bn ? fold(w.values, bias, &param(*bn, "weight", {units}), &param(*bn, "bias", {units}),
                       &param(*bn, "running_mean", {units}), &param(*bn, "running_var", {units}), bn->epsilon)
                : Folded{w.values, bias};
  Activation act = last.activation;
  bool bias_hard_sigmoid = act == Activation::kHardSigmoid;
  if (bias_hard_sigmoid) {
    for (float& b : f.bias) b += 3.0f;
  }
  OpOptions o;
  o.activation = bias_hard_sigmoid ? FusedActivation::kRelu6 : fused_part(act);
  // The input's NHWC element order is the order GraphNet flattens in: the weights apply as they are.
  int wt = model_.add_float_constant(n.id + "/weights", {units, static_cast<int>(in)}, f.weight);
  int bt = model_.add_float_constant(n.id + "/bias", {units}, f.bias);
  int y = emit(BuiltinOp::kFullyConnected, {input(n, 0), wt, bt}, {1, units},
               needs_tail(act) ? last.id + "/linear" : last.id, o);
  origin_ = last.id;
  value_[i] = finish_activation(y, act, bias_hard_sigmoid, last.id);
  nonneg_[i] = produces_nonneg(act);
}

void Lowerer::lower_batch_norm(size_t i) {
  const Node& n = graph_.nodes[i];
  if (folded_into_[i] >= 0) {  // already part of its producer
    value_[i] = value_[folded_into_[i]];
    nonneg_[i] = nonneg_[folded_into_[i]];
    return;
  }
  // y = x * s + (beta - mean * s): a 1x1 depthwise conv with bias, so int8 keeps a per-channel scale.
  const int c = n.output.c;
  const HostTensor& gamma = param(n, "weight", {c});
  const HostTensor& beta = param(n, "bias", {c});
  const HostTensor& mean = param(n, "running_mean", {c});
  const HostTensor& var = param(n, "running_var", {c});
  std::vector<float> scale(c), shift(c);
  for (int k = 0; k < c; ++k) {
    double s = gamma.values[k] / std::sqrt(double(var.values[k]) + n.epsilon);
    scale[k] = static_cast<float>(s);
    shift[k] = static_cast<float>(beta.values[k] - mean.values[k] * s);
  }
  OpOptions o;
  o.padding = TflitePadding::kValid;
  o.activation = fused_part(n.activation);
  int wt = model_.add_float_constant(n.id + "/scale", {1, 1, 1, c}, scale);
  int bt = model_.add_float_constant(n.id + "/shift", {c}, shift);
  int x = as_4d(input(n, 0));
  int y = emit(BuiltinOp::kDepthwiseConv2d, {x, wt, bt}, shape(x), needs_tail(n.activation) ? n.id + "/linear" : n.id,
               o);
  value_[i] = finish_activation(y, n.activation, false, n.id);
  nonneg_[i] = produces_nonneg(n.activation);
}

}  // namespace detail

LoweredModel lower_to_tflite(const graph::Graph& graph, const NodeWeights& weights, const LoweringOptions& options) {
  return detail::Lowerer(graph, weights, options).run();
}

}  // namespace nasctl::exporter
