// The .tflite writer: file-level facts TFLite readers rely on, and a lossless round trip.
#include <gtest/gtest.h>

#include "export_fixtures.h"
#include "nasctl/export/tflite_model.h"
#include "nasctl/graph/zoo.h"
#include "tflite_subset_generated.h"

namespace nasctl::testing {
namespace {

using namespace exporter;

Model lowered_mobilenet() {
  graph::ZooOptions options;
  options.input_size = 32;
  options.classes = 10;
  graph::Graph graph = graph::zoo_model("mobilenet_v3_small", options);
  nn::GraphNet net = seeded_net(graph, 1);
  return lower_to_tflite(net->graph(), weights_from_graph_net(*net)).model;
}

TEST(TfliteWriterTest, FileFactsReadersRelyOn) {
  std::string bytes = serialize_tflite(lowered_mobilenet());
  TfliteFileInfo info = inspect_tflite(bytes, "mobilenet_v3_small");
  EXPECT_EQ(info.identifier, "TFL3");
  EXPECT_EQ(info.version, 3u);
  EXPECT_TRUE(info.buffer0_empty);
  EXPECT_TRUE(info.buffers_aligned);
  EXPECT_GT(info.buffers, 10u);
  ASSERT_FALSE(info.operator_codes.empty());
  for (const auto& code : info.operator_codes) {
    // Older readers only look at the byte field; codes above 127 put the placeholder there.
    EXPECT_EQ(code.deprecated_builtin_code, code.builtin_code < 127 ? code.builtin_code : 127);
    EXPECT_EQ(code.version, 1) << "float ops are version 1";
  }
  // The generated verifier accepts the file.
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  EXPECT_TRUE(tflite::VerifyModelBuffer(verifier));
}

TEST(TfliteWriterTest, RoundTripKeepsTensorsOperatorsAndOptions) {
  Model m = lowered_mobilenet();
  Model back = parse_tflite(serialize_tflite(m), "round trip");
  ASSERT_EQ(back.tensors.size(), m.tensors.size());
  ASSERT_EQ(back.operators.size(), m.operators.size());
  EXPECT_EQ(back.inputs, m.inputs);
  EXPECT_EQ(back.outputs, m.outputs);
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    EXPECT_EQ(back.tensors[i].name, m.tensors[i].name);
    EXPECT_EQ(back.tensors[i].shape, m.tensors[i].shape);
    EXPECT_EQ(back.tensors[i].type, m.tensors[i].type);
    EXPECT_EQ(back.tensors[i].data, m.tensors[i].data) << m.tensors[i].name;
  }
  for (size_t i = 0; i < m.operators.size(); ++i) {
    const Operator &a = m.operators[i], &b = back.operators[i];
    EXPECT_EQ(b.op, a.op);
    EXPECT_EQ(b.inputs, a.inputs);
    EXPECT_EQ(b.outputs, a.outputs);
    if (a.op == BuiltinOp::kConv2d || a.op == BuiltinOp::kDepthwiseConv2d) {
      EXPECT_EQ(b.options.padding, a.options.padding);
      EXPECT_EQ(b.options.stride_h, a.options.stride_h);
      EXPECT_EQ(b.options.activation, a.options.activation);
    }
    if (a.op == BuiltinOp::kMean) EXPECT_TRUE(b.options.keep_dims);
    if (a.op == BuiltinOp::kReshape) EXPECT_EQ(b.options.new_shape, a.options.new_shape);
  }
}

TEST(TfliteWriterTest, LoweringUsesTfliteLayouts) {
  // One 3x3 conv (2 -> 3 channels) and one depthwise conv: weights must be OHWI and [1, kh, kw, C].
  graph::GraphBuilder b("layouts", {5, 5, 2});
  std::string c = b.conv("input", 3, 3, 1, graph::Activation::kNone, graph::Padding::kSame, 1, true);
  std::string d = b.depthwise(c, 3);
  graph::Graph g = b.build(d);
  NodeWeights w;
  HostTensor conv{{3, 2, 3, 3}, {}}, bias{{3}, {0.5f, 1.5f, 2.5f}}, dw{{3, 1, 3, 3}, {}};
  for (int i = 0; i < 54; ++i) conv.values.push_back(float(i));
  for (int i = 0; i < 27; ++i) dw.values.push_back(float(100 + i));
  w[c] = {{"weight", conv}, {"bias", bias}};
  w[d] = {{"weight", dw}};
  Model m = lower_to_tflite(g, w).model;
  const Tensor& ohwi = m.tensors[m.operators[0].inputs[1]];
  ASSERT_EQ(ohwi.shape, (std::vector<int>{3, 3, 3, 2}));
  std::vector<float> v = ohwi.floats();
  // OHWI[o][y][x][i] == OIHW[o][i][y][x]: o = 1, y = 2, x = 0, i = 1 -> 1*18 + 1*9 + 2*3 + 0 = 33.
  EXPECT_EQ(v[((1 * 3 + 2) * 3 + 0) * 2 + 1], 33.0f);
  const Tensor& hwc = m.tensors[m.operators[1].inputs[1]];
  ASSERT_EQ(hwc.shape, (std::vector<int>{1, 3, 3, 3}));
  // [1][y][x][c] == [c][0][y][x]: c = 2, y = 1, x = 2 -> 100 + 2*9 + 1*3 + 2 = 123.
  EXPECT_EQ(hwc.floats()[(1 * 3 + 2) * 3 + 2], 123.0f);
  EXPECT_EQ(m.operators[1].options.depth_multiplier, 1);
}

TEST(TfliteWriterTest, ParseRejectsWhatIsNotTflite) {
  EXPECT_THROW_MSG(parse_tflite("not a model at all", "bad.tflite"), "bad.tflite: not a TFLite model");
  std::string bytes = serialize_tflite(lowered_mobilenet());
  bytes.resize(bytes.size() / 2);
  EXPECT_THROW_MSG(parse_tflite(bytes, "half.tflite"), "half.tflite: TFLite flatbuffer fails verification");
}

// Reading back damaged files: every truncation and a spread of single-byte changes either parse to a
// model whose indices are all valid or are refused with nasctl::Error (never a crash or another
// exception); wrong indices and types written by a buggy writer are refused by name.
TEST(TfliteReadBack, DamagedFilesAreRefusedOrStillValid) {
  const std::string bytes = serialize_tflite(lowered_mobilenet());
  int refused = 0, variants = 0;
  auto try_read = [&](const std::string& damaged) {
    ++variants;
    try {
      Model m = parse_tflite(damaged, "damaged.tflite");
      for (const Operator& op : m.operators)
        for (int32_t i : op.inputs) EXPECT_LT(i, int32_t(m.tensors.size()));
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("damaged.tflite: "), std::string::npos) << e.what();
      ++refused;
    }
  };
  for (size_t cut = 0; cut < bytes.size(); cut += std::max<size_t>(1, bytes.size() / 60)) try_read(bytes.substr(0, cut));
  for (size_t at = 0; at < bytes.size(); at += std::max<size_t>(1, bytes.size() / 150)) {
    for (unsigned char value : {0x00, 0xFF, 0x80}) {
      std::string damaged = bytes;
      damaged[at] = static_cast<char>(value);
      try_read(damaged);
    }
  }
  EXPECT_GT(variants, 300);
  EXPECT_GT(refused, 60);  // every truncation at least
}

