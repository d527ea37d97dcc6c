#include "nasctl/search/supernet.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "nasctl/core/error.h"
#include "nasctl/nn/activation.h"
#include "nasctl/space/lower.h"
#include "nasctl/nn/batch_norm_act.h"
#include "nasctl/nn/depthwise.h"

namespace nasctl::search {
using graph::Activation;
using space::BlockSpec;
using space::BlockType;
using space::DecisionKind;
using SliceMode = SupernetImpl::SliceMode;

namespace {

bool has_type(const LayerBounds& b, BlockType type) {
  return std::find(b.types.begin(), b.types.end(), type) != b.types.end();
}

int ceil_div(int a, int b) { return (a + b - 1) / b; }

// Training-mode BatchNorm with the batch's statistics (see the header for why).
// Batch statistics, no running statistics (docs/search.md, "BatchNorm"), fused with the activation.
// `x` is always a fresh convolution output: without gradients (the controller's validation forward)
// it is normalised in place.
torch::Tensor batch_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                         Activation act = Activation::kNone) {
  return nn::batch_norm_act_(x, weight, bias, act);
}

torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& w, int stride, int groups) {
  int64_t pad = (w.size(2) - 1) / 2;  // odd kernels: PyTorch's symmetric padding is the Graph's "same"
  // Kept channels-last: from a one-channel input (both contiguous and channels-last) LibTorch
  // would return NCHW, and everything after it would run in the slower format.
  return torch::conv2d(x, w, {}, {stride, stride}, {pad, pad}, {1, 1}, groups)
      .contiguous(at::MemoryFormat::ChannelsLast);
}

// A block [start, start + length) per dimension of a shared weight, copied into the layout the
// convolutions read (channels-last for 4-d weights), as one autograd node whose backward writes the
// gradient into zeros of the shared weight's shape. Chained narrows would cost a node and a
// zero-filled intermediate tensor per dimension, and the convolution another copy to channels-last.
class SliceWeight : public torch::autograd::Function<SliceWeight> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& w,
                               std::vector<int64_t> start, std::vector<int64_t> length) {
    torch::Tensor view = w;
    for (size_t d = 0; d < start.size(); ++d) view = view.narrow(static_cast<int64_t>(d), start[d], length[d]);
    ctx->saved_data["start"] = start;
    ctx->saved_data["length"] = length;
    ctx->saved_data["full"] = w.sizes().vec();
    ctx->saved_data["channels_last"] = w.is_contiguous(at::MemoryFormat::ChannelsLast) && !w.is_contiguous();
    return view.contiguous(view.dim() == 4 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const std::vector<int64_t> start = ctx->saved_data["start"].toIntVector();
    const std::vector<int64_t> length = ctx->saved_data["length"].toIntVector();
    const std::vector<int64_t> full = ctx->saved_data["full"].toIntVector();
    auto format = ctx->saved_data["channels_last"].toBool() ? at::MemoryFormat::ChannelsLast
                                                            : at::MemoryFormat::Contiguous;
    torch::Tensor grad = torch::zeros(full, grads[0].options().memory_format(format));
    torch::Tensor view = grad;
    for (size_t d = 0; d < start.size(); ++d) view = view.narrow(static_cast<int64_t>(d), start[d], length[d]);
    view.copy_(grads[0]);
    return {grad, torch::Tensor(), torch::Tensor()};
  }
};

// The block of `w` that `start`/`length` select, for computing with (see SliceWeight): the weight
// itself where the block is all of it.
torch::Tensor weight_block(const torch::Tensor& w, std::vector<int64_t> start, std::vector<int64_t> length) {
  if (w.sizes().vec() == length) {
    return w.contiguous(w.dim() == 4 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous);
  }
  return SliceWeight::apply(w, std::move(start), std::move(length));
}

// Leading `out` x `in` channels and the centre k x k taps of [O, I, K, K] weights: a view
// (SliceMode::kView) or a copy in the convolutions' layout with a one-node backward (kCompute).
torch::Tensor slice_conv(const torch::Tensor& w, int out, int in, int k, const std::string& what,
                         SliceMode mode = SliceMode::kView) {
  int64_t big_k = w.size(2);
  if (out > w.size(0) || in > w.size(1) || k > big_k || (big_k - k) % 2 != 0) {
    throw Error(what + ": needs " + std::to_string(out) + "x" + std::to_string(in) + "x" + std::to_string(k) + "x" +
                std::to_string(k) + " weights, more than the supernet holds (" + std::to_string(w.size(0)) + "x" +
                std::to_string(w.size(1)) + "x" + std::to_string(big_k) + "x" + std::to_string(big_k) + ")");
  }
  int64_t offset = (big_k - k) / 2;
  if (mode == SliceMode::kCompute) return weight_block(w, {0, 0, offset, offset}, {out, in, k, k});
  return w.narrow(0, 0, out).narrow(1, 0, in).narrow(2, offset, k).narrow(3, offset, k);
}

