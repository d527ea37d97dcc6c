#pragma once
/// GraphNet: a trainable torch::nn module built from any Graph, executed in topological order.
///
/// Layout: NCHW float tensors inside (LibTorch's native layout); a network whose output is 1x1xC
/// returns [N, C] logits. Parameters are registered per node id ("conv_3.weight", "bn_4.bias",
/// "bn_4.running_mean", ...), so checkpoints, the exporter and BN folding address them by node.
/// Reshape/flatten permute to NHWC first, so that graph semantics (NHWC element order) hold.

#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "nasctl/graph/graph.h"

namespace nasctl::nn {

struct GraphNetOptions {
  /// Dropout probability applied to the input of the last fully_connected node; default 0.
  double dropout = 0.0;
  /// Seed of the deterministic initialisation; default 0.
  uint64_t seed = 0;
  /// BatchNorm momentum (PyTorch convention); default 0.1.
  double bn_momentum = 0.1;
};

class GraphNetImpl : public torch::nn::Module {
 public:
  /// Builds the modules of `graph` (finalized if it is not) and initialises them from `seed`:
  /// convs Kaiming-normal (fan_out), BN gamma 1 / beta 0, linear N(0, 0.01), biases 0.
  explicit GraphNetImpl(graph::Graph graph, GraphNetOptions options = {});

  /// x: [N, C, H, W] float. Returns the first graph output ([N, C] for 1x1xC outputs).
  torch::Tensor forward(torch::Tensor x);
  /// Every graph output, in Graph::outputs order.
  std::vector<torch::Tensor> forward_all(torch::Tensor x);

  const graph::Graph& graph() const { return graph_; }
  /// Registered name of a node's module (node id with '.' replaced by '_').
  static std::string module_name(const std::string& node_id);

  void pretty_print(std::ostream& stream) const override;

 private:
  graph::Graph graph_;
  GraphNetOptions options_;
  std::vector<std::shared_ptr<torch::nn::Module>> modules_;  // per node (nullptr for parameter-free ops)
  torch::nn::Dropout dropout_{nullptr};
  int last_fc_ = -1;
};
TORCH_MODULE(GraphNet);

/// Number of trainable parameters, counted as LibTorch counts them.
int64_t count_parameters(torch::nn::Module& module);

}  // namespace nasctl::nn