TEST(TfliteReadBack, BadIndicesAndTypesAreRefused) {
  Model m = lowered_mobilenet();
  // The writer already refuses tensor indices out of range, so such files cannot be made with it;
  // the reader's own index checks are exercised by the damaged-bytes test above and the fuzzer.
  Model bad_input = m;
  bad_input.operators[0].inputs[0] = int32_t(m.tensors.size()) + 5;
  EXPECT_THROW_MSG(serialize_tflite(bad_input), "refers to tensor " + std::to_string(m.tensors.size() + 5));
  Model bad_output = m;
  bad_output.outputs = {-7};
  EXPECT_THROW_MSG(serialize_tflite(bad_output), "model output refers to tensor -7");
  Model bad_type = m;
  bad_type.tensors[0].type = static_cast<TensorType>(5);
  EXPECT_THROW_MSG(parse_tflite(serialize_tflite(bad_type), "t.tflite"), "t.tflite: tensor 0 has type 5");
  Model bad_shape = m;
  bad_shape.tensors[0].shape = {1, -3, 4, 4};
  EXPECT_THROW_MSG(parse_tflite(serialize_tflite(bad_shape), "s.tflite"), "s.tflite: tensor 0 has a negative dimension -3");
}

}  // namespace
}  // namespace nasctl::testing
