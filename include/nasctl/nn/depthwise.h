#pragma once
/// Depthwise convolution (groups == channels, one filter per channel) with direct CPU kernels for
/// the forward pass and both gradients. In NCHW, LibTorch 1.13's CPU depthwise backward costs several
/// times its forward; in channels-last oneDNN's kernels are fast except on tiny maps (late layers at
/// small inputs), where nearly every tap falls in the padding. Depthwise convolutions dominate
/// inverted-bottleneck networks (GraphNet in channels-last mode, the search supernet). These kernels
/// compute in channels-last (NHWC) memory, where the inner loop runs over the channels: blocks of 8
/// channels x 4 output columns keep their sums in registers over all taps. Float32 on the CPU;
/// other devices and dtypes fall back to at::conv2d.

#include <torch/torch.h>

namespace nasctl::nn {

/// Whether the direct kernels compute depthwise_conv2d(x, w, ...): float32 CPU tensors, x 4-D,
/// w [C, 1, k, k] with odd k and C = x's channels (otherwise it falls back to at::conv2d).
bool depthwise_kernels_apply(const torch::Tensor& x, const torch::Tensor& w);

/// y = conv2d(x, w, stride, padding = (k - 1) / 2, groups = C) for x [N, C, H, W] (any memory
/// format; the result is channels-last), w [C, 1, k, k] (odd k), differentiable in x and w. Small
/// output maps (at most 4x4) run on the direct kernels, larger ones on oneDNN's channels-last
/// depthwise convolution, whichever is faster for the shape. Deterministic for a fixed thread count.
torch::Tensor depthwise_conv2d(const torch::Tensor& x, const torch::Tensor& w, int stride);

/// The same on the direct kernels whenever depthwise_kernels_apply(x, w), whatever the shape.
/// Every output element and every weight gradient is summed in a fixed order, whatever the
/// thread count.
torch::Tensor depthwise_conv2d_direct(const torch::Tensor& x, const torch::Tensor& w, int stride);

}  // namespace nasctl::nn
