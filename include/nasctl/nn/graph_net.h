#pragma once
/// GraphNet: a trainable torch::nn module built from any Graph, executed in topological order.
///
/// Layout: NCHW float tensors inside (LibTorch's native layout); a network whose output is 1x1xC
/// returns [N, C] logits. Parameters are registered per node id ("conv_3.weight", "bn_4.bias",
/// "bn_4.running_mean", ...), so checkpoints, the exporter and BN folding address them by node.
/// Reshape/flatten permute to NHWC first, so that graph semantics (NHWC element order) hold.
/// "same" padding is the Graph's: (k - 1) / 2 before, output ceil(in / stride) (extra padding
/// after, explicit where PyTorch's symmetric padding cannot express it); avg pools exclude the
/// padding from the count (count_include_pad = false), as TFLite does; max pools pad with -inf.
/// Every node's output shape equals the Graph's inferred shape.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nasctl/graph/graph.h"

namespace nasctl::nn {

struct GraphNetOptions {
  /// Dropout probability applied to the input of the last fully_connected node; default 0.
  double dropout = 0.0;
  /// Seed of the deterministic initialisation; default 0.
  uint64_t seed = 0;
  /// BatchNorm momentum (PyTorch convention); default 0.1.
  double bn_momentum = 0.1;
  /// Keep conv weights and activations in channels-last (NHWC) memory. Results are the same;
  /// oneDNN's CPU convolutions (and their backward) run 2-3x faster on it. Tensors then have
  /// NHWC strides: call .contiguous() before reading raw data. Default false (the trainer turns
  /// it on).
  bool channels_last = false;
};

class GraphNetImpl : public torch::nn::Module {
 public:
  /// Builds the modules of `graph` (finalized if it is not) and initialises them from `seed`, on
  /// the CPU with a private generator (so the weights depend only on the graph and the seed, not on
  /// the device or on other code drawing random numbers), node by node in topological order:
  /// convs Kaiming-normal (fan_out = out_channels x kh x kw, as torchvision), BN gamma 1 / beta 0,
  /// fully_connected N(0, 0.01), biases 0.
  explicit GraphNetImpl(graph::Graph graph, GraphNetOptions options = {});

  /// x: [N, C, H, W] float. Returns the first graph output ([N, C] for 1x1xC outputs).
  torch::Tensor forward(torch::Tensor x);
  /// Every graph output, in Graph::outputs order.
  std::vector<torch::Tensor> forward_all(torch::Tensor x);
  /// The output of every node, indexed like Graph::nodes, in NCHW (1x1xC vectors as [N, C, 1, 1]).
  /// For tests and for calibrating activation ranges (int8 export); keeps every activation alive.
  std::vector<torch::Tensor> forward_every_node(torch::Tensor x);

  /// The module of node `id` (torch::nn::Conv2d, BatchNorm2d or Linear), or nullptr for ops
  /// without parameters. Throws Error when the graph has no node `id`.
  std::shared_ptr<torch::nn::Module> node_module(const std::string& id) const;

  const graph::Graph& graph() const { return graph_; }
  /// Registered name of a node's module (node id with '.' replaced by '_').
  static std::string module_name(const std::string& node_id);

  void pretty_print(std::ostream& stream) const override;

 private:
  graph::Graph graph_;
  GraphNetOptions options_;
  std::vector<torch::Tensor> run(torch::Tensor x, bool keep_all);
  torch::Tensor run_node(size_t index, const std::vector<torch::Tensor>& inputs);

  std::vector<std::shared_ptr<torch::nn::Module>> modules_;  // per node (nullptr for parameter-free ops)
  std::vector<int> last_use_;  // per node: index of the last node reading it (outputs: nodes.size())
  torch::nn::Dropout dropout_{nullptr};
  int last_fc_ = -1;
};
TORCH_MODULE(GraphNet);

/// Number of trainable parameters, counted as LibTorch counts them.
int64_t count_parameters(torch::nn::Module& module);

}  // namespace nasctl::nn
