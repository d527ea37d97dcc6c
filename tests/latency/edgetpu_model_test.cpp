#include "nasctl/latency/edgetpu_model.h"

#include <gtest/gtest.h>

#include "nasctl/graph/builder.h"
#include "nasctl/graph/nb201.h"
#include "nasctl/graph/zoo.h"
#include "support.h"

namespace nasctl::latency {
namespace {

using graph::Activation;
using graph::GraphBuilder;
using graph::Padding;

/// Round numbers so each term can be computed by hand: 500 MHz, a 64x64 array, 64-cycle weight loads,
/// full efficiency, 1 GB/s on chip, 100 MB/s host link, no overheads.
HardwareProfile hand_profile() {
  HardwareProfile p;
  p.name = "hand";
  p.clock_hz = 500e6;
  p.array_rows = p.array_cols = 64;
  p.weight_load_cycles = 64;
  p.conv_efficiency = 1.0;
  p.depthwise_macs_per_cycle = 32;
  p.avgpool_ops_per_cycle = 4;
  p.maxpool_ops_per_cycle = 8;
  p.elementwise_ops_per_cycle = 16;
  p.onchip_bandwidth = 1e9;
  p.op_overhead_s = 0;
  p.sram_param_bytes = 8 << 20;
  p.host_bandwidth = 1e8;
  p.inference_overhead_s = 0;
  p.cpu_macs_per_s = 1e9;
  p.cpu_elements_per_s = 1e8;
  p.cpu_op_overhead_s = 1e-5;
  return p;
}

TEST(EdgeTpuModel, OneByOneConvWithEightFiltersUsesEightColumns) {
  GraphBuilder b("pw", {8, 8, 64});
  graph::Graph g = b.build(b.conv(GraphBuilder::kInput, 8, 1));
  LatencyReport r = EdgeTpuModel(hand_profile()).predict(g);
  const OpCost& c = r.ops[0];
  EXPECT_DOUBLE_EQ(c.utilization, 8.0 / 64.0);  // 64 input channels fill the rows, 8 of 64 columns
  // One tile pass: max(64 pixels, 64 weight-load cycles) / 500 MHz.
  EXPECT_DOUBLE_EQ(c.compute_s, 64 / 500e6);
  // 4096 B in + 512 B out at 1 GB/s.
  EXPECT_DOUBLE_EQ(c.memory_s, 4608 / 1e9);
  EXPECT_EQ(c.param_bytes, 512);
  EXPECT_EQ(c.cached_bytes, 512);
  EXPECT_EQ(c.streamed_bytes, 0);
  EXPECT_EQ(c.bound, Bound::kMemory);
  EXPECT_DOUBLE_EQ(c.ops, 2.0 * 64 * 64 * 8);
  // Input 4096 B and output 512 B over the 100 MB/s link.
  EXPECT_DOUBLE_EQ(r.transfer_ms, 1e3 * 4608 / 1e8);
  EXPECT_DOUBLE_EQ(r.total_ms, 1e3 * (4608 / 1e9 + 4608 / 1e8));
}

TEST(EdgeTpuModel, PartialTilesWasteCycles) {
  // Reduction 3*3*80 = 720 -> 12 row tiles of 64 (768 rows, 48 idle); 100 filters -> 2 column tiles.
  GraphBuilder b("tiles", {10, 10, 80});
  graph::Graph g = b.build(b.conv(GraphBuilder::kInput, 100, 3));
  HardwareProfile p = hand_profile();
  p.onchip_bandwidth = 1e11;  // so that compute bounds the op
  OpCost c = EdgeTpuModel(p).predict(g).ops[0];
  EXPECT_DOUBLE_EQ(c.compute_s, 12 * 2 * 100 / 500e6);  // 100 pixels per pass
  EXPECT_DOUBLE_EQ(c.utilization, (720.0 * 100) / (12 * 64 * 2 * 64));
  EXPECT_EQ(c.bound, Bound::kCompute);
}

TEST(EdgeTpuModel, ParametersBeyondTheSramStreamEveryInference) {
  HardwareProfile p = hand_profile();
  p.sram_param_bytes = 1000;
  GraphBuilder b("stream", {4, 4, 16});
  std::string x = b.conv(GraphBuilder::kInput, 16, 3, 1, Activation::kNone, Padding::kSame, 1, false, "first");
  x = b.conv(x, 16, 1, 1, Activation::kNone, Padding::kSame, 1, false, "second");
  graph::Graph g = b.build(x);
  LatencyReport r = EdgeTpuModel(p).predict(g);
  // first: 3*3*16*16 = 2304 B, of which the first 1000 are cached (execution order).
  EXPECT_EQ(r.ops[0].param_bytes, 2304);
  EXPECT_EQ(r.ops[0].cached_bytes, 1000);
  EXPECT_EQ(r.ops[0].streamed_bytes, 1304);
  EXPECT_DOUBLE_EQ(r.ops[0].weights_s, 1304 / 1e8);
  EXPECT_EQ(r.ops[0].bound, Bound::kWeights);
  // second: the cache is full, all 256 B stream.
  EXPECT_EQ(r.ops[1].cached_bytes, 0);
  EXPECT_EQ(r.ops[1].streamed_bytes, 256);
  EXPECT_EQ(r.streamed_param_bytes, 1304 + 256);
  EXPECT_EQ(r.cached_param_bytes, 1000);
  EXPECT_DOUBLE_EQ(r.ops[0].time_s, 1304 / 1e8);
}

TEST(EdgeTpuModel, TermsCombineToExactlyThePrediction) {
  EdgeTpuModel model(load_hardware_profile("coral-devboard"));
  for (const char* name : {"mobilenet_v2", "resnet50_v1", "vgg16", "inception_v1", "mobilenet_v3_large"}) {
    graph::Graph g = graph::zoo_model(name);
    std::vector<OpTerms> ops;
    NetworkTerms net;
    model.terms(g, &ops, &net);
    LatencyPrediction p = model.combine(ops.data(), ops.size(), net);
    EXPECT_EQ(p.ms, model.predict_ms(g)) << name;
    EXPECT_EQ(p.ms, model.predict(g).total_ms) << name;
    LatencyPrediction q = model.predict_interval(g);
    EXPECT_EQ(q.ms, p.ms);
    EXPECT_LT(q.lo_ms, q.ms) << name;  // the shipped profile carries an interval
    EXPECT_GT(q.hi_ms, q.ms) << name;
  }
}

TEST(EdgeTpuModel, Vgg16StreamsMostOfItsParameters) {
  graph::Graph g = graph::zoo_model("vgg16");
  LatencyReport r = EdgeTpuModel(hand_profile()).predict(g);
  int64_t params = g.stats().param_bytes_int8;
  EXPECT_EQ(r.cached_param_bytes + r.streamed_param_bytes, params);
  EXPECT_EQ(r.cached_param_bytes, int64_t(8 << 20));  // the cache fills up completely, in order
  EXPECT_GT(r.streamed_param_bytes, 120'000'000);  // ~138 M parameters, 8 MiB cached
  // At 100 MB/s the streamed weights alone take over a second.
  EXPECT_GT(r.total_ms, 1e3 * double(r.streamed_param_bytes) / 1e8 * 0.99);
}

TEST(EdgeTpuModel, DepthwisePoolAndElementwiseThroughputs) {
  GraphBuilder b("misc", {16, 16, 32});
  std::string dw = b.depthwise(GraphBuilder::kInput, 3, 1);
  std::string pool = b.avg_pool(dw, 3, 1);
  std::string sum = b.add({pool, dw});
  graph::Graph g = b.build(sum);
  LatencyReport r = EdgeTpuModel(hand_profile()).predict(g);
  const double elements = 16 * 16 * 32;
  EXPECT_DOUBLE_EQ(r.ops[0].compute_s, elements * 9 / (32 * 500e6));  // MACs / (32 MAC/cycle)
  EXPECT_DOUBLE_EQ(r.ops[1].compute_s, elements * 9 / (4 * 500e6));   // window elements / 4 per cycle
  EXPECT_DOUBLE_EQ(r.ops[2].compute_s, elements * 2 / (16 * 500e6));  // two inputs / 16 per cycle
  EXPECT_DOUBLE_EQ(r.ops[2].memory_s, elements * 3 / 1e9);
}

TEST(EdgeTpuModel, BatchNormAndReluFuseIntoTheConv) {
  GraphBuilder b("fused", {8, 8, 16});
  std::string x = b.conv(GraphBuilder::kInput, 32, 3);
  x = b.batch_norm(x);
  x = b.activation(x, Activation::kRelu6);
  graph::Graph g = b.build(x);
  LatencyReport r = EdgeTpuModel(hand_profile()).predict(g);
  EXPECT_EQ(r.ops[1].bound, Bound::kFused);
  EXPECT_EQ(r.ops[1].fused_into, 0);
  EXPECT_EQ(r.ops[2].fused_into, 0);
  EXPECT_EQ(r.ops[0].param_bytes, 3 * 3 * 16 * 32 + 4 * 32);  // int32 bias from the folded BN
  GraphBuilder plain("plain", {8, 8, 16});
  graph::Graph conv_only = plain.build(plain.conv(GraphBuilder::kInput, 32, 3, 1, Activation::kRelu6, Padding::kSame, 1, true));
  EXPECT_DOUBLE_EQ(EdgeTpuModel(hand_profile()).predict_ms(g), EdgeTpuModel(hand_profile()).predict_ms(conv_only));
}

TEST(EdgeTpuModel, AWiderLayerIsNeverFaster) {
  EdgeTpuModel model(hand_profile());
  HardwareProfile tight = hand_profile();
  tight.sram_param_bytes = 20000;  // exercise streaming too
  tight.op_overhead_s = 2e-6;
  EdgeTpuModel streaming(tight);
  for (const EdgeTpuModel* m : {&model, &streaming}) {
    double previous = 0;
    for (int width = 4; width <= 320; width += 4) {
      GraphBuilder b("wide", {14, 14, 24});
      std::string x = b.conv_bn(GraphBuilder::kInput, width, 1, 1, Activation::kRelu);
      x = b.depthwise_bn(x, 3, 1, Activation::kRelu);
      x = b.avg_pool(x, 3, 1);
      std::string y = b.conv(x, width, 1);
      x = b.add({x, y});
      x = b.global_avg_pool(x);
      x = b.fully_connected(x, width);
      double ms = m->predict_ms(b.build(x));
      EXPECT_GE(ms, previous) << "width " << width;
      previous = ms;
    }
  }
  // Whole networks: a wider MobileNet V2 is never faster.
  double previous = 0;
  for (double width : {0.35, 0.5, 0.75, 1.0, 1.3, 1.4}) {
    graph::ZooOptions o;
    o.width = width;
    double ms = model.predict_ms(graph::zoo_model("mobilenet_v2", o));
    EXPECT_GT(ms, previous) << "width " << width;
    previous = ms;
  }
}

TEST(EdgeTpuModel, UnsupportedOpCutsTheGraph) {
  GraphBuilder b("cut", {8, 8, 16});
  std::string x = b.conv(GraphBuilder::kInput, 16, 3, 1, Activation::kRelu, Padding::kSame, 1, false, "ok");
  x = b.activation(x, Activation::kHardSwish, "hswish");
  x = b.conv(x, 16, 3, 1, Activation::kRelu, Padding::kSame, 1, false, "after");
  graph::Graph g = b.build(x);
  std::vector<UnsupportedOp> bad = check_edgetpu(g);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0].id, "hswish_1");
  EXPECT_EQ(bad[0].node, 1);
  EXPECT_NE(bad[0].reason.find("HARD_SWISH"), std::string::npos);
  LatencyReport r = EdgeTpuModel(hand_profile()).predict(g);
  EXPECT_FALSE(r.on_edgetpu);
  EXPECT_EQ(r.cut_node, 1);
  EXPECT_TRUE(r.ops[0].on_edgetpu);
  EXPECT_FALSE(r.ops[1].on_edgetpu);
  EXPECT_FALSE(r.ops[2].on_edgetpu);  // supported, but after the cut
  EXPECT_EQ(r.ops[2].bound, Bound::kCpu);
  // CPU: the second conv's MACs at 1 GMAC/s + one dispatch; the activation's elements + dispatch.
  double conv_macs = 8 * 8 * 9 * 16 * 16;
  EXPECT_NEAR(r.ops[2].time_s, conv_macs / 1e9 + 1e-5, 1e-12);
  EXPECT_NEAR(r.cpu_ms, 1e3 * (conv_macs / 1e9 + 1e-5 + 1024 / 1e8 + 1e-5), 1e-9);
  // The input goes to the Edge TPU, the first conv's output comes back for the CPU part.
  EXPECT_DOUBLE_EQ(r.transfer_ms, 1e3 * (1024 + 1024) / 1e8);
}

