// Arm NN (20.08, CpuRef) as a second reader of exported models: float32 models against LibTorch,
// int8 models against the TFLite runtime. Arm NN pads int8 tensors with zeros instead of the zero
// point, so the int8 check uses a network whose padding TFLite's SAME expresses (no PAD op).
#include <gtest/gtest.h>

#include <filesystem>

#include "export_fixtures.h"
#include "nasctl/export/quantize.h"
#include "nasctl/export/reference.h"
#include "nasctl/graph/zoo.h"
#include "tflite_runtime.h"

namespace nasctl::testing {
namespace {

std::string armnn_runner() {
  return (std::filesystem::path(NASCTL_BINARY).parent_path() / "nasctl_armnn_runner").string();
}

#define SKIP_WITHOUT_ARMNN()                                                                                 \
  do {                                                                                                       \
    if (!std::filesystem::exists(armnn_runner())) {                                                          \
      GTEST_SKIP() << "Arm NN is not installed (libarmnntfliteparser-dev, libarmnn-cpuref-backend22), so "   \
                      "nasctl_armnn_runner was not built";                                                   \
    }                                                                                                        \
  } while (0)

std::string run_armnn(const std::string& model, const std::string& input) {
  TempDir dir;
  write_file_atomic(dir.file("model.tflite"), model);
  write_file_atomic(dir.file("input.bin"), input);
  std::string command = armnn_runner() + " " + dir.file("model.tflite") + " " + dir.file("input.bin") + " " +
                        dir.file("output.bin") + " > /dev/null 2> " + dir.file("stderr.txt");
  if (std::system(command.c_str()) != 0) {
    ADD_FAILURE() << "Arm NN failed: " << read_file(dir.file("stderr.txt"));
    return "";
  }
  return read_file(dir.file("output.bin"));
}

graph::Graph zoo(const char* name, int input_size) {
  graph::ZooOptions options;
  options.input_size = input_size;
  options.classes = 10;
  return graph::zoo_model(name, options);
}

class ArmnnFloatTest : public ::testing::TestWithParam<const char*> {};

TEST_P(ArmnnFloatTest, MatchesLibTorch) {
  SKIP_WITHOUT_ARMNN();
  graph::Graph graph = zoo(GetParam(), 32);
  nn::GraphNet net = seeded_net(graph, 11);
  torch::Tensor x = seeded_input(graph, 2, 12);
  torch::NoGradGuard no_grad;
  torch::Tensor expected = net->forward(x);
  exporter::LoweredModel lowered = exporter::lower_to_tflite(net->graph(), exporter::weights_from_graph_net(*net));
  torch::Tensor nhwc = to_nhwc(x);
  std::string out = run_armnn(exporter::serialize_tflite(lowered.model),
                              std::string(static_cast<const char*>(nhwc.data_ptr()), nhwc.numel() * sizeof(float)));
  std::vector<float> v = from_bytes<float>(out);
  ASSERT_EQ(v.size(), size_t(expected.numel()));
  double diff = relative_max_diff(torch::from_blob(v.data(), expected.sizes()).clone(), expected);
  RecordProperty("max_relative_diff", scientific(diff));
  EXPECT_LE(diff, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Zoo, ArmnnFloatTest, ::testing::Values("mobilenet_v2", "mobilenet_v3_small"),
                         [](const auto& info) { return std::string(info.param); });

// int8: mobilenet_v2 at 33x33 pads only where TFLite's SAME does (every stride-2 layer sees an odd
// size), so Arm NN's PAD does not come into play.
TEST(ArmnnInt8Test, AgreesWithTfliteRuntime) {
  SKIP_WITHOUT_ARMNN();
  SKIP_WITHOUT_TFLITE_RUNTIME();
  graph::Graph graph = zoo("mobilenet_v2", 33);
  nn::GraphNet net = seeded_net(graph, 13);
  exporter::LoweredModel lowered = exporter::lower_to_tflite(net->graph(), exporter::weights_from_graph_net(*net));
  std::vector<exporter::TensorRange> ranges = exporter::observe_ranges(lowered.model, {seeded_input(graph, 32, 14)});
  exporter::Model model = exporter::quantize_int8(lowered.model, ranges);
  for (const exporter::Operator& op : model.operators) ASSERT_NE(op.op, exporter::BuiltinOp::kPad);
  torch::Tensor x = to_nhwc(seeded_input(graph, 16, 15));
  const exporter::Tensor& in = model.tensors[model.inputs[0]];
  torch::Tensor q = (torch::round(x / in.quant.scale[0]) + double(in.quant.zero_point[0])).clamp(-128, 127).to(torch::kInt8);
  std::string input(static_cast<const char*>(q.data_ptr()), q.numel());
  std::string bytes = exporter::serialize_tflite(model);
  std::string armnn = run_armnn(bytes, input), tflite = run_tflite(bytes, input);
  ASSERT_EQ(armnn.size(), tflite.size());
  ASSERT_EQ(armnn.size(), size_t(16 * 10));
  torch::Tensor a = torch::from_blob(armnn.data(), {16, 10}, torch::kInt8).to(torch::kInt32);
  torch::Tensor b = torch::from_blob(tflite.data(), {16, 10}, torch::kInt8).to(torch::kInt32);
  int max_steps = (a - b).abs().max().item<int>();
  RecordProperty("max_quantized_steps", std::to_string(max_steps));
  EXPECT_LE(max_steps, 2) << "outputs differ by more than rounding";
  EXPECT_GT(b.max().item<int>() - b.min().item<int>(), 20) << "degenerate outputs prove nothing";
}

}  // namespace
}  // namespace nasctl::testing
