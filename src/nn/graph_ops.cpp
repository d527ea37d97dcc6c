#include "nn/graph_ops.h"

#include "nasctl/nn/depthwise.h"

#include <limits>

namespace nasctl::nn::ops {
namespace F = torch::nn::functional;
using graph::Activation;
using graph::Node;
using graph::Padding;

namespace {

AxisPadding axis_padding(int in, int kernel, int stride, Padding padding) {
  AxisPadding p;
  if (padding == Padding::kValid) {
    p.out = (in - kernel) / stride + 1;
    return p;
  }
  p.out = (in + stride - 1) / stride;
  int total = std::max((p.out - 1) * stride + kernel - in, 0);
  p.before = (kernel - 1) / 2;
  p.after = total - p.before;
  return p;
}

// Crops the spatial dims of `y` to the Graph's output (symmetric padding may give one more).
torch::Tensor crop(const torch::Tensor& y, const AxisPadding& h, const AxisPadding& w) {
  torch::Tensor out = y;
  if (out.size(2) > h.out) out = out.narrow(2, 0, h.out);
  if (out.size(3) > w.out) out = out.narrow(3, 0, w.out);
  return out;
}

torch::Tensor pad_explicit(const torch::Tensor& x, const AxisPadding& h, const AxisPadding& w, double value) {
  // Either axis may have after < before here; negative F::pad amounts crop, which is what the
  // Graph's padding means for that side.
  return F::pad(x, F::PadFuncOptions({w.before, w.after, h.before, h.after}).value(value));
}

}  // namespace

AxisPadding padding_h(const Node& n) {
  return axis_padding(n.input_shapes.at(0).h, n.kernel_h, n.stride_h, n.padding);
}
AxisPadding padding_w(const Node& n) {
  return axis_padding(n.input_shapes.at(0).w, n.kernel_w, n.stride_w, n.padding);
}

torch::Tensor conv(const Node& n, torch::nn::Conv2dImpl& conv, const torch::Tensor& x, bool direct_depthwise) {
  AxisPadding h = padding_h(n), w = padding_w(n);
  const int64_t k = n.kernel_h;
  if (direct_depthwise && n.op == graph::Op::kDepthwiseConv2d && !conv.options.bias() && n.kernel_w == k &&
      n.stride_h == n.stride_w && h.symmetric_ok() && w.symmetric_ok() && h.before == (k - 1) / 2 &&
      w.before == (k - 1) / 2 && depthwise_kernels_apply(x, conv.weight)) {
    return crop(depthwise_conv2d(x, conv.weight, n.stride_h), h, w);
  }
  torch::Tensor input = x;
  std::vector<int64_t> padding = {h.before, w.before};
  if (!h.symmetric_ok() || !w.symmetric_ok()) {
    input = pad_explicit(x, h, w, 0.0);
    padding = {0, 0};
  }
  torch::Tensor y = torch::conv2d(input, conv.weight, conv.options.bias() ? conv.bias : torch::Tensor(),
                                  {n.stride_h, n.stride_w}, padding, {1, 1}, n.groups);
  return crop(y, h, w);
}

torch::Tensor pool(const Node& n, const torch::Tensor& x) {
  AxisPadding h = padding_h(n), w = padding_w(n);
  std::vector<int64_t> kernel = {n.kernel_h, n.kernel_w}, stride = {n.stride_h, n.stride_w};
  bool symmetric = h.symmetric_ok() && w.symmetric_ok();
  if (n.op == graph::Op::kMaxPool2d) {
    if (symmetric) return crop(torch::max_pool2d(x, kernel, stride, {h.before, w.before}), h, w);
    double lowest = -std::numeric_limits<double>::infinity();
    return crop(torch::max_pool2d(pad_explicit(x, h, w, lowest), kernel, stride, {0, 0}), h, w);
  }
  if (symmetric) {
    return crop(torch::avg_pool2d(x, kernel, stride, {h.before, w.before}, /*ceil_mode=*/false,
                                  /*count_include_pad=*/false),
                h, w);
  }
  // Asymmetric padding excluded from the count: window sums of the zero-padded input divided by
  // window sums of a padded mask of ones.
  torch::Tensor sums = torch::avg_pool2d(pad_explicit(x, h, w, 0.0), kernel, stride);
  torch::Tensor mask = torch::ones({1, 1, x.size(2), x.size(3)}, x.options());
  torch::Tensor counts = torch::avg_pool2d(pad_explicit(mask, h, w, 0.0), kernel, stride);
  return crop(sums / counts, h, w);
}

torch::Tensor flatten_nhwc(const torch::Tensor& x) {
  return x.permute({0, 2, 3, 1}).reshape({x.size(0), -1});
}

torch::Tensor reshape_nhwc(const torch::Tensor& x, const graph::Shape& target) {
  return x.permute({0, 2, 3, 1}).reshape({x.size(0), target.h, target.w, target.c}).permute({0, 3, 1, 2});
}

torch::Tensor channel_shuffle(const torch::Tensor& x, int groups) {
  int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.view({n, groups, c / groups, h, w}).transpose(1, 2).reshape({n, c, h, w});
}

}  // namespace nasctl::nn::ops
