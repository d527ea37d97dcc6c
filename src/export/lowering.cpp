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

// Weights with a folded batch_norm: w' = w * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps).
static void fold(const Node& bn, const HostTensor& gamma, const HostTensor& beta, const HostTensor& mean,
                 const HostTensor& var, Folded& f) {
  size_t out = f.bias.size();
  size_t per = f.weight.size() / out;
  for (size_t o = 0; o < out; ++o) {
    double s = gamma.values[o] / std::sqrt(double(var.values[o]) + bn.epsilon);
    for (size_t k = 0; k < per; ++k) f.weight[o * per + k] = static_cast<float>(f.weight[o * per + k] * s);
    f.bias[o] = static_cast<float>((double(f.bias[o]) - mean.values[o]) * s + beta.values[o]);
  }
}

Lowerer::LinearParams Lowerer::linear_params(size_t i, const std::vector<int64_t>& weight_shape) {
  const Node& n = graph_.nodes[i];
  const int out = static_cast<int>(weight_shape[0]);
  LinearParams p;
  p.weight = param(n, "weight", weight_shape).values;
  p.bias = n.bias ? param(n, "bias", {out}).values : std::vector<float>(out, 0.0f);
  p.last = &n;
  if (folded_bn_[i] >= 0) {
    const Node& bn = graph_.nodes[folded_bn_[i]];
    Folded f{std::move(p.weight), std::move(p.bias)};
    fold(bn, param(bn, "weight", {out}), param(bn, "bias", {out}), param(bn, "running_mean", {out}),
         param(bn, "running_var", {out}), f);
    p.weight = std::move(f.weight);
    p.bias = std::move(f.bias);
    p.last = &bn;  // the batch_norm takes over the node's name and activation
  }
  p.bias_hard_sigmoid = p.last->activation == Activation::kHardSigmoid;
  if (p.bias_hard_sigmoid) {
    for (float& b : p.bias) b += 3.0f;  // relu6(z + 3) / 6: +3 here, RELU6 fused, MUL 1/6 after
  }
  p.fused = p.bias_hard_sigmoid ? FusedActivation::kRelu6 : fused_part(p.last->activation);
  p.name = needs_tail(p.last->activation) ? p.last->id + "/linear" : p.last->id;
  return p;
}

int Lowerer::emit_conv_padding(const Node& n, int x, OpOptions& o) {
  AxisPad ph = axis_pad(n.input_shapes[0].h, n.kernel_h, n.stride_h, n.padding);
  AxisPad pw = axis_pad(n.input_shapes[0].w, n.kernel_w, n.stride_w, n.padding);
  if (ph.tflite_same && pw.tflite_same) {
    o.padding = n.padding == graph::Padding::kSame ? TflitePadding::kSame : TflitePadding::kValid;
    return x;
  }
  o.padding = TflitePadding::kValid;
  return emit_pad(x, ph.before, std::max(ph.after, 0), pw.before, std::max(pw.after, 0), n.id + "/pad");
}

void Lowerer::lower_conv(size_t i) {
  const Node& n = graph_.nodes[i];
  const int in_c = n.input_shapes[0].c, out_c = n.filters, kh = n.kernel_h, kw = n.kernel_w;
  LinearParams p = linear_params(i, {out_c, in_c / n.groups, kh, kw});
  OpOptions o;
  o.stride_h = n.stride_h;
  o.stride_w = n.stride_w;
  o.activation = p.fused;
  int x = emit_conv_padding(n, as_4d(input(n, 0)), o);
  int y;
  if (n.op == Op::kDepthwiseConv2d) {
    // [O, 1, kh, kw] -> [1, kh, kw, O]; output channel o = c * multiplier + m in both layouts.
    std::vector<float> dw(p.weight.size());
    for (int oc = 0; oc < out_c; ++oc) {
      for (int k = 0; k < kh * kw; ++k) dw[k * out_c + oc] = p.weight[oc * kh * kw + k];
    }
    o.depth_multiplier = out_c / in_c;
    int wt = model_.add_float_constant(n.id + "/weights", {1, kh, kw, out_c}, dw);
    int bt = model_.add_float_constant(n.id + "/bias", {out_c}, p.bias);
    y = emit(BuiltinOp::kDepthwiseConv2d, {x, wt, bt}, {1, n.output.h, n.output.w, out_c}, p.name, o);
  } else {
    y = emit_conv(n, x, p, o);
  }
  origin_ = p.last->id;  // the activation ops belong to the node that carries the activation
  value_[i] = finish_activation(y, p.last->activation, p.bias_hard_sigmoid, p.last->id);
  nonneg_[i] = produces_nonneg(p.last->activation);
}

int Lowerer::emit_conv(const Node& n, int x, const LinearParams& p, const OpOptions& o) {
  // [O, I/g, kh, kw] -> OHWI per group; groups > 1 split the input and concatenate the outputs.
  const int kh = n.kernel_h, kw = n.kernel_w, g = n.groups;
  const int out_per_group = n.filters / g, in_per_group = n.input_shapes[0].c / g;
  std::vector<int> parts(g, x);
  if (g > 1) {
    Operator split;
    split.op = BuiltinOp::kSplit;
    split.inputs = {model_.add_int32_constant(n.id + "/split_axis", {}, {3}), x};
    split.options.num_splits = g;
    split.origin = origin_;
    std::vector<int> part_shape = shape(x);
    part_shape[3] /= g;
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
        for (int t = 0; t < kh * kw; ++t) {
          ohwi[(size_t(oc) * kh * kw + t) * in_per_group + ic] =
              p.weight[((size_t(k) * out_per_group + oc) * in_per_group + ic) * kh * kw + t];
        }
      }
    }
    std::string suffix = g > 1 ? "/g" + std::to_string(k) : "";
    std::vector<float> b(p.bias.begin() + k * out_per_group, p.bias.begin() + (k + 1) * out_per_group);
    int wt = model_.add_float_constant(n.id + suffix + "/weights", {out_per_group, kh, kw, in_per_group}, ohwi);
    int bt = model_.add_float_constant(n.id + suffix + "/bias", {out_per_group}, b);
    outs.push_back(emit(BuiltinOp::kConv2d, {parts[k], wt, bt}, {1, n.output.h, n.output.w, out_per_group},
                        p.name + suffix, o));
  }
  if (g == 1) return outs[0];
  OpOptions co;
  co.axis = 3;
  return emit(BuiltinOp::kConcatenation, outs, {1, n.output.h, n.output.w, n.filters}, p.name, co);
}

void Lowerer::lower_fully_connected(size_t i) {
  const Node& n = graph_.nodes[i];
  const int units = n.units;
  const int64_t in = n.input_shapes[0].elements();
  LinearParams p = linear_params(i, {units, in});
  OpOptions o;
  o.activation = p.fused;
  // The input's NHWC element order is the order GraphNet flattens in: the weights apply as they are.
  int wt = model_.add_float_constant(n.id + "/weights", {units, static_cast<int>(in)}, p.weight);
  int bt = model_.add_float_constant(n.id + "/bias", {units}, p.bias);
  int y = emit(BuiltinOp::kFullyConnected, {input(n, 0), wt, bt}, {1, units}, p.name, o);
  origin_ = p.last->id;
  value_[i] = finish_activation(y, p.last->activation, p.bias_hard_sigmoid, p.last->id);
  nonneg_[i] = produces_nonneg(p.last->activation);
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
