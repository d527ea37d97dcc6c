// run_export / `nasctl export`: formats, model card, Edge TPU check, and every bad-input case.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "export_fixtures.h"
#include "nasctl/core/files.h"
#include "nasctl/export/calibration.h"
#include "nasctl/export/edgetpu_check.h"
#include "nasctl/export/exporter.h"
#include "nasctl/export/quantize.h"
#include "nasctl/export/reference.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/nn/tensor_archive.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/search_space.h"

namespace nasctl::testing {
namespace {

namespace fs = std::filesystem;
using graph::Activation;

graph::Graph tiny_graph(int filters = 8) {
  graph::GraphBuilder b("tiny", {8, 8, 1});
  std::string x = b.conv_bn("input", filters, 3, 2, Activation::kRelu);
  return b.build(b.fully_connected(b.global_avg_pool(x), 10));
}

// A checkpoint in the trainer's convention for `graph`.
std::string write_checkpoint(const TempDir& dir, const graph::Graph& graph, const std::string& name = "ck.nasctl") {
  nn::GraphNet net = seeded_net(graph, 1);
  nn::TensorArchive archive;
  archive.meta = {{"format", "nasctl.checkpoint"}, {"version", 1}, {"graph", graph::graph_to_json(graph)},
                  {"classes", 10}};
  nn::add_module_state(archive, *net, "model.");
  nn::save_archive(archive, dir.file(name));
  return dir.file(name);
}

int run_cli(const std::string& args, const TempDir& dir) {
  std::string command = std::string(NASCTL_BINARY) + " " + args + " > " + dir.file("out.txt") + " 2> " +
                        dir.file("err.txt");
  int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(ExportCommandTest, GraphFormatWritesGraphJson) {
  TempDir dir;
  ASSERT_EQ(run_cli("export --model mobilenet_v2 --input-size 32 --classes 10 --format graph --out " +
                        dir.file("g.json"), dir),
            0);
  graph::Graph back = graph::load_graph_file(dir.file("g.json"));
  graph::ZooOptions options;
  options.input_size = 32;
  options.classes = 10;
  graph::Graph original = graph::zoo_model("mobilenet_v2", options);
  EXPECT_EQ(back.nodes.size(), original.nodes.size());
  EXPECT_EQ(back.stats().macs, original.stats().macs);
  EXPECT_EQ(back.stats().params, original.stats().params);
}

TEST(ExportCommandTest, FloatExportFromCheckpointWritesModelAndCard) {
  TempDir dir;
  std::string ck = write_checkpoint(dir, tiny_graph());
  ASSERT_EQ(run_cli("export --checkpoint " + ck + " --out " + dir.file("m.tflite") + " --check-edgetpu --json", dir), 0)
      << read_file(dir.file("err.txt"));
  Json out = load_json_file(dir.file("out.txt"));
  EXPECT_FALSE(out["edgetpu"]["one_partition"].get<bool>()) << "a float32 model does not map";
  Json card = load_json_file(dir.file("m.json"));
  EXPECT_EQ(card["precision"], "float32");
  EXPECT_EQ(card["input"]["tensors"][0]["shape"], Json::array({1, 8, 8, 1}));
  EXPECT_EQ(card["output"]["tensors"][0]["shape"], Json::array({1, 10}));
  EXPECT_EQ(card["source"]["weights"], "model");
  EXPECT_EQ(card["latency"]["hardware"], "coral-usb3");
  exporter::Model m = exporter::parse_tflite(read_file(dir.file("m.tflite")), "m.tflite");
  EXPECT_EQ(m.tensors[m.inputs[0]].type, exporter::TensorType::kFloat32);
  EXPECT_EQ(files_in(dir.path()), (std::vector<std::string>{"ck.nasctl", "err.txt", "m.json", "m.tflite", "out.txt"}));
}

// Bad input ---------------------------------------------------------------------------------------

TEST(ExportBadInputTest, CheckpointOfAnotherArchitectureNamesTheTensor) {
  TempDir dir;
  std::string ck = write_checkpoint(dir, tiny_graph(8));
  fs::create_directories(dir.file("in"));
  write_file_atomic(dir.file("in/other.json"), graph::graph_to_json(tiny_graph(16)).dump());
  exporter::ExportOptions o;
  o.checkpoint = ck;
  o.network.graph_file = dir.file("in/other.json");
  o.out = dir.file("out/m.tflite");
  EXPECT_THROW_MSG(exporter::run_export(o), "weight' has shape [8, 1, 3, 3] in the checkpoint but [16, 1, 3, 3]");
  EXPECT_EQ(run_cli("export --checkpoint " + ck + " --graph " + dir.file("in/other.json") + " --out " +
                        dir.file("m.tflite"), dir),
            2);
  EXPECT_NE(read_file(dir.file("err.txt")).find("in the checkpoint but"), std::string::npos);
}

TEST(ExportBadInputTest, OpWithoutLoweringNamesOpAndNode) {
  graph::Graph g = tiny_graph();
  nn::GraphNet net = seeded_net(g, 1);
  exporter::NodeWeights weights = exporter::weights_from_graph_net(*net);
  // An op the lowering does not know (as a Graph op added later without teaching the exporter).
  g.nodes[1].op = static_cast<graph::Op>(99);
  EXPECT_THROW_MSG(exporter::lower_to_tflite(g, weights), "node '" + g.nodes[1].id + "': op '?' (#99) has no TFLite lowering");
}

TEST(ExportBadInputTest, CalibrationDataOfTheWrongShape) {
  exporter::LoweredModel lowered = exporter::lower_to_tflite(tiny_graph(), exporter::initial_weights(tiny_graph(), 0));
  EXPECT_THROW_MSG(exporter::observe_ranges(lowered.model, {torch::zeros({4, 3, 8, 8})}),
                   "calibration batch 0 has shape [4, 3, 8, 8], but the network takes [N, 1, 8, 8]");
  exporter::CalibrationOptions c;
  c.data = "fashion-mnist";
  c.batches = 1;
  c.transform.input_size = 28;  // a checkpoint whose preprocessing disagrees with the network
  c.transform.channels = 1;
  c.has_transform = true;
  EXPECT_THROW_MSG(exporter::calibrate(lowered.model, c),
                   "the preprocessing makes 28x28x1 images, but the network takes 8x8x1");
}

TEST(ExportBadInputTest, TooLittleCalibrationData) {
  exporter::LoweredModel lowered = exporter::lower_to_tflite(tiny_graph(), exporter::initial_weights(tiny_graph(), 0));
  exporter::CalibrationOptions c;
  c.data = "fashion-mnist";
  c.batches = 1000;
  c.batch_size = 64;
  EXPECT_THROW_MSG(exporter::calibrate(lowered.model, c),
                   "60000 images in train, but --calibration-batches 1000 x 64 need 64000");
  c.batches = 0;
  EXPECT_THROW_MSG(exporter::calibrate(lowered.model, c), "--calibration-batches must be > 0, but got 0");
}

TEST(ExportBadInputTest, UnwritableOutputLeavesNothingBehind) {
  TempDir dir;
  std::string ck = write_checkpoint(dir, tiny_graph());
  exporter::ExportOptions o;
  o.checkpoint = ck;
  // Parent is a file: nothing can be written there.
  write_file_atomic(dir.file("blocker"), "x");
  o.out = dir.file("blocker/m.tflite");
  EXPECT_ANY_THROW(exporter::run_export(o));
  // The card cannot be written (a folder is in the way): neither file appears, and an earlier
  // model.tflite stays as it was.
  write_file_atomic(dir.file("m.tflite"), "previous export");
  fs::create_directories(dir.file("m.json"));
  o.out = dir.file("m.tflite");
  EXPECT_ANY_THROW(exporter::run_export(o));
  EXPECT_EQ(read_file(dir.file("m.tflite")), "previous export");
  EXPECT_EQ(files_in(dir.path()), (std::vector<std::string>{"blocker", "ck.nasctl", "m.json", "m.tflite"}));
}

TEST(ExportBadInputTest, FlagsAreValidated) {
  TempDir dir;
  std::string ck = write_checkpoint(dir, tiny_graph());
  std::string base = "export --checkpoint " + ck + " --out " + dir.file("m.tflite");
  EXPECT_EQ(run_cli(base + " --io-type int8", dir), 2);
  EXPECT_NE(read_file(dir.file("err.txt")).find("--io-type int8 needs --quantize int8"), std::string::npos);
  EXPECT_EQ(run_cli(base + " --quantize int4", dir), 2);
  EXPECT_NE(read_file(dir.file("err.txt")).find("--quantize must be int8"), std::string::npos);
  EXPECT_EQ(run_cli(base + " --quantize int8", dir), 2);
  EXPECT_NE(read_file(dir.file("err.txt")).find("--calibration must name the data"), std::string::npos);
  EXPECT_EQ(run_cli(base + " --quantize int8 --calibration fashion-mnist --io-type int16", dir), 2);
  EXPECT_NE(read_file(dir.file("err.txt")).find("--io-type must be one of int8, uint8, float32, but got \"int16\""),
            std::string::npos);
  EXPECT_EQ(run_cli("export --model mobilenet_v2 --out " + dir.file("m.tflite"), dir), 2);
  EXPECT_NE(read_file(dir.file("err.txt")).find("--checkpoint is required"), std::string::npos);
  EXPECT_EQ(run_cli(base + " --weights ema", dir), 2);
  EXPECT_NE(read_file(dir.file("err.txt")).find("no EMA weights"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.file("m.tflite")));
}

// Edge TPU check ----------------------------------------------------------------------------------

exporter::Model int8_of(const graph::Graph& graph, uint64_t seed, bool decompose_hard_swish = true) {
  nn::GraphNet net = seeded_net(graph, seed);
  exporter::LoweringOptions lo;
  lo.decompose_hard_swish = decompose_hard_swish;
  exporter::LoweredModel lowered = exporter::lower_to_tflite(net->graph(), exporter::weights_from_graph_net(*net), lo);
  std::vector<exporter::TensorRange> ranges = exporter::observe_ranges(lowered.model, {seeded_input(graph, 4, seed)});
  return exporter::quantize_int8(lowered.model, ranges);
}

TEST(EdgeTpuCheckTest, EdgetpuSpaceNetworksMapAsOnePartition) {
  space::SearchSpace space = space::SearchSpace::load("edgetpu");
  std::mt19937_64 rng(21);
  for (int i = 0; i < 4; ++i) {
    space::ArchSpec arch = space.decode(space.sample(rng));
    arch.input = {32, 32, 3};
    arch.classes = 10;
    graph::Graph graph = space::lower(arch);
    exporter::EdgeTpuReport report = exporter::check_edgetpu_model(int8_of(graph, i), graph);
    EXPECT_TRUE(report.one_partition()) << report.to_text();
    EXPECT_TRUE(report.unsupported.empty());
  }
}

TEST(EdgeTpuCheckTest, ReportsUnmappedOpsAndTheCut) {
  graph::GraphBuilder b("hs", {16, 16, 3});
  std::string x = b.conv_bn("input", 8, 3, 1, Activation::kRelu);
  std::string h = b.conv_bn(x, 8, 3, 2, Activation::kHardSwish);
  graph::Graph g = b.build(b.fully_connected(b.global_avg_pool(h), 10));
  exporter::Model m = int8_of(g, 3, /*decompose_hard_swish=*/false);
  exporter::EdgeTpuReport report = exporter::check_edgetpu_model(m, g);
  ASSERT_FALSE(report.one_partition());
  ASSERT_EQ(report.unsupported.size(), 1u);
  EXPECT_EQ(report.unsupported[0].op, "HARD_SWISH");
  EXPECT_EQ(report.cut_node, g.nodes[3].id);  // conv, bn (folded), the hard_swish after it
  EXPECT_EQ(m.operators[report.cut_op].op, exporter::BuiltinOp::kHardSwish);
  EXPECT_EQ(report.edgetpu_ops + report.cpu_ops, int(m.operators.size()));
  EXPECT_NE(report.to_text().find("cuts the graph at op " + std::to_string(report.cut_op)), std::string::npos);
  // Decomposed into ADD / MUL / MUL, the same network maps as one partition.
  EXPECT_TRUE(exporter::check_edgetpu_model(int8_of(g, 3), g).one_partition());
}

// MobileNetV3 (hard_swish, squeeze-excite with hard_sigmoid) as the exporter writes it for int8.
TEST(EdgeTpuCheckTest, MobilenetV3MapsAsOnePartition) {
  graph::ZooOptions options;
  options.input_size = 32;
  options.classes = 10;
  graph::Graph g = graph::zoo_model("mobilenet_v3_small", options);
  exporter::EdgeTpuReport report = exporter::check_edgetpu_model(int8_of(g, 5), g);
  EXPECT_TRUE(report.one_partition()) << report.to_text();
}

TEST(EdgeTpuCheckTest, MaxPoolOverNegativeValuesNeedsPadV2) {
  graph::GraphBuilder b("mp", {16, 16, 3});
  std::string x = b.conv("input", 8, 3, 1);                // no activation: values may be negative
  graph::Graph g = b.build(b.max_pool(x, 3, 2));           // stride 2 on an even size
  exporter::Model m = int8_of(g, 4);
  exporter::EdgeTpuReport report = exporter::check_edgetpu_model(m, g);
  ASSERT_FALSE(report.unsupported.empty());
  EXPECT_EQ(report.unsupported[0].op, "PADV2");
}

}  // namespace
}  // namespace nasctl::testing