// Grouped 1x1 weights kept per group, [g, O/g, I/g, 1, 1]: each group shares its leading channels.
torch::Tensor slice_grouped(const torch::Tensor& w, int out, int in, int groups, const std::string& what,
                            SliceMode mode = SliceMode::kView) {
  if (out % groups || in % groups || out / groups > w.size(1) || in / groups > w.size(2)) {
    throw Error(what + ": " + std::to_string(groups) + " groups of " + std::to_string(out) + "x" + std::to_string(in) +
                " channels do not fit the supernet's grouped weights");
  }
  if (mode == SliceMode::kCompute) {
    return weight_block(w, {0, 0, 0, 0, 0}, {w.size(0), out / groups, in / groups, 1, 1})
        .reshape({out, in / groups, 1, 1});
  }
  return w.narrow(1, 0, out / groups).narrow(2, 0, in / groups).reshape({out, in / groups, 1, 1});
}

torch::Tensor slice_vec(const torch::Tensor& v, int channels) { return v.narrow(0, 0, channels); }

std::vector<int> filter_choices(const space::SearchSpace& space, int layer) {
  std::vector<int> out;
  for (const Json& m : space.layer_choices(layer, DecisionKind::kFilterMultiplier)) {
    out.push_back(space.layer_filters(layer, m.get<double>()));
  }
  return out;
}

}  // namespace

std::vector<LayerBounds> layer_bounds(const space::SearchSpace& space) {
  std::vector<LayerBounds> bounds;
  std::set<int> in_set = {space.stem().filters};
  std::vector<BlockSpec> defaults = space.decode(std::vector<int>(space.decisions().size(), 0)).blocks;
  for (int i = 0; i < static_cast<int>(space.layers().size()); ++i) {
    LayerBounds b;
    const std::string where = "space '" + space.name() + "': layer " + std::to_string(i);
    for (const Json& t : space.layer_choices(i, DecisionKind::kType)) {
      b.types.push_back(space::parse_block_type(t.get<std::string>(), where + " type"));
    }
    bool skip = has_type(b, BlockType::kSkip);
    bool computes = !(skip && b.types.size() == 1);
    std::set<int> out_set;
    if (computes) {
      for (int f : filter_choices(space, i)) out_set.insert(f);
    }
    if (skip) out_set.insert(in_set.begin(), in_set.end());
    b.max_in = *in_set.rbegin();
    b.max_out = *out_set.rbegin();
    b.groups = defaults[i].groups;
    std::set<int> se_inputs(out_set);  // fused_ibn without expansion squeezes its output
    for (const Json& k : space.layer_choices(i, DecisionKind::kKernel)) {
      int kernel = k.get<int>();
      if (kernel % 2 == 0) throw Error(where + ": the supernet needs odd kernels, but got " + std::to_string(kernel));
      b.max_kernel = std::max(b.max_kernel, kernel);
    }
    for (const Json& e : space.layer_choices(i, DecisionKind::kExpansion)) {
      double expansion = e.get<double>();
      if (expansion == 1.0) b.fused_plain = true; else b.expands = b.fused_expanded = true;
      for (int in : in_set) {
        int expanded = space::expanded_channels(in, expansion);
        b.max_expanded = std::max(b.max_expanded, expanded);
        se_inputs.insert(expanded);
      }
    }
    bool fused = has_type(b, BlockType::kFusedInvertedBottleneck);
    b.fused_plain = b.fused_plain && fused;
    b.fused_expanded = b.fused_expanded && fused;
    for (const Json& se : space.layer_choices(i, DecisionKind::kSqueezeExcite)) b.any_se = b.any_se || se.get<bool>();
    for (int c : se_inputs) b.max_se = std::max(b.max_se, space::se_channels(c));
    bounds.push_back(b);
    in_set = out_set;
  }
  return bounds;
}

