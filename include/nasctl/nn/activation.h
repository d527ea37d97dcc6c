#pragma once
/// What each graph::Activation computes on a tensor of any layout: the one definition that GraphNet,
/// the fused BatchNorm kernels and the search's supernet share.

#include <torch/torch.h>

#include "nasctl/graph/graph.h"

namespace nasctl::nn {

/// Applies activation `a` to `x` (kNone: returns x). With `in_place`, ReLU and ReLU6 overwrite `x`
/// (for a freshly computed tensor nothing else holds); the values are the same either way.
torch::Tensor activate(torch::Tensor x, graph::Activation a, bool in_place = false);

}  // namespace nasctl::nn
