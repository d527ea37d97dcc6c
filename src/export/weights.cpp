// Checkpoints and GraphNets -> NodeWeights (the only place the exporter touches TensorArchive).
#include "nasctl/export/weights.h"

#include "nasctl/core/error.h"
#include "nasctl/export/torch_bridge.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/nn/graph_net.h"
#include "nasctl/nn/tensor_archive.h"

namespace nasctl::exporter {

HostTensor to_host(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  HostTensor h;
  h.shape = c.sizes().vec();
  h.values.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return h;
}

NodeWeights weights_from_graph_net(nn::GraphNetImpl& net) {
  NodeWeights weights;
  for (const graph::Node& n : net.graph().nodes) {
    std::shared_ptr<torch::nn::Module> module = net.node_module(n.id);
    if (!module) continue;
    auto& params = weights[n.id];
    for (const auto& p : module->named_parameters(/*recurse=*/false)) params[p.key()] = to_host(p.value());
    for (const auto& b : module->named_buffers(/*recurse=*/false)) {
      if (b.key() == "num_batches_tracked") continue;
      params[b.key()] = to_host(b.value());
    }
  }
  return weights;
}

NodeWeights initial_weights(const graph::Graph& graph, uint64_t seed) {
  nn::GraphNetOptions options;
  options.seed = seed;
  nn::GraphNet net(graph, options);
  return weights_from_graph_net(*net);
}

namespace {

bool has_prefix(const nn::TensorArchive& archive, const std::string& prefix) {
  for (const auto& [name, tensor] : archive.tensors) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

Checkpoint load_checkpoint(const std::string& path, const graph::Graph* network, const CheckpointOptions& options) {
  nn::TensorArchive archive = nn::load_archive(path);
  Checkpoint ck;
  ck.meta = archive.meta;
  if (network) {
    ck.graph = *network;
  } else if (archive.meta.contains("graph") && archive.meta["graph"].is_object()) {
    ck.graph = graph::graph_from_json(archive.meta["graph"], path + ": graph");
  } else {
    throw Error(path + ": the checkpoint holds no \"graph\"; name the network with --model, --graph or --arch");
  }
  if (!ck.graph.finalized()) ck.graph.finalize();
  bool has_ema = has_prefix(archive, "ema.");
  switch (options.weights) {
    case WeightSet::kAuto: ck.weight_set = has_ema ? "ema" : "model"; break;
    case WeightSet::kModel: ck.weight_set = "model"; break;
    case WeightSet::kEma:
      if (!has_ema) throw Error(path + ": --weights ema, but the checkpoint has no EMA weights (\"ema.*\")");
      ck.weight_set = "ema";
      break;
  }
  nn::GraphNet net(ck.graph);
  nn::load_module_state(archive, *net, path, ck.weight_set + ".");
  ck.weights = weights_from_graph_net(*net);
  return ck;
}

}  // namespace nasctl::exporter