SupernetImpl::SupernetImpl(const space::SearchSpace& space, uint64_t seed)
    : space_name_(space.name()),
      bounds_(layer_bounds(space)),
      stem_spec_(space.stem()),
      head_spec_(space.head()),
      in_channels_(space.input().c),
      classes_(space.classes()) {
  torch::NoGradGuard no_grad;
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const int k = stem_spec_.kernel;
  if (k % 2 == 0) throw Error("space '" + space_name_ + "': the supernet needs an odd stem kernel, but got " + std::to_string(k));
  stem_ = make_conv("stem", {stem_spec_.filters, in_channels_, k, k}, false, gen);
  stem_bn_ = make_norm("stem_bn", stem_spec_.filters);
  layers_.resize(bounds_.size());
  for (size_t i = 0; i < bounds_.size(); ++i) {
    const LayerBounds& b = bounds_[i];
    const std::string p = "b" + std::to_string(i);
    if (has_type(b, BlockType::kInvertedBottleneck)) make_variant(p + "_ibn", BlockType::kInvertedBottleneck, false, b, gen, &layers_[i].ibn);
    if (b.fused_expanded) make_variant(p + "_fused", BlockType::kFusedInvertedBottleneck, false, b, gen, &layers_[i].fused);
    if (b.fused_plain) make_variant(p + "_fusedplain", BlockType::kFusedInvertedBottleneck, true, b, gen, &layers_[i].fused_plain);
    if (has_type(b, BlockType::kGroupConvBottleneck)) make_variant(p + "_group", BlockType::kGroupConvBottleneck, false, b, gen, &layers_[i].group);
  }
  int features = bounds_.empty() ? stem_spec_.filters : bounds_.back().max_out;
  if (head_spec_.filters > 0) {
    head_ = make_conv("head", {head_spec_.filters, features, 1, 1}, false, gen);
    head_bn_ = make_norm("head_bn", head_spec_.filters);
    features = head_spec_.filters;
  }
  auto linear = [&](const std::string& name, int out, int in, torch::Tensor* w, torch::Tensor* bias) {
    *w = register_parameter(name + "_weight", torch::empty({out, in}).normal_(0.0, 0.01, gen));
    *bias = register_parameter(name + "_bias", torch::zeros({out}));
    decayed_.push_back(*w);
    undecayed_.push_back(*bias);
  };
  if (head_spec_.hidden > 0) {
    linear("head_hidden", head_spec_.hidden, features, &hidden_w_, &hidden_b_);
    features = head_spec_.hidden;
  }
  linear("classifier", classes_, features, &classifier_w_, &classifier_b_);
}

SupernetImpl::Conv SupernetImpl::make_conv(const std::string& name, const std::vector<int64_t>& shape, bool bias,
                                           at::Generator& gen) {
  // Kaiming normal, mode fan_out (output channels x taps of the largest weights), as GraphNet.
  double fan_out = shape.size() == 5 ? double(shape[0] * shape[1] * shape[3] * shape[4])
                                     : double(shape[0] * shape[2] * shape[3]);
  Conv c;
  torch::Tensor w = torch::empty(shape).normal_(0.0, std::sqrt(2.0 / fan_out), gen);
  // 4-d weights are kept channels-last, the layout the convolutions read: a weight used whole
  // then needs no copy, and a slice's copy reads it in order.
  if (w.dim() == 4) w = w.contiguous(at::MemoryFormat::ChannelsLast);
  c.weight = register_parameter(name + "_weight", w);
  decayed_.push_back(c.weight);
  if (bias) {
    c.bias = register_parameter(name + "_bias", torch::zeros({shape[0] * (shape.size() == 5 ? shape[1] : 1)}));
    undecayed_.push_back(c.bias);
  }
  return c;
}

SupernetImpl::Norm SupernetImpl::make_norm(const std::string& name, int64_t channels) {
  Norm n;
  n.weight = register_parameter(name + "_weight", torch::ones({channels}));
  n.bias = register_parameter(name + "_bias", torch::zeros({channels}));
  undecayed_.push_back(n.weight);
  undecayed_.push_back(n.bias);
  return n;
}

