// Graph IR: graph v1 JSON parsing, shape inference, counts and every bad-input case.
#include <gtest/gtest.h>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/graph/builder.h"
#include "nasctl/graph/graph_json.h"
#include "support.h"

namespace nasctl::graph {
namespace {

// The example of the graph v1 format in docs/formats.md.
const char* kExample = R"({"name": "example", "input": [32, 32, 3],
 "nodes": [
  {"id": "c1", "op": "conv2d", "inputs": ["input"], "filters": 16, "kernel": 3, "stride": 1, "padding": "same", "groups": 1, "bias": false, "activation": "relu"},
  {"id": "p1", "op": "avg_pool2d", "inputs": ["c1"], "kernel": 3, "stride": 1, "padding": "same"},
  {"id": "a1", "op": "add", "inputs": ["c1", "p1"]},
  {"id": "g",  "op": "global_avg_pool", "inputs": ["a1"]},
  {"id": "fc", "op": "fully_connected", "inputs": ["g"], "units": 10}],
 "outputs": ["fc"]})";

Graph parse(const std::string& text) { return graph_from_json(parse_json(text, "g.json"), "g.json"); }

// Replaces the node list of a one-input graph, for bad-input cases.
Graph parse_nodes(const std::string& nodes, const std::string& outputs = R"(["x"])",
                  const std::string& input = "[8, 8, 4]") {
  return parse(R"({"name": "t", "input": )" + input + R"(, "nodes": [)" + nodes + R"(], "outputs": )" + outputs + "}");
}

TEST(GraphJson, ParsesTheDocumentedExampleWithHandComputedCounts) {
  Graph g = parse(kExample);
  ASSERT_EQ(g.nodes.size(), 5u);
  const Node& c1 = g.node("c1");
  EXPECT_EQ(c1.output, (Shape{32, 32, 16}));
  EXPECT_EQ(c1.macs, 32 * 32 * 16 * 3 * 3 * 3);
  EXPECT_EQ(c1.params, 3 * 3 * 3 * 16);
  EXPECT_EQ(c1.activation, Activation::kRelu);
  EXPECT_EQ(g.node("p1").output, (Shape{32, 32, 16}));
  EXPECT_EQ(g.node("g").output, (Shape{1, 1, 16}));
  const Node& fc = g.node("fc");
  EXPECT_EQ(fc.output, (Shape{1, 1, 10}));
  EXPECT_EQ(fc.macs, 160);
  EXPECT_EQ(fc.params, 170);  // bias on by default for fully_connected
  EXPECT_EQ(fc.param_bytes_int8, 160 + 4 * 10);
  GraphStats s = g.stats();
  EXPECT_EQ(s.params, 432 + 170);
  EXPECT_EQ(s.macs, 442368 + 160);
  EXPECT_EQ(g.output_shape(), (Shape{1, 1, 10}));
  // Peak: the add reads two 32x32x16 tensors and writes one.
  EXPECT_EQ(s.peak_activation_bytes, 3 * 32 * 32 * 16);
}

TEST(GraphJson, RoundTripsThroughJson) {
  Graph g = parse(kExample);
  Json j = graph_to_json(g);
  Graph back = graph_from_json(j, "roundtrip");
  ASSERT_EQ(back.nodes.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    EXPECT_EQ(back.nodes[i].id, g.nodes[i].id);
    EXPECT_EQ(back.nodes[i].output, g.nodes[i].output);
    EXPECT_EQ(back.nodes[i].macs, g.nodes[i].macs);
  }
  EXPECT_EQ(graph_to_json(back).dump(), j.dump());
}

TEST(GraphJson, SortsNodesTopologically) {
  Graph g = parse_nodes(R"({"id": "x", "op": "activation", "inputs": ["c"], "activation": "relu"},
                           {"id": "c", "op": "conv2d", "inputs": ["input"], "filters": 8, "kernel": 1})");
  EXPECT_EQ(g.nodes[0].id, "c");
  EXPECT_EQ(g.nodes[1].id, "x");
  EXPECT_EQ(g.nodes[1].input_index, std::vector<int>{0});
}

TEST(GraphJson, NormalisesGroupedConvWithOneChannelPerGroupToDepthwise) {
  Graph g = parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 8, "kernel": 3, "stride": 2, "groups": 4})");
  const Node& n = g.node("x");
  EXPECT_EQ(n.op, Op::kDepthwiseConv2d);
  EXPECT_EQ(n.output, (Shape{4, 4, 8}));
  EXPECT_EQ(n.params, 3 * 3 * 8);  // depth multiplier 2
  EXPECT_EQ(n.macs, 4 * 4 * 8 * 9);
}

TEST(GraphJson, DepthMultiplierResolvesFilters) {
  Graph g = parse_nodes(R"({"id": "x", "op": "depthwise_conv2d", "inputs": ["input"], "kernel": [3, 5], "depth_multiplier": 3, "padding": "valid"})");
  const Node& n = g.node("x");
  EXPECT_EQ(n.filters, 12);
  EXPECT_EQ(n.output, (Shape{6, 4, 12}));
}

