#pragma once
// Depthwise convolution (groups == channels, one filter per channel) with direct CPU kernels for
// the forward pass and both gradients. LibTorch 1.13's CPU backward of depthwise convolutions costs
// several times its forward (oneDNN's generic grouped path), and depthwise convolutions dominate the
// supernet step. These kernels compute in channels-last (NHWC) memory, where the inner loop runs
// over the channels: contiguous and vectorised. Float32 on the CPU; other devices and dtypes fall
// back to at::conv2d.

#include <torch/torch.h>

namespace nasctl::search {

/// y = conv2d(x, w, stride, padding = (k - 1) / 2, groups = C) for x [N, C, H, W] (any memory
/// format; the result is channels-last), w [C, 1, k, k] (odd k), differentiable in x and w.
/// Deterministic: every output element and every weight gradient is summed in a fixed order,
/// whatever the thread count.
torch::Tensor depthwise_conv2d(const torch::Tensor& x, const torch::Tensor& w, int stride);

}  // namespace nasctl::search