void SupernetImpl::make_variant(const std::string& name, BlockType type, bool plain, const LayerBounds& b,
                                at::Generator& gen, Variant* v) {
  const int in = b.max_in, out = b.max_out, k = b.max_kernel, s = b.max_se;
  int e = std::max(b.max_expanded, b.max_in);
  auto se = [&](int channels) {
    if (!b.any_se) return;
    v->se_reduce = make_conv(name + "_se_reduce", {s, channels, 1, 1}, true, gen);
    v->se_expand = make_conv(name + "_se_expand", {channels, s, 1, 1}, true, gen);
  };
  switch (type) {
    case BlockType::kInvertedBottleneck:
      if (b.expands) {
        v->expand = make_conv(name + "_expand", {e, in, 1, 1}, false, gen);
        v->expand_bn = make_norm(name + "_expand_bn", e);
      }
      v->dw = make_conv(name + "_dw", {e, 1, k, k}, false, gen);
      v->dw_bn = make_norm(name + "_dw_bn", e);
      se(e);
      v->project = make_conv(name + "_project", {out, e, 1, 1}, false, gen);
      v->project_bn = make_norm(name + "_project_bn", out);
      break;
    case BlockType::kFusedInvertedBottleneck:
      if (plain) {
        v->conv = make_conv(name + "_conv", {out, in, k, k}, false, gen);
        v->conv_bn = make_norm(name + "_conv_bn", out);
        se(out);
        break;
      }
      v->expand = make_conv(name + "_expand", {e, in, k, k}, false, gen);
      v->expand_bn = make_norm(name + "_expand_bn", e);
      se(e);
      v->project = make_conv(name + "_project", {out, e, 1, 1}, false, gen);
      v->project_bn = make_norm(name + "_project_bn", out);
      break;
    case BlockType::kGroupConvBottleneck: {
      const int g = b.groups;
      const int eg = ceil_div(e, g), ing = ceil_div(in, g), outg = ceil_div(out, g);
      v->expand = make_conv(name + "_expand", {g, eg, ing, 1, 1}, false, gen);
      v->expand_bn = make_norm(name + "_expand_bn", g * eg);
      v->dw = make_conv(name + "_dw", {g * eg, 1, k, k}, false, gen);
      v->dw_bn = make_norm(name + "_dw_bn", g * eg);
      se(g * eg);
      v->project = make_conv(name + "_project", {g, outg, eg, 1, 1}, false, gen);
      v->project_bn = make_norm(name + "_project_bn", g * outg);
      break;
    }
    case BlockType::kSkip:
      break;
  }
}

void SupernetImpl::check_arch(const space::ArchSpec& arch) const {
  const std::string who = "supernet of space '" + space_name_ + "': arch '" + arch.name + "'";
  if (arch.blocks.size() != layers_.size()) {
    throw Error(who + " has " + std::to_string(arch.blocks.size()) + " blocks, but the space has " +
                std::to_string(layers_.size()) + " layers");
  }
  if (arch.classes != classes_ || arch.input.c != in_channels_) {
    throw Error(who + " has " + std::to_string(arch.classes) + " classes and " + std::to_string(arch.input.c) +
                " input channels, but the supernet " + std::to_string(classes_) + " and " + std::to_string(in_channels_));
  }
  const space::StemSpec& s = arch.stem;
  if (s.filters != stem_spec_.filters || s.kernel != stem_spec_.kernel || s.stride != stem_spec_.stride ||
      s.activation != stem_spec_.activation || arch.head.filters != head_spec_.filters ||
      arch.head.hidden != head_spec_.hidden || arch.head.activation != head_spec_.activation) {
    throw Error(who + ": its stem or head differs from the space's");
  }
  for (size_t i = 0; i < arch.blocks.size(); ++i) {
    if (!has_type(bounds_[i], arch.blocks[i].type)) {
      throw Error(who + ": blocks[" + std::to_string(i) + "] is " + space::block_type_name(arch.blocks[i].type) +
                  ", which is not a type choice of layer " + std::to_string(i));
    }
  }
}

