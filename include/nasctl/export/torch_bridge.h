#pragma once
/// The exporter's LibTorch-facing helpers: weights out of a live GraphNet (tests, the trainer's
/// export at the end of a run) and tensors to host copies.

#include <torch/torch.h>

#include "nasctl/export/weights.h"
#include "nasctl/nn/graph_net.h"

namespace nasctl::exporter {

/// A CPU float32 copy of `t` in its own layout.
HostTensor to_host(const torch::Tensor& t);

/// Every node's parameters and BatchNorm running statistics of `net`, by node id.
NodeWeights weights_from_graph_net(nn::GraphNetImpl& net);

}  // namespace nasctl::exporter
