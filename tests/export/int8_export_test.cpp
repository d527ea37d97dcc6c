// Full-integer int8 export of a network trained here on Fashion-MNIST, judged in the real TFLite
// runtime on 1,000 test images: top-1 agreement with the float network >= 99%, accuracy drop <= 1
// point; the same through `nasctl export` and its model card; Edge TPU check of the result.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "export_fixtures.h"
#include "nasctl/core/json.h"
#include "nasctl/data/loader.h"
#include "nasctl/export/calibration.h"
#include "nasctl/export/edgetpu_check.h"
#include "nasctl/export/quantize.h"
#include "nasctl/export/reference.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/nn/tensor_archive.h"
#include "tflite_runtime.h"

namespace nasctl::testing {
namespace {

using graph::Activation;

constexpr int kTestImages = 1000;

// A small network with the ops int8 export must get right: explicit PADs (stride 2 on even
// sizes), depthwise, hard_swish, squeeze-excite (hard_sigmoid, MUL), avg pool, ADD, CONCATENATION
// (shared quantization), MEAN, flatten + fully connected.
graph::Graph small_net() {
  graph::GraphBuilder b("fmnist_small", {28, 28, 1});
  std::string x = b.conv_bn("input", 16, 3, 1, Activation::kRelu);
  x = b.conv_bn(x, 32, 3, 2, Activation::kRelu);
  x = b.depthwise_bn(x, 3, 2, Activation::kRelu6);
  x = b.conv_bn(x, 48, 1, 1, Activation::kHardSwish);
  std::string s = b.global_avg_pool(x);
  s = b.conv(s, 16, 1, 1, Activation::kRelu, graph::Padding::kSame, 1, true);
  s = b.conv(s, 48, 1, 1, Activation::kHardSigmoid, graph::Padding::kSame, 1, true);
  x = b.mul(x, s);
  std::string y = b.avg_pool(x, 3, 1);
  std::string sum = b.add({x, y});
  std::string cat = b.concat({sum, x});
  std::string head = b.conv_bn(cat, 32, 1, 1, Activation::kRelu);
  return b.build(b.fully_connected(b.flatten(head), 10));
}

struct Trained {
  graph::Graph graph;
  nn::GraphNet net{nullptr};
  data::TransformOptions transform;
  torch::Tensor test_images;  // [1000, 1, 28, 28]
  torch::Tensor test_labels;  // [1000]
  torch::Tensor float_logits;
};

// Trains small_net for a few hundred steps (about a minute on 2 cores).
Trained& trained() {
  static Trained* t = [] {
    auto* r = new Trained;
    r->graph = small_net();
    nn::GraphNetOptions options;
    options.seed = 3;
    r->net = nn::GraphNet(r->graph, options);
    auto train = data::open_dataset("fashion-mnist", data::Split::kTrain);
    data::LoaderOptions lo;
    lo.batch_size = 64;
    lo.workers = 1;
    lo.seed = 5;
    lo.transform = data::default_transform(*train, 28, /*train=*/false);
    data::Loader loader(train, lo);
    r->transform = loader.transform();
    torch::optim::Adam adam(r->net->parameters(), torch::optim::AdamOptions(2e-3));
    r->net->train();
    data::Batch batch;
    constexpr int kSteps = 400;
    for (int step = 0; step < kSteps; ++step) {
      // Linear decay to zero: the final weights settle, so BatchNorm's running statistics fit them.
      static_cast<torch::optim::AdamOptions&>(adam.param_groups()[0].options()).lr(2e-3 * (1.0 - double(step) / kSteps));
      loader.next_cyclic(batch);
      adam.zero_grad();
      torch::Tensor loss = torch::cross_entropy_loss(r->net->forward(batch.images), batch.labels);
      loss.backward();
      adam.step();
    }
    {
      torch::NoGradGuard no_grad;  // refresh the running statistics for the final weights
      for (int step = 0; step < 30; ++step) {
        loader.next_cyclic(batch);
        r->net->forward(batch.images);
      }
    }
    r->net->eval();
    auto test = data::open_dataset("fashion-mnist", data::Split::kVal);
    data::LoaderOptions to = lo;
    to.batch_size = kTestImages;
    to.shuffle = false;
    data::Loader test_loader(test, to);
    test_loader.start_epoch(0);
    test_loader.next(batch);
    r->test_images = batch.images;
    r->test_labels = batch.labels;
    torch::NoGradGuard no_grad;
    r->float_logits = r->net->forward(r->test_images);
    return r;
  }();
  return *t;
}

double accuracy(const torch::Tensor& predicted, const torch::Tensor& labels) {
  return predicted.eq(labels).to(torch::kFloat64).mean().item<double>();
}

// The int8 model of the trained network, calibrated on 8 batches of training images.
exporter::Model int8_model(exporter::IoType io, bool decompose_hard_swish = true) {
  Trained& t = trained();
  exporter::LoweringOptions lo;
  lo.decompose_hard_swish = decompose_hard_swish;
  exporter::LoweredModel lowered =
      exporter::lower_to_tflite(t.net->graph(), exporter::weights_from_graph_net(*t.net), lo);
  exporter::CalibrationOptions calibration;
  calibration.data = "fashion-mnist";
  calibration.batches = 8;
  calibration.batch_size = 64;
  calibration.transform = t.transform;
  calibration.has_transform = true;
  std::vector<exporter::TensorRange> ranges = exporter::calibrate(lowered.model, calibration);
  exporter::QuantizeOptions qo;
  qo.io_type = io;
  return exporter::quantize_int8(lowered.model, ranges, qo);
}

// Quantizes NCHW float images for `model`'s input and returns the raw NHWC bytes.
std::string quantized_input(const exporter::Model& model, const torch::Tensor& images) {
  const exporter::Tensor& in = model.tensors[model.inputs[0]];
  torch::Tensor x = to_nhwc(images);
  if (in.type == exporter::TensorType::kFloat32) {
    return std::string(static_cast<const char*>(x.data_ptr()), x.numel() * sizeof(float));
  }
  bool u8 = in.type == exporter::TensorType::kUInt8;
  torch::Tensor q = torch::round(x / in.quant.scale[0]) + double(in.quant.zero_point[0]);
  q = q.clamp(u8 ? 0 : -128, u8 ? 255 : 127).to(u8 ? torch::kUInt8 : torch::kInt8).contiguous();
  return std::string(static_cast<const char*>(q.data_ptr()), q.numel());
}

// Runs `model` on the test images in the TFLite runtime; returns the real-valued logits.
torch::Tensor tflite_logits(const exporter::Model& model, const torch::Tensor& images) {
  std::string out = run_tflite(exporter::serialize_tflite(model), quantized_input(model, images));
  const exporter::Tensor& o = model.tensors[model.outputs[0]];
  int64_t n = images.size(0);
  if (o.type == exporter::TensorType::kFloat32) {
    std::vector<float> v = from_bytes<float>(out);
    return torch::from_blob(v.data(), {n, int64_t(v.size()) / n}).clone();
  }
  torch::Tensor raw = o.type == exporter::TensorType::kUInt8
                          ? torch::from_blob(out.data(), {n, int64_t(out.size()) / n}, torch::kUInt8).to(torch::kFloat64)
                          : torch::from_blob(out.data(), {n, int64_t(out.size()) / n}, torch::kInt8).to(torch::kFloat64);
  return (raw - double(o.quant.zero_point[0])) * double(o.quant.scale[0]);
}

struct Int8Case {
  exporter::IoType io;
  bool decompose_hard_swish;
};

// One variant: agreement with the float network, accuracy drop, Edge TPU partitioning.
void check_variant(const Int8Case& c) {
  Trained& t = trained();
  std::string name = std::string(exporter::io_type_name(c.io)) + (c.decompose_hard_swish ? "" : "_builtin_hard_swish");
  SCOPED_TRACE(name);
  exporter::Model model = int8_model(c.io, c.decompose_hard_swish);
  torch::Tensor q_logits = tflite_logits(model, t.test_images);
  ASSERT_EQ(q_logits.size(0), kTestImages);
  torch::Tensor float_top1 = t.float_logits.argmax(1), int8_top1 = q_logits.argmax(1);
  double agreement = accuracy(int8_top1, float_top1);
  double float_acc = accuracy(float_top1, t.test_labels), int8_acc = accuracy(int8_top1, t.test_labels);
  ::testing::Test::RecordProperty("agreement_" + name, std::to_string(agreement));
  ::testing::Test::RecordProperty("float_accuracy", std::to_string(float_acc));
  ::testing::Test::RecordProperty("int8_accuracy_" + name, std::to_string(int8_acc));
  EXPECT_GT(float_acc, 0.75) << "the network did not train";
  EXPECT_GE(agreement, 0.99);
  EXPECT_LE(float_acc - int8_acc, 0.01);
  // Full integer: one Edge TPU partition (the float32 io variant ends in a DEQUANTIZE on the CPU),
  // unless the model keeps TFLite's HARD_SWISH, which the compiler does not map.
  exporter::EdgeTpuReport report = exporter::check_edgetpu_model(model, t.net->graph());
  if (c.decompose_hard_swish) {
    EXPECT_TRUE(report.one_partition()) << report.to_text();
  } else {
    ASSERT_FALSE(report.one_partition());
    EXPECT_EQ(model.operators[report.cut_op].op, exporter::BuiltinOp::kHardSwish);
  }
}

// The user's path: a checkpoint as the trainer writes it, `nasctl export`, the model card.
void check_command_line_export() {
  SCOPED_TRACE("nasctl export");
  Trained& t = trained();
  TempDir dir;
  nn::TensorArchive archive;
  archive.meta = {{"format", "nasctl.checkpoint"},
                  {"version", 1},
                  {"graph", graph::graph_to_json(t.graph)},
                  {"arch", nullptr},
                  {"preprocess", data::transform_to_json(t.transform)},
                  {"classes", 10},
                  {"class_names", Json::array({"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
                                               "Shirt", "Sneaker", "Bag", "Ankle boot"})}};
  nn::add_module_state(archive, *t.net, "model.");
  nn::save_archive(archive, dir.file("ck.nasctl"));
  std::string command = std::string(NASCTL_BINARY) + " export --checkpoint " + dir.file("ck.nasctl") + " --out " +
                        dir.file("model.tflite") + " --quantize int8 --io-type uint8 --calibration fashion-mnist" +
                        " --log-level warn > " + dir.file("stdout.txt");
  ASSERT_EQ(std::system(command.c_str()), 0);
  Json card = load_json_file(dir.file("model.json"));
  EXPECT_EQ(card["model"], "model.tflite");
  EXPECT_EQ(card["class_names"][9], "Ankle boot");
  EXPECT_EQ(card["input"]["tensors"][0]["dtype"], "uint8");
  EXPECT_TRUE(card["edgetpu"]["one_partition"].get<bool>());
  EXPECT_GT(card["latency"]["predicted_ms"].get<double>(), 0.0);
  // The shipped profiles carry an 80 % interval, which brackets the prediction.
  EXPECT_DOUBLE_EQ(card["latency"]["interval_coverage"].get<double>(), 0.8);
  EXPECT_LT(card["latency"]["predicted_lo_ms"].get<double>(), card["latency"]["predicted_ms"].get<double>());
  EXPECT_GT(card["latency"]["predicted_hi_ms"].get<double>(), card["latency"]["predicted_ms"].get<double>());
  // Feed the test images as the card says: normalise with its mean/std, quantize with its params.
  const Json& pre = card["preprocessing"];
  double mean = pre["mean"][0].get<double>(), std = pre["std"][0].get<double>();
  torch::Tensor pixels = t.test_images * t.transform.std[0] + t.transform.mean[0];  // back to 0..1
  torch::Tensor x = to_nhwc((pixels - mean) / std);
  double scale = card["input"]["tensors"][0]["quantization"]["scale"].get<double>();
  int64_t zp = card["input"]["tensors"][0]["quantization"]["zero_point"].get<int64_t>();
  torch::Tensor q = (torch::round(x / scale) + double(zp)).clamp(0, 255).to(torch::kUInt8).contiguous();
  std::string out =
      run_tflite(read_file(dir.file("model.tflite")), std::string(static_cast<const char*>(q.data_ptr()), q.numel()));
  ASSERT_EQ(out.size(), size_t(kTestImages) * 10);
  torch::Tensor top1 = torch::from_blob(out.data(), {kTestImages, 10}, torch::kUInt8).to(torch::kInt64).argmax(1);
  double agreement = accuracy(top1, t.float_logits.argmax(1));
  ::testing::Test::RecordProperty("agreement_command_line", std::to_string(agreement));
  EXPECT_GE(agreement, 0.99);
}

// One test, so that the network trains once per process (ctest runs every test in its own).
TEST(Int8ExportTest, TrainedNetworkAgreesWithFloatOnFashionMnist) {
  SKIP_WITHOUT_TFLITE_RUNTIME();
  for (Int8Case c : {Int8Case{exporter::IoType::kInt8, true}, Int8Case{exporter::IoType::kUInt8, true},
                     Int8Case{exporter::IoType::kFloat32, true}, Int8Case{exporter::IoType::kInt8, false}}) {
    check_variant(c);
  }
  check_command_line_export();
}

// The int8 rules TFLite's kernels check, on the graph with every op (random weights).
TEST(Int8ModelTest, TensorsFollowTfliteInt8Rules) {
  graph::Graph graph = every_op_graph();
  nn::GraphNet net = seeded_net(graph, 2);
  exporter::LoweredModel lowered = exporter::lower_to_tflite(net->graph(), exporter::weights_from_graph_net(*net));
  exporter::Model m = exporter::quantize_int8(lowered.model, exporter::observe_ranges(lowered.model, {seeded_input(graph, 8, 3)}));
  using exporter::BuiltinOp;
  for (const exporter::Operator& op : m.operators) {
    const exporter::Tensor& in = m.tensors[op.inputs[0]];
    const exporter::Tensor& out = m.tensors[op.outputs[0]];
    EXPECT_EQ(out.type, exporter::TensorType::kInt8) << out.name;
    if (op.op == BuiltinOp::kConv2d || op.op == BuiltinOp::kDepthwiseConv2d || op.op == BuiltinOp::kFullyConnected) {
      const exporter::Tensor& w = m.tensors[op.inputs[1]];
      const exporter::Tensor& b = m.tensors[op.inputs[2]];
      EXPECT_EQ(w.type, exporter::TensorType::kInt8);
      EXPECT_EQ(b.type, exporter::TensorType::kInt32);
      int axis = op.op == BuiltinOp::kDepthwiseConv2d ? 3 : 0;
      size_t channels = op.op == BuiltinOp::kFullyConnected ? 1 : size_t(w.shape[axis]);
      ASSERT_EQ(w.quant.scale.size(), channels) << w.name;
      EXPECT_EQ(w.quant.dimension, axis);
      EXPECT_EQ(b.quant.dimension, 0);
      for (size_t c = 0; c < channels; ++c) {
        EXPECT_EQ(w.quant.zero_point[c], 0);
        EXPECT_NEAR(b.quant.scale[c], double(in.quant.scale[0]) * w.quant.scale[c], 1e-6 * b.quant.scale[c]);
      }
      for (size_t i = 0; i < w.data.size(); ++i) ASSERT_NE(static_cast<int8_t>(w.data[i]), -128) << "symmetric";
    }
    if (op.op == BuiltinOp::kLogistic || op.op == BuiltinOp::kSoftmax) {
      EXPECT_FLOAT_EQ(out.quant.scale[0], 1.0f / 256);
      EXPECT_EQ(out.quant.zero_point[0], -128);
    }
    std::vector<int> shared;
    if (op.op == BuiltinOp::kConcatenation) shared = op.inputs;
    if (op.op == BuiltinOp::kAveragePool2d || op.op == BuiltinOp::kMaxPool2d || op.op == BuiltinOp::kPad ||
        op.op == BuiltinOp::kPadV2 || op.op == BuiltinOp::kReshape || op.op == BuiltinOp::kTranspose) {
      shared = {op.inputs[0]};
    }
    if (op.op == BuiltinOp::kSplit) shared = {op.inputs[1]};
    for (int t : shared) {
      for (int o : op.outputs) {
        EXPECT_EQ(m.tensors[t].quant.scale, m.tensors[o].quant.scale) << builtin_op_name(op.op);
        EXPECT_EQ(m.tensors[t].quant.zero_point, m.tensors[o].quant.zero_point) << builtin_op_name(op.op);
      }
    }
  }
  // TFLite's op versions for int8 kernels, as written to the file.
  exporter::TfliteFileInfo info = exporter::inspect_tflite(exporter::serialize_tflite(m), "int8");
  std::map<int32_t, int> versions;
  for (const auto& c : info.operator_codes) versions[c.builtin_code] = std::max(versions[c.builtin_code], c.version);
  std::map<BuiltinOp, int> expected = {
      {BuiltinOp::kConv2d, 3},       {BuiltinOp::kDepthwiseConv2d, 3}, {BuiltinOp::kFullyConnected, 4},
      {BuiltinOp::kAdd, 2},          {BuiltinOp::kConcatenation, 2},   {BuiltinOp::kMean, 2},
      {BuiltinOp::kPad, 2},          {BuiltinOp::kPadV2, 2},           {BuiltinOp::kMaxPool2d, 2},
      {BuiltinOp::kAveragePool2d, 2}, {BuiltinOp::kLogistic, 2},       {BuiltinOp::kSoftmax, 2},
      {BuiltinOp::kTranspose, 2},    {BuiltinOp::kSplit, 2},           {BuiltinOp::kReshape, 1},
      {BuiltinOp::kHardSwish, 1},    {BuiltinOp::kQuantize, 1}};
  for (const auto& [op, version] : expected) {
    ASSERT_TRUE(versions.count(int32_t(op))) << builtin_op_name(op) << " missing from the graph";
    EXPECT_EQ(versions[int32_t(op)], version) << builtin_op_name(op);
  }
  EXPECT_GE(versions[int32_t(BuiltinOp::kMul)], 2);
}

}  // namespace
}  // namespace nasctl::testing