SupernetImpl::BlockWeights SupernetImpl::slice_block(int index, const BlockSpec& blk, int in, SliceMode mode) const {
  const Layer& layer = layers_[index];
  const std::string what = "supernet of space '" + space_name_ + "': block " + std::to_string(index);
  const int e = space::expanded_channels(in, blk.expansion), k = blk.kernel, f = blk.filters;
  BlockWeights w;
  auto norm = [](const Norm& n, int c, torch::Tensor* wt, torch::Tensor* bias) {
    *wt = slice_vec(n.weight, c);
    *bias = slice_vec(n.bias, c);
  };
  auto se = [&](const Variant& v, int channels) {
    if (!blk.se) return;
    int s = space::se_channels(channels);
    w.se_reduce_w = slice_conv(v.se_reduce.weight, s, channels, 1, what + " se_reduce", mode);
    w.se_reduce_b = slice_vec(v.se_reduce.bias, s);
    w.se_expand_w = slice_conv(v.se_expand.weight, channels, s, 1, what + " se_expand", mode);
    w.se_expand_b = slice_vec(v.se_expand.bias, channels);
  };
  switch (blk.type) {
    case BlockType::kInvertedBottleneck: {
      const Variant& v = layer.ibn;
      if (blk.expansion != 1.0) {
        w.expand = slice_conv(v.expand.weight, e, in, 1, what + " expand", mode);
        norm(v.expand_bn, e, &w.expand_bn_w, &w.expand_bn_b);
      }
      w.dw = slice_conv(v.dw.weight, e, 1, k, what + " dw", mode);
      norm(v.dw_bn, e, &w.dw_bn_w, &w.dw_bn_b);
      se(v, e);
      w.project = slice_conv(v.project.weight, f, e, 1, what + " project", mode);
      norm(v.project_bn, f, &w.project_bn_w, &w.project_bn_b);
      break;
    }
    case BlockType::kFusedInvertedBottleneck: {
      if (blk.expansion == 1.0) {
        const Variant& v = layer.fused_plain;
        w.conv = slice_conv(v.conv.weight, f, in, k, what + " conv", mode);
        norm(v.conv_bn, f, &w.conv_bn_w, &w.conv_bn_b);
        se(v, f);
        break;
      }
      const Variant& v = layer.fused;
      w.expand = slice_conv(v.expand.weight, e, in, k, what + " expand", mode);
      norm(v.expand_bn, e, &w.expand_bn_w, &w.expand_bn_b);
      se(v, e);
      w.project = slice_conv(v.project.weight, f, e, 1, what + " project", mode);
      norm(v.project_bn, f, &w.project_bn_w, &w.project_bn_b);
      break;
    }
    case BlockType::kGroupConvBottleneck: {
      const Variant& v = layer.group;
      w.expand = slice_grouped(v.expand.weight, e, in, blk.groups, what + " expand", mode);
      norm(v.expand_bn, e, &w.expand_bn_w, &w.expand_bn_b);
      w.dw = slice_conv(v.dw.weight, e, 1, k, what + " dw", mode);
      norm(v.dw_bn, e, &w.dw_bn_w, &w.dw_bn_b);
      se(v, e);
      w.project = slice_grouped(v.project.weight, f, e, blk.groups, what + " project", mode);
      norm(v.project_bn, f, &w.project_bn_w, &w.project_bn_b);
      break;
    }
    case BlockType::kSkip:
      break;
  }
  return w;
}

torch::Tensor SupernetImpl::run_block(const torch::Tensor& x, const BlockSpec& blk, const BlockWeights& w) const {
  const bool grouped = blk.type == BlockType::kGroupConvBottleneck;
  const int groups = grouped ? blk.groups : 1;
  torch::Tensor y = x;
  if (w.expand.defined()) {
    // fused_ibn's expansion is the kxk strided conv; ibn and group_ibn expand with 1x1 convs.
    bool fused = blk.type == BlockType::kFusedInvertedBottleneck;
    y = batch_norm(conv(y, w.expand, fused ? blk.stride : 1, groups), w.expand_bn_w, w.expand_bn_b, blk.activation);
    if (grouped) {
      // ShuffleNet's shuffle as view + transpose (LibTorch 1.13 has no derivative for channel_shuffle).
      const int64_t n = y.size(0), c = y.size(1), h = y.size(2), wd = y.size(3);
      y = y.reshape({n, groups, c / groups, h, wd}).transpose(1, 2).reshape({n, c, h, wd})
              .contiguous(at::MemoryFormat::ChannelsLast);
    }
  }
  if (w.conv.defined()) {
    y = batch_norm(conv(y, w.conv, blk.stride, 1), w.conv_bn_w, w.conv_bn_b, blk.activation);
  }
  if (w.dw.defined()) {
    y = batch_norm(nn::depthwise_conv2d(y, w.dw, blk.stride), w.dw_bn_w, w.dw_bn_b, blk.activation);
  }
  if (w.se_reduce_w.defined()) {
    torch::Tensor s = y.mean({2, 3});
    s = torch::linear(s, w.se_reduce_w.flatten(1), w.se_reduce_b).relu_();
    s = torch::hardsigmoid(torch::linear(s, w.se_expand_w.flatten(1), w.se_expand_b));
    y = y * s.unsqueeze(2).unsqueeze(3);
  }
  if (w.project.defined()) y = batch_norm(conv(y, w.project, 1, groups), w.project_bn_w, w.project_bn_b);
  if (blk.stride == 1 && blk.filters == x.size(1)) y = y + x;
  return y;
}

