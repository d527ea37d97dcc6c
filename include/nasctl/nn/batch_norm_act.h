#pragma once
/// Training-mode batch normalisation fused with the ReLU / ReLU6 that follows it, for channels-last
/// float32 tensors on the CPU. The unfused pair reads and writes the activation tensor about seven
/// times per step (statistics, normalise, activate; activation backward, two BN backward passes);
/// fused it is four, and BN + activation are, after the convolutions, the largest part of an
/// inverted-bottleneck network's training step. The activation's mask is recomputed from the input
/// in backward, so nothing beyond the input is saved. Statistics and gradient sums are reduced over
/// fixed blocks of rows in a fixed order: the results do not depend on the thread count.

#include <torch/torch.h>

#include "nasctl/graph/graph.h"

namespace nasctl::nn {

/// Whether batch_norm_act runs its own kernels for these arguments (float32 CPU tensors, x 4-D,
/// activation none, relu or relu6) rather than LibTorch's batch_norm followed by the activation.
bool batch_norm_act_fused(const torch::Tensor& x, graph::Activation act);

/// act(batch_norm(x)) with the statistics of this batch (training mode), for x [N, C, H, W] (any
/// memory format; a fused result is channels-last), weight and bias [C]. When running_mean and
/// running_var are defined they are updated in place as torch.nn.BatchNorm2d does (momentum,
/// unbiased variance). Differentiable in x, weight and bias.
torch::Tensor batch_norm_act(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                             graph::Activation act, double eps = 1e-5, torch::Tensor running_mean = {},
                             torch::Tensor running_var = {}, double momentum = 0.1);

/// batch_norm_act without running statistics, normalising x in place when gradients are off (a
/// validation forward: x must be a temporary nothing else reads); with gradients on, or arguments
/// batch_norm_act_fused rejects, or x not channels-last contiguous, the out-of-place batch_norm_act.
/// Returns the result (x itself when done in place).
torch::Tensor batch_norm_act_(torch::Tensor x, const torch::Tensor& weight, const torch::Tensor& bias,
                              graph::Activation act, double eps = 1e-5);

}  // namespace nasctl::nn
