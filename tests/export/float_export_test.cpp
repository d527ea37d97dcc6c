// float32 export against LibTorch: the lowered model in the reference interpreter and in the real
// TFLite runtime computes what GraphNet computes.
#include <gtest/gtest.h>

#include "export_fixtures.h"
#include "nasctl/export/quantize.h"
#include "nasctl/export/reference.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/search_space.h"

#include <random>
#include "tflite_runtime.h"

namespace nasctl::testing {
namespace {

using exporter::lower_to_tflite;
using graph::Activation;
using graph::GraphBuilder;
using graph::Padding;

void expect_reference_matches_graph_net(const graph::Graph& graph, uint64_t seed, double tolerance) {
  nn::GraphNet net = seeded_net(graph, seed);
  torch::Tensor x = seeded_input(graph, 4, seed);
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> expected = net->forward_all(x);
  exporter::LoweredModel lowered = lower_to_tflite(net->graph(), exporter::weights_from_graph_net(*net));
  std::vector<torch::Tensor> got = exporter::run_reference(lowered.model, to_nhwc(x));
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    torch::Tensor want = expected[i].dim() == 4 ? to_nhwc(expected[i]) : expected[i];
    EXPECT_LE(relative_max_diff(got[i].reshape(want.sizes()), want), tolerance) << graph.name << " output " << i;
  }
}

TEST(LoweringTest, ReferenceInterpreterMatchesGraphNetOnEveryOp) {
  expect_reference_matches_graph_net(every_op_graph(), 1, 1e-5);
}

// Runs `graph` with seeded weights in LibTorch and in the TFLite runtime; returns max relative diff.
double tflite_vs_graph_net(const graph::Graph& graph, uint64_t seed, int samples,
                           const exporter::LoweringOptions& options = {}) {
  nn::GraphNet net = seeded_net(graph, seed);
  torch::Tensor x = seeded_input(graph, samples, seed);
  torch::NoGradGuard no_grad;
  torch::Tensor expected = net->forward(x);
  exporter::LoweredModel lowered = lower_to_tflite(net->graph(), exporter::weights_from_graph_net(*net), options);
  torch::Tensor nhwc = to_nhwc(x);
  std::string out = run_tflite(exporter::serialize_tflite(lowered.model),
                               std::string(static_cast<const char*>(nhwc.data_ptr()), nhwc.numel() * sizeof(float)));
  std::vector<float> values = from_bytes<float>(out);
  // The first output of every sample (a model with two outputs writes both per sample).
  int64_t per_sample = values.size() / samples;
  torch::Tensor all = torch::from_blob(values.data(), {samples, per_sample}).clone();
  torch::Tensor want = expected.dim() == 4 ? to_nhwc(expected).reshape({samples, -1}) : expected;
  torch::Tensor got = all.narrow(1, 0, want.size(1));
  return relative_max_diff(got, want);
}

TEST(FloatExportTest, EveryOpMatchesLibTorchInTfliteRuntime) {
  SKIP_WITHOUT_TFLITE_RUNTIME();
  double diff = tflite_vs_graph_net(every_op_graph(), 2, 3);
  RecordProperty("max_relative_diff", scientific(diff));
  EXPECT_LE(diff, 1e-4);
  exporter::LoweringOptions decomposed;
  decomposed.decompose_hard_swish = true;
  double diff_decomposed = tflite_vs_graph_net(every_op_graph(), 2, 3, decomposed);
  RecordProperty("max_relative_diff_decomposed_hard_swish", scientific(diff_decomposed));
  EXPECT_LE(diff_decomposed, 1e-4);
}

// The same graph as a full-integer model: the runtime accepts every int8 op (kernels check the
// quantization of LOGISTIC / SOFTMAX outputs, concatenation and pool inputs, bias scales) and the
// dequantized outputs follow the float network.
TEST(Int8EveryOpTest, RunsInTfliteRuntimeCloseToFloat) {
  SKIP_WITHOUT_TFLITE_RUNTIME();
  graph::Graph graph = every_op_graph();
  nn::GraphNet net = seeded_net(graph, 2);
  exporter::LoweredModel lowered = lower_to_tflite(net->graph(), exporter::weights_from_graph_net(*net));
  std::vector<exporter::TensorRange> ranges = exporter::observe_ranges(lowered.model, {seeded_input(graph, 32, 3)});
  exporter::QuantizeOptions qo;
  qo.io_type = exporter::IoType::kFloat32;
  exporter::Model model = exporter::quantize_int8(lowered.model, ranges, qo);
  // The sigmoid output (fixed scale 1/256) joins a concatenation of wider range through a requantize.
  int requantize = 0;
  for (const exporter::Operator& op : model.operators) {
    requantize += op.op == exporter::BuiltinOp::kQuantize && model.tensors[op.inputs[0]].type == exporter::TensorType::kInt8;
  }
  EXPECT_EQ(requantize, 1);
  const int samples = 8;
  torch::Tensor x = seeded_input(graph, samples, 4);
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> expected = net->forward_all(x);
  torch::Tensor nhwc = to_nhwc(x);
  std::string out = run_tflite(exporter::serialize_tflite(model),
                               std::string(static_cast<const char*>(nhwc.data_ptr()), nhwc.numel() * sizeof(float)));
  std::vector<float> values = from_bytes<float>(out);
  ASSERT_EQ(values.size(), size_t(samples * 20));
  torch::Tensor all = torch::from_blob(values.data(), {samples, 20}).clone();
  double logits = relative_max_diff(all.narrow(1, 0, 10), expected[0]);
  double probs = (all.narrow(1, 10, 10) - expected[1]).abs().max().item<double>();
  RecordProperty("logits_max_relative_diff", scientific(logits));
  RecordProperty("softmax_max_abs_diff", scientific(probs));
  EXPECT_LE(logits, 0.05);
  EXPECT_LE(probs, 0.05);
}

struct ZooCase {
  const char* name;
  int input_size;
};

class ZooFloatExportTest : public ::testing::TestWithParam<ZooCase> {};

TEST_P(ZooFloatExportTest, MatchesLibTorchInTfliteRuntime) {
  SKIP_WITHOUT_TFLITE_RUNTIME();
  graph::ZooOptions options;
  options.input_size = GetParam().input_size;
  options.classes = 10;
  graph::Graph graph = graph::zoo_model(GetParam().name, options);
  double diff = tflite_vs_graph_net(graph, 3, 2);
  RecordProperty("max_relative_diff", scientific(diff));
  EXPECT_LE(diff, 1e-4) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooFloatExportTest,
                         ::testing::Values(ZooCase{"mobilenet_v2", 32}, ZooCase{"mobilenet_v3_small", 32},
                                           ZooCase{"squeezenet", 64}, ZooCase{"inception_v1", 64},
                                           ZooCase{"mnasnet_a1", 32}, ZooCase{"densenet121", 32}),
                         [](const auto& info) { return std::string(info.param.name); });

// A network sampled from a shipped search space, lowered from its ArchSpec.
TEST(FloatExportTest, SearchedArchitectureMatchesLibTorchInTfliteRuntime) {
  SKIP_WITHOUT_TFLITE_RUNTIME();
  for (const char* space_name : {"edgetpu", "mobilenet_v3_like"}) {
    space::SearchSpace space = space::SearchSpace::load(space_name);
    std::mt19937_64 rng(7);
    space::ArchSpec arch = space.decode(space.sample(rng));
    arch.input = {32, 32, 3};
    arch.classes = 10;
    graph::Graph graph = space::lower(arch);
    double diff = tflite_vs_graph_net(graph, 4, 2);
    RecordProperty(std::string("max_relative_diff_") + space_name, scientific(diff));
    EXPECT_LE(diff, 1e-4) << space_name;
  }
}

}  // namespace
}  // namespace nasctl::testing