TEST(EdgeTpuOps, DocumentedLimits) {
  GraphBuilder b("ops", {7, 7, 32});
  std::string s = b.softmax(GraphBuilder::kInput, "spatial_softmax");
  std::string g = b.global_avg_pool(s);
  std::string fc = b.fully_connected(g, 20000);
  std::string ok = b.softmax(fc, "big_softmax");
  graph::Graph graph = b.build(ok);
  std::vector<UnsupportedOp> bad = check_edgetpu(graph);
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_NE(bad[0].reason.find("1-D"), std::string::npos);
  EXPECT_NE(bad[1].reason.find("16,000"), std::string::npos);
  EXPECT_EQ(first_unsupported_node(graph), 0);
  // Everything on the CPU: no Edge TPU overhead, no transfers.
  HardwareProfile p = hand_profile();
  p.inference_overhead_s = 0.04;
  LatencyReport r = EdgeTpuModel(p).predict(graph);
  EXPECT_EQ(r.overhead_ms, 0);
  EXPECT_EQ(r.transfer_ms, 0);
  EXPECT_DOUBLE_EQ(r.total_ms, r.cpu_ms);
  // Zoo networks built from mapped ops are fully on the Edge TPU.
  for (const char* name : {"mobilenet_v1", "mobilenet_v2", "inception_v1", "resnet50_v1", "vgg16", "efficientnet_edgetpu_s"})
    EXPECT_TRUE(check_edgetpu(graph::zoo_model(name)).empty()) << name;
}

TEST(EdgeTpuModel, PredictMsMatchesTheReport) {
  EdgeTpuModel model(hand_profile());
  for (const char* name : {"mobilenet_v2", "inception_v1", "efficientnet_edgetpu_s"}) {
    graph::Graph g = graph::zoo_model(name);
    LatencyReport r = model.predict(g);
    EXPECT_DOUBLE_EQ(model.predict_ms(g), r.total_ms);
    double sum = 0;
    for (const OpCost& c : r.ops) sum += c.time_s;
    EXPECT_NEAR(r.total_ms, 1e3 * sum + r.transfer_ms + r.overhead_ms, 1e-9);
  }
}

TEST(EdgeTpuModel, RejectsAnUnfinalizedGraph) {
  graph::Graph g;
  EXPECT_THROW_MSG(EdgeTpuModel(hand_profile()).predict_ms(g), "must be finalized");
}

}  // namespace
}  // namespace nasctl::latency
