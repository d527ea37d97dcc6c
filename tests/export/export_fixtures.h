#pragma once
// Shared fixtures of the export tests: seeded GraphNets with non-trivial BatchNorm statistics (so
// that folding matters), inputs, and comparisons.

#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "nasctl/export/lowering.h"
#include "nasctl/export/torch_bridge.h"
#include "nasctl/graph/builder.h"
#include "nasctl/nn/graph_net.h"
#include "support.h"

namespace nasctl::testing {

/// A GraphNet of `graph` initialised from `seed`, with random BN gamma/beta/mean/var and non-zero
/// biases, in eval mode.
inline nn::GraphNet seeded_net(const graph::Graph& graph, uint64_t seed) {
  nn::GraphNetOptions options;
  options.seed = seed;
  nn::GraphNet net(graph, options);
  torch::manual_seed(seed + 1);
  torch::NoGradGuard no_grad;
  for (const graph::Node& n : net->graph().nodes) {
    auto module = net->node_module(n.id);
    if (!module) continue;
    for (auto& p : module->named_parameters(false)) {
      if (n.op == graph::Op::kBatchNorm && p.key() == "weight") p.value().uniform_(0.5, 1.5);
      if (p.key() == "bias") p.value().normal_(0.0, 0.1);
    }
    for (auto& b : module->named_buffers(false)) {
      if (b.key() == "running_mean") b.value().normal_(0.0, 0.2);
      if (b.key() == "running_var") b.value().uniform_(0.5, 2.0);
    }
  }
  net->eval();
  return net;
}

/// Seeded N(0, 1) images [n, c, h, w] for `graph`.
inline torch::Tensor seeded_input(const graph::Graph& graph, int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  return torch::randn({n, graph.input.c, graph.input.h, graph.input.w});
}

inline torch::Tensor to_nhwc(const torch::Tensor& x) { return x.permute({0, 2, 3, 1}).contiguous(); }

/// "1.23e-07": for RecordProperty of small numbers.
inline std::string scientific(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g", value);
  return text;
}

/// max |a - b| / max |b|.
inline double relative_max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  double scale = b.abs().max().item<double>();
  return (a - b).abs().max().item<double>() / std::max(scale, 1e-12);
}

}  // namespace nasctl::testing