torch::Tensor SupernetImpl::forward(const torch::Tensor& input, const space::ArchSpec& arch) {
  check_arch(arch);
  // Channels-last throughout: oneDNN's convolutions and the depthwise kernels run NHWC natively.
  torch::Tensor x = input.contiguous(at::MemoryFormat::ChannelsLast);
  torch::Tensor y = batch_norm(conv(x, stem_.weight, stem_spec_.stride, 1), stem_bn_.weight, stem_bn_.bias,
                             stem_spec_.activation);
  for (size_t i = 0; i < arch.blocks.size(); ++i) {
    const BlockSpec& blk = arch.blocks[i];
    if (blk.type == BlockType::kSkip) continue;
    y = run_block(y, blk, slice_block(static_cast<int>(i), blk, static_cast<int>(y.size(1)), SliceMode::kCompute));
  }
  int c = static_cast<int>(y.size(1));
  if (head_spec_.filters > 0) {
    torch::Tensor w = slice_conv(head_.weight, head_spec_.filters, c, 1, "supernet head", SliceMode::kCompute);
    y = batch_norm(conv(y, w, 1, 1), head_bn_.weight, head_bn_.bias, head_spec_.activation);
    c = head_spec_.filters;
  }
  y = y.mean({2, 3});
  if (head_spec_.hidden > 0) {
    // A fresh tensor: relu and relu6 may run in place.
    y = nn::activate(torch::linear(y, hidden_w_.narrow(1, 0, c), hidden_b_), head_spec_.activation, /*in_place=*/true);
    c = head_spec_.hidden;
  }
  return torch::linear(y, classifier_w_.narrow(1, 0, c), classifier_b_);
}

std::vector<std::pair<std::string, torch::Tensor>> SupernetImpl::child_weights(const space::ArchSpec& arch) {
  check_arch(arch);
  Named out;
  auto add = [&](const std::string& name, const torch::Tensor& t) {
    if (t.defined()) out.emplace_back(name, t);
  };
  add("stem.weight", stem_.weight);
  add("stem_bn.weight", stem_bn_.weight);
  add("stem_bn.bias", stem_bn_.bias);
  int c = stem_spec_.filters;
  for (size_t i = 0; i < arch.blocks.size(); ++i) {
    const BlockSpec& blk = arch.blocks[i];
    if (blk.type == BlockType::kSkip) continue;
    BlockWeights w = slice_block(static_cast<int>(i), blk, c, SliceMode::kView);
    const std::string p = space::block_prefix(static_cast<int>(i), blk.type);
    add(p + "_expand.weight", w.expand);
    add(p + "_expand_bn.weight", w.expand_bn_w);
    add(p + "_expand_bn.bias", w.expand_bn_b);
    add(p + "_conv.weight", w.conv);
    add(p + "_conv_bn.weight", w.conv_bn_w);
    add(p + "_conv_bn.bias", w.conv_bn_b);
    add(p + "_dw.weight", w.dw);
    add(p + "_dw_bn.weight", w.dw_bn_w);
    add(p + "_dw_bn.bias", w.dw_bn_b);
    add(p + "_se_reduce.weight", w.se_reduce_w);
    add(p + "_se_reduce.bias", w.se_reduce_b);
    add(p + "_se_expand.weight", w.se_expand_w);
    add(p + "_se_expand.bias", w.se_expand_b);
    add(p + "_project.weight", w.project);
    add(p + "_project_bn.weight", w.project_bn_w);
    add(p + "_project_bn.bias", w.project_bn_b);
    c = blk.filters;
  }
  if (head_spec_.filters > 0) {
    add("head.weight", slice_conv(head_.weight, head_spec_.filters, c, 1, "supernet head"));
    add("head_bn.weight", head_bn_.weight);
    add("head_bn.bias", head_bn_.bias);
    c = head_spec_.filters;
  }
  if (head_spec_.hidden > 0) {
    add("head_hidden.weight", hidden_w_.narrow(1, 0, c));
    add("head_hidden.bias", hidden_b_);
    c = head_spec_.hidden;
  }
  add("classifier.weight", classifier_w_.narrow(1, 0, c));
  add("classifier.bias", classifier_b_);
  return out;
}

}  // namespace nasctl::search