TEST(GraphJson, ValidPaddingAndStridesFollowTheFormula) {
  Graph g = parse_nodes(R"({"id": "x", "op": "max_pool2d", "inputs": ["input"], "kernel": 3, "stride": 2, "padding": "valid"})",
                        R"(["x"])", "[9, 8, 4]");
  EXPECT_EQ(g.node("x").output, (Shape{4, 3, 4}));
  Graph same = parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 4, "kernel": 3, "stride": 2})",
                           R"(["x"])", "[9, 8, 4]");
  EXPECT_EQ(same.node("x").output, (Shape{5, 4, 4}));
  EXPECT_EQ(same.node("x").same_pad_top(), 1);
}

TEST(GraphJson, SqueezeExciteMulBroadcastsAndConcatSumsChannels) {
  Graph g = parse_nodes(R"({"id": "s", "op": "global_avg_pool", "inputs": ["input"]},
                           {"id": "m", "op": "mul", "inputs": ["input", "s"]},
                           {"id": "x", "op": "concat", "inputs": ["input", "m"]})");
  EXPECT_EQ(g.node("m").output, (Shape{8, 8, 4}));
  EXPECT_EQ(g.node("x").output, (Shape{8, 8, 8}));
}

TEST(GraphJson, ReshapeFlattenPadShuffle) {
  Graph g = parse_nodes(R"({"id": "p", "op": "pad", "inputs": ["input"], "pads": [0, 1, 2, 3]},
                           {"id": "sh", "op": "channel_shuffle", "inputs": ["p"], "groups": 2},
                           {"id": "f", "op": "flatten", "inputs": ["sh"]},
                           {"id": "x", "op": "reshape", "inputs": ["f"], "shape": [9, 13, 4]})");
  EXPECT_EQ(g.node("p").output, (Shape{9, 13, 4}));
  EXPECT_EQ(g.node("f").output, (Shape{1, 1, 9 * 13 * 4}));
  EXPECT_EQ(g.node("x").output, (Shape{9, 13, 4}));
  EXPECT_EQ(graph_to_json(g)["nodes"][2]["op"], "flatten");
}

// --- Bad input: every case names the node (or key) and the value -----------------------------------

TEST(GraphJsonErrors, UnknownOp) {
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "conv3d", "inputs": ["input"]})"),
                   "g.json: nodes[0].op must be one of conv2d");
}

TEST(GraphJsonErrors, UnknownField) {
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "add", "inputs": ["input", "input"], "filters": 3})"),
                   "g.json: nodes[0].filters is not a field of add");
}

TEST(GraphJsonErrors, UnknownInput) {
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "softmax", "inputs": ["nope"]})"),
                   "node 'x' has unknown input 'nope'");
}

TEST(GraphJsonErrors, Cycle) {
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "softmax", "inputs": ["y"]},
                                  {"id": "y", "op": "softmax", "inputs": ["x"]})"),
                   "cycle through node 'x'");
}

TEST(GraphJsonErrors, ChannelMismatchOnAdd) {
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "c", "op": "conv2d", "inputs": ["input"], "filters": 8, "kernel": 1},
                                  {"id": "x", "op": "add", "inputs": ["input", "c"]})"),
                   "node 'x' (add): input 'c' has shape 8x8x8, but input 'input' has 8x8x4");
}

TEST(GraphJsonErrors, WindowLargerThanValidPaddedInput) {
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "avg_pool2d", "inputs": ["input"], "kernel": 9, "padding": "valid"})"),
                   "node 'x' (avg_pool2d): window 9x9 is larger than its valid-padded input 8x8x4");
}

TEST(GraphJsonErrors, DuplicateIdAndReservedId) {
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "softmax", "inputs": ["input"]},
                                  {"id": "x", "op": "softmax", "inputs": ["input"]})"),
                   "node id 'x' is used twice");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "input", "op": "softmax", "inputs": ["input"]})", R"(["input"])"),
                   "reserved");
}

TEST(GraphJsonErrors, BadAttributeValues) {
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 0, "kernel": 3})"),
                   "node 'x' (conv2d): filters must be > 0, but got 0");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 6, "kernel": 3, "groups": 3})"),
                   "input channels 4 are not divisible by groups 3");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 6, "kernel": 3, "padding": "full"})"),
                   "g.json: nodes[0].padding must be \"same\" or \"valid\", but got \"full\"");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 6})"),
                   "g.json: nodes[0].kernel must be given for conv2d");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": "six", "kernel": 1})"),
                   "g.json: nodes[0].filters must be an integer, but got \"six\"");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "activation", "inputs": ["input"], "activation": "gelu"})"),
                   "g.json: nodes[0].activation must be one of none, relu");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "reshape", "inputs": ["input"], "shape": [3, 3, 3]})"),
                   "shape 3x3x3 has 27 elements, but the input 8x8x4 has 256");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "mul", "inputs": ["input", "input", "input"]})"),
                   "node 'x' (mul): takes 2 input(s), but got 3");
}

