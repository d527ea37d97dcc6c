// GraphNet of every zoo network: parameter counts equal the Graph's (and torchvision's for
// mobilenet_v2), every node's output shape equals the Graph's inferred shape, a training step works.
#include <gtest/gtest.h>

#include <map>

#include "nasctl/graph/zoo.h"
#include "nasctl/nn/graph_net.h"

namespace nasctl::nn {
namespace {

TEST(GraphNetZoo, MobileNetV2HasTorchvisionsParameterCountAndOutputShape) {
  GraphNet net(graph::zoo_model("mobilenet_v2"));
  EXPECT_EQ(count_parameters(*net), 3504872);  // torchvision.models.mobilenet_v2()
  net->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(net->forward(torch::randn({1, 3, 224, 224})).sizes(), (std::vector<int64_t>{1, 1000}));
}

TEST(GraphNetZoo, TrainingStepOnA64PixelBatchChangesTheWeights) {
  graph::ZooOptions o;
  o.input_size = 64;
  o.classes = 10;
  GraphNet net(graph::zoo_model("mobilenet_v2", o));
  std::map<std::string, torch::Tensor> before;
  for (const auto& item : net->named_parameters()) before[item.key()] = item.value().clone();
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
  torch::manual_seed(0);
  torch::Tensor logits = net->forward(torch::randn({2, 3, 64, 64}));
  ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{2, 10}));
  torch::nn::functional::cross_entropy(logits, torch::tensor({3, 7})).backward();
  sgd.step();
  int changed = 0;
  for (const auto& item : net->named_parameters()) changed += !torch::equal(before[item.key()], item.value());
  EXPECT_EQ(changed, static_cast<int>(before.size()));
}

// Every zoo network at a small input: counts and shapes agree with the Graph, node by node.
TEST(GraphNetZoo, EveryNetworkMatchesItsGraphShapesAndCounts) {
  for (const graph::ZooEntry& entry : graph::zoo_entries()) {
    graph::ZooOptions o;
    o.input_size = std::max(entry.min_input_size, 32);
    o.classes = 10;
    graph::Graph g = graph::zoo_model(entry.name, o);
    GraphNet net(g);
    EXPECT_EQ(count_parameters(*net), g.stats().params) << entry.name;
    net->eval();
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> values = net->forward_every_node(torch::randn({1, 3, g.input.h, g.input.w}));
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const graph::Shape& s = g.nodes[i].output;
      ASSERT_EQ(values[i].sizes(), (std::vector<int64_t>{1, s.c, s.h, s.w})) << entry.name << " node " << g.nodes[i].id;
    }
  }
}

}  // namespace
}  // namespace nasctl::nn
