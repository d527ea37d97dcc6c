#pragma once
// The parameter-free parts of GraphNet's ops on NCHW tensors (activations: nasctl/nn/activation.h): the Graph's "same"
// padding for convolutions and pools, reshape in NHWC order, channel shuffle.

#include <torch/torch.h>

#include "nasctl/graph/graph.h"

namespace nasctl::nn::ops {

/// Padding of one window op on one axis: `before` + `after` (after may be < before; PyTorch then
/// pads `before` on both sides and the extra outputs are cropped), output size `out`.
struct AxisPadding {
  int before = 0;
  int after = 0;
  int out = 0;
  /// PyTorch's symmetric padding reaches the Graph's output (possibly after cropping).
  bool symmetric_ok() const { return after <= before; }
};

/// Padding of node `n` along height and width for its (first) input shape.
AxisPadding padding_h(const graph::Node& n);
AxisPadding padding_w(const graph::Node& n);

/// Convolution of node `n` with `conv`'s weights, honouring the Graph's padding. With
/// `direct_depthwise`, depthwise convolutions that nn::depthwise_conv2d covers run on its kernels
/// (the result is then channels-last).
torch::Tensor conv(const graph::Node& n, torch::nn::Conv2dImpl& conv, const torch::Tensor& x,
                   bool direct_depthwise = false);
/// max_pool2d / avg_pool2d of node `n` (avg excludes padding from the count).
torch::Tensor pool(const graph::Node& n, const torch::Tensor& x);
/// Reshape [N, C, H, W] to the NHWC `target` (element order of NHWC), back in NCHW.
torch::Tensor reshape_nhwc(const torch::Tensor& x, const graph::Shape& target);
/// [N, C, H, W] flattened in NHWC order: [N, H * W * C].
torch::Tensor flatten_nhwc(const torch::Tensor& x);
/// ShuffleNet's channel shuffle with `groups` groups.
torch::Tensor channel_shuffle(const torch::Tensor& x, int groups);

}  // namespace nasctl::nn::ops
