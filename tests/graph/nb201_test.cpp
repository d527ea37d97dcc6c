#include "nasctl/graph/nb201.h"

#include <gtest/gtest.h>

#include "support.h"

namespace nasctl::graph {
namespace {

int count_ops(const Graph& g, Op op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

// MACs below are hand-computed from the network the LatBench calibration file describes. The two
// extremes agree with NAS-Bench-201's own range for CIFAR-10, 7.78 M to 220.11 MFLOPs (Dong & Yang,
// ICLR 2020; their "FLOPs" count multiply-accumulates and include BN, which the measured net lacks).
constexpr int64_t kStemMacs = 32 * 32 * 27 * 16;                                   // 442,368
constexpr int64_t kReductionMacs = 2 * (256 * 9 * 16 * 32 + 256 * 9 * 32 * 32 + 256 * 16 * 32);  // both blocks
constexpr int64_t kClassifierMacs = 64 * 10;
constexpr int64_t kFixedMacs = kStemMacs + kReductionMacs + kClassifierMacs;      // 7,783,040

TEST(Nb201, AllConv3x3IsTheLargestNetwork) {
  Graph g = nb201_graph("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|");
  // Each 3x3 cell conv costs H*W*9*C*C = 2,359,296 MACs at every stack (32x32x16, 16x16x32, 8x8x64).
  EXPECT_EQ(g.stats().macs, kFixedMacs + 3 * 5 * 6 * int64_t(2359296));
  EXPECT_EQ(g.stats().macs, 220119680);
  EXPECT_EQ(count_ops(g, Op::kConv2d), 1 + 90 + 2 * 3);
  EXPECT_EQ(count_ops(g, Op::kAdd), 15 * 3 + 2);  // nodes 2 and 3 have 2 and 3 inputs
  EXPECT_EQ(count_ops(g, Op::kBatchNorm), 0);
  EXPECT_EQ(g.output_shape(), (Shape{1, 1, 10}));
  // Every cell conv has ReLU fused; the reduction convs have none.
  EXPECT_EQ(g.node("s1c0_e01_conv3x3").activation, Activation::kRelu);
  EXPECT_EQ(g.node("reduce1_conv_a").activation, Activation::kNone);
  EXPECT_EQ(g.node("reduce1_conv_a").output, (Shape{16, 16, 32}));
}

TEST(Nb201, IdentityCellsLeaveOnlyTheSkeleton) {
  // node1 and node2 do not reach the output: their convs are never built.
  Graph g = nb201_graph("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|");
  EXPECT_EQ(g.stats().macs, kFixedMacs);
  EXPECT_EQ(g.stats().macs, 7783040);
  // stem, 2 x (3 convs, pool, add), gap, flatten, classifier
  EXPECT_EQ(g.nodes.size(), 1u + 2 * 5 + 3);
}

TEST(Nb201, OneConvPerCellAndBinaryAdds) {
  Graph one = nb201_graph("|nor_conv_1x1~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|");
  EXPECT_EQ(one.stats().macs, kFixedMacs + 3 * 5 * int64_t(1024 * 256));  // H*W*C*C = 262,144 per stack
  // node2 = x + x, node3 = x + conv1x1(node2): two adds and one conv per cell.
  Graph adds = nb201_graph("|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|none~1|nor_conv_1x1~2|");
  EXPECT_EQ(count_ops(adds, Op::kAdd), 15 * 2 + 2);
  EXPECT_EQ(count_ops(adds, Op::kConv2d), 1 + 15 + 6);
  EXPECT_EQ(adds.stats().macs, one.stats().macs);
  // Pools: 3x3 stride-1 same pooling keeps the shape.
  Graph pools = nb201_graph("|avg_pool_3x3~0|+|none~0|nor_conv_3x3~1|+|nor_conv_3x3~0|none~1|none~2|");
  EXPECT_EQ(count_ops(pools, Op::kAvgPool2d), 2);  // node1 and node2 never reach the output
  EXPECT_EQ(pools.stats().macs, kFixedMacs + 3 * 5 * int64_t(2359296));
  Graph pooled = nb201_graph("|avg_pool_3x3~0|+|none~0|none~1|+|none~0|avg_pool_3x3~1|none~2|");
  EXPECT_EQ(count_ops(pooled, Op::kAvgPool2d), 30 + 2);
}

TEST(Nb201, OptionsChangeTheHead) {
  Nb201Options o;
  o.classes = 100;
  Graph g = nb201_graph("|skip_connect~0|+|none~0|none~1|+|none~0|skip_connect~1|none~2|", o);
  EXPECT_EQ(g.stats().macs, kFixedMacs - kClassifierMacs + 6400);
}

TEST(Nb201, BadStringsAreClearErrors) {
  EXPECT_THROW_MSG(nb201_graph("|nor_conv_3x3~0|+|none~0|none~1|"), "must have 3 nodes separated by '+', but has 2");
  EXPECT_THROW_MSG(nb201_graph("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|"), "op \"conv\" must be one of");
  EXPECT_THROW_MSG(nb201_graph("|none~0|+|none~0|none~2|+|none~0|none~1|none~2|"), "edge \"none~2\" must be written op~1");
  EXPECT_THROW_MSG(nb201_graph("|none~0|+|none~0|+|none~0|none~1|none~2|"), "node 2 must have 2 input edge(s), but has 1");
  EXPECT_THROW_MSG(nb201_graph("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"),
                   "the cell output is not reachable from its input");
}

}  // namespace
}  // namespace nasctl::graph
