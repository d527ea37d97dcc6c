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

// Every graph op and activation, with the padding cases TFLite's SAME cannot express.
inline graph::Graph every_op_graph() {
  graph::GraphBuilder b("every_op", {16, 16, 3});
  std::string x = b.conv_bn("input", 16, 3, 2, graph::Activation::kRelu6);              // stride 2, even: PAD + VALID
  std::string d = b.depthwise_bn(x, 5, 1, graph::Activation::kHardSwish);                // HARD_SWISH
  std::string g = b.conv(d, 16, 1, 1, graph::Activation::kNone, graph::Padding::kSame, 4);     // grouped: SPLIT + CONCAT
  std::string s = b.channel_shuffle(g, 4);
  std::string bn = b.batch_norm(s, graph::Activation::kSwish);                           // standalone BN
  std::string mp = b.max_pool(bn, 3, 2);                                          // swish can be < 0: PADV2
  std::string ap = b.avg_pool(mp, 3, 2);                                          // excluded padding: MUL map
  std::string se = b.global_avg_pool(ap);
  se = b.conv(se, 8, 1, 1, graph::Activation::kRelu, graph::Padding::kSame, 1, true);
  se = b.conv(se, 16, 1, 1, graph::Activation::kHardSigmoid, graph::Padding::kSame, 1, true);  // bias +3, RELU6, MUL
  std::string scaled = b.mul(ap, se);
  std::string sig = b.activation(scaled, graph::Activation::kSigmoid);
  std::string hs = b.activation(scaled, graph::Activation::kHardSigmoid);                // ADD + RELU6, MUL
  std::string sum = b.add({scaled, sig, hs}, graph::Activation::kRelu);                  // ADD chain
  std::string cat = b.concat({sum, scaled, sig});                               // sigmoid: requantized
  std::string padded = b.pad(cat, 1, 0, 0, 1);
  std::string pooled = b.max_pool(padded, 2, 1, graph::Padding::kValid);
  std::string flat = b.flatten(pooled);
  std::string fc = b.fully_connected(flat, 24, graph::Activation::kNone, false);
  std::string fbn = b.batch_norm(fc, graph::Activation::kRelu);                          // folded into the FC
  std::string logits = b.fully_connected(fbn, 10);
  std::string probs = b.softmax(logits);
  return b.build(std::vector<std::string>{logits, probs});
}

}  // namespace nasctl::testing