TEST(GraphJsonErrors, BadTopLevel) {
  EXPECT_THROW_MSG(parse(R"({"input": [0, 8, 3], "nodes": [], "outputs": []})"), "g.json: input must be [height, width, channels]");
  EXPECT_THROW_MSG(parse(R"({"input": [8, 8, 3], "nodes": [], "outputs": []})"), "g.json: nodes must be a non-empty list");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "softmax", "inputs": ["input"]})", R"(["y"])"),
                   "output 'y' is not a node");
  EXPECT_THROW_MSG(parse(R"({"input": [8, 8, 3], "nodez": []})"), "g.json: nodez is not a known key");
  EXPECT_THROW_MSG(parse_json("{\"input\": [8, 8", "broken.json"), "broken.json: invalid JSON");
}

TEST(GraphJsonErrors, SizesBeyondTheLimitsAreRefusedBeforeTheyWrap) {
  // 100000 x 100000 x 3 fits no int8 tensor limit; counts would have wrapped to negative latencies.
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "softmax", "inputs": ["input"]})", R"(["x"])", "[100000, 100000, 3]"),
                   "graph 't': input 100000x100000x3 is too large");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "pad", "inputs": ["input"], "pads": 1000000000})"),
                   "node 'x' (pad): output 2000000008x2000000008x4 must have positive dimensions, height and width at most 16777216");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "pad", "inputs": ["input"], "pads": [2147483647, 2147483647, 0, 0]})"),
                   "(pad): output 4294967302x8x4");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 4, "kernel": 3, "stride": 2147483647})"),
                   "node 'x' (conv2d): stride must be at most 16777216, but got 2147483647");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "fully_connected", "inputs": ["input"], "units": 16777217})"),
                   "units must be at most 16777216");
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 4, "kernel": 2147483648})"),
                   "g.json: nodes[0].kernel must be an integer or a list of integers in [-2147483648, 2147483647]");
  // Every count of a graph at the limits stays positive.
  Graph g = parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 1, "kernel": 3})", R"(["x"])",
                        "[46340, 46340, 1]");
  EXPECT_EQ(g.nodes[0].macs, int64_t(46340) * 46340 * 9);
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "conv2d", "inputs": ["input"], "filters": 2, "kernel": 3})", R"(["x"])",
                               "[46340, 46340, 1]"),
                   "node 'x' (conv2d): output 46340x46340x2 has more than 2147483647 elements");
}

TEST(GraphJsonErrors, NodeIdsAndInputsFollowTheFormat) {
  for (const char* id : {"a.b", "a b", "a\\tb", "a\\u0001b"}) {
    std::string node = std::string(R"({"id": ")") + id + R"(", "op": "softmax", "inputs": ["input"]})";
    EXPECT_THROW_MSG(parse_nodes(node, std::string(R"([")") + id + R"("])"), "without '.', spaces or control characters");
  }
  EXPECT_THROW_MSG(parse_nodes(R"({"id": "x", "op": "softmax", "inputs": "input"})"),
                   "g.json: nodes[0].inputs must be a list of strings, but got \"input\"");
  EXPECT_NO_THROW(parse_nodes(R"({"id": "b3f_expand-2:x", "op": "softmax", "inputs": ["input"]})", R"(["b3f_expand-2:x"])"));
}

TEST(GraphJsonErrors, MissingFileNamesThePath) {
  EXPECT_THROW_MSG(load_graph_file("/nonexistent/graph.json"), "/nonexistent/graph.json: cannot open file");
}

TEST(GraphBuilder, BuildsAndInfersAsItGoes) {
  GraphBuilder b("built", {16, 16, 3});
  std::string x = b.conv_bn(GraphBuilder::kInput, 8, 3, 2, Activation::kRelu6);
  EXPECT_EQ(b.shape(x), (Shape{8, 8, 8}));
  std::string d = b.depthwise_bn(x, 5, 1, Activation::kRelu6);
  EXPECT_EQ(b.channels(d), 8);
  std::string y = b.add({x, d});
  Graph g = b.build(b.fully_connected(b.global_avg_pool(y), 5));
  EXPECT_TRUE(g.finalized());
  EXPECT_EQ(g.output_shape(), (Shape{1, 1, 5}));
  // conv 3*3*3*8 + bn 16 + dw 5*5*8 + bn 16 + fc 8*5+5
  EXPECT_EQ(g.stats().params, 216 + 16 + 200 + 16 + 45);
  EXPECT_THROW_MSG(b.conv(x, 8, 3, 1, Activation::kNone, Padding::kSame, 3), "not divisible by groups 3");
}

TEST(AtomicFiles, WriteReplacesAndFailureKeepsThePrevious) {
  testing::TempDir dir;
  std::string path = dir.file("out.json");
  write_file_atomic(path, "first");
  write_file_atomic(path, "second");
  EXPECT_EQ(read_file(path), "second");
  EXPECT_THROW(write_file_atomic_with(path, [](const std::string&) { throw runtime_error("disk full"); }), Error);
  EXPECT_EQ(read_file(path), "second");
  EXPECT_THROW(write_file_atomic(dir.file("missing/dir/x.json"), "x"), Error);
}

}  // namespace
}  // namespace nasctl::graph
