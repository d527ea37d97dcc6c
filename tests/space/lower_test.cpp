// Lowering ArchSpecs to Graphs: counts against hand computation and torchvision, residuals, ids.
#include "nasctl/space/lower.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "nasctl/space/search_space.h"
#include "support.h"

namespace nasctl::space {
namespace {

// One block of every kind on an 8x8x3 input: ibn (residual), fused_ibn with SE and stride 2, skip,
// group_ibn (residual), a head conv.
ArchSpec small_arch() {
  return arch_from_json(Json::parse(R"({
    "name": "small", "input": [8, 8, 3], "classes": 10,
    "stem": {"filters": 8, "kernel": 3, "stride": 1, "activation": "relu"},
    "blocks": [
      {"type": "ibn", "kernel": 3, "expansion": 2, "filters": 8, "stride": 1},
      {"type": "fused_ibn", "kernel": 3, "expansion": 2, "filters": 16, "stride": 2, "se": true},
      {"type": "skip"},
      {"type": "group_ibn", "kernel": 3, "expansion": 2, "filters": 16, "groups": 2}],
    "head": {"filters": 24, "activation": "relu"}})"),
                        "small.json");
}

std::vector<std::string> ids(const graph::Graph& g) {
  std::vector<std::string> out;
  for (const graph::Node& n : g.nodes) out.push_back(n.id);
  return out;
}

int count_op(const graph::Graph& g, graph::Op op) {
  int n = 0;
  for (const graph::Node& node : g.nodes) n += node.op == op;
  return n;
}

TEST(Lower, SmallArchMatchesHandComputedCounts) {
  graph::Graph g = lower(small_arch());
  EXPECT_EQ(ids(g), (std::vector<std::string>{
                        "stem", "stem_bn",                                                     //
                        "b0_expand", "b0_expand_bn", "b0_dw", "b0_dw_bn", "b0_project", "b0_project_bn", "b0_add",
                        "b1f_expand", "b1f_expand_bn", "b1f_se_pool", "b1f_se_reduce", "b1f_se_expand", "b1f_se_mul",
                        "b1f_project", "b1f_project_bn",                                       //
                        "b3g_expand", "b3g_expand_bn", "b3g_shuffle", "b3g_dw", "b3g_dw_bn", "b3g_project",
                        "b3g_project_bn", "b3g_add",                                           //
                        "head", "head_bn", "pool", "classifier"}));
  // MACs: output pixels x output channels x (kernel taps x input channels per group).
  const int64_t stem = 64 * 8 * (9 * 3);
  const int64_t b0 = 64 * 16 * 8 + 64 * 16 * 9 + 64 * 8 * 16;             // expand, dw, project on 8x8
  const int64_t b1 = 16 * 16 * (9 * 8) + 8 * 16 + 16 * 8 + 16 * 16 * 16;  // 3x3/2 expand -> 4x4, SE 16->8->16, project
  const int64_t b3 = 16 * 32 * 8 + 16 * 32 * 9 + 16 * 16 * 16;            // group expand (16/2 in), dw, group project (32/2 in)
  const int64_t head = 16 * 24 * 16 + 24 * 10;                            // 1x1 conv on 4x4, classifier
  EXPECT_EQ(g.stats().macs, stem + b0 + b1 + b3 + head);
  // Parameters: conv weights, SE and classifier biases, BatchNorm gamma + beta.
  const int64_t p_stem = 8 * 27 + 2 * 8;
  const int64_t p_b0 = 8 * 16 + 2 * 16 + 9 * 16 + 2 * 16 + 16 * 8 + 2 * 8;
  const int64_t p_b1 = 9 * 8 * 16 + 2 * 16 + (16 * 8 + 8) + (8 * 16 + 16) + 16 * 16 + 2 * 16;
  const int64_t p_b3 = 8 * 32 + 2 * 32 + 9 * 32 + 2 * 32 + 16 * 16 + 2 * 16;
  const int64_t p_head = 16 * 24 + 2 * 24 + 24 * 10 + 10;
  EXPECT_EQ(g.stats().params, p_stem + p_b0 + p_b1 + p_b3 + p_head);
  EXPECT_EQ(g.node("b1f_se_reduce").params, 16 * 8 + 8);
  EXPECT_EQ(g.node("b1f_se_reduce").activation, graph::Activation::kRelu);
  EXPECT_EQ(g.node("b1f_se_expand").activation, graph::Activation::kHardSigmoid);
  EXPECT_EQ(g.node("b1f_se_mul").inputs, (std::vector<std::string>{"b1f_expand_bn", "b1f_se_expand"}));
  EXPECT_EQ(g.node("b1f_expand").output, (graph::Shape{4, 4, 16}));
  EXPECT_EQ(g.node("b3g_expand").groups, 2);
  EXPECT_EQ(g.node("b3g_shuffle").groups, 2);
  EXPECT_EQ(g.node("b0_project_bn").activation, graph::Activation::kNone);  // linear bottleneck
  EXPECT_EQ(g.node("b0_dw_bn").activation, graph::Activation::kRelu);
  EXPECT_EQ(g.output_shape(), (graph::Shape{1, 1, 10}));
}

TEST(Lower, ResidualsExactlyWhereStrideIsOneAndChannelsMatch) {
  graph::Graph g = lower(small_arch());
  EXPECT_EQ(count_op(g, graph::Op::kAdd), 2);
  EXPECT_EQ(g.node("b0_add").inputs, (std::vector<std::string>{"stem_bn", "b0_project_bn"}));
  // The skip block is the identity: block 3's residual adds block 1's output.
  EXPECT_EQ(g.node("b3g_add").inputs, (std::vector<std::string>{"b1f_project_bn", "b3g_project_bn"}));
  ArchSpec a = small_arch();
  a.blocks[0].filters = 16;  // channels change (8 -> 16): no residual
  graph::Graph wider = lower(a);
  EXPECT_EQ(wider.find("b0_add"), -1);
  EXPECT_EQ(count_op(wider, graph::Op::kAdd), 1);
}

TEST(Lower, ExpansionOneOmitsTheExpansionConv) {
  ArchSpec a = small_arch();
  a.blocks[0].expansion = 1;
  graph::Graph g = lower(a);
  EXPECT_EQ(g.find("b0_expand"), -1);
  EXPECT_EQ(g.node("b0_dw").inputs, (std::vector<std::string>{"stem_bn"}));
  a.blocks[1].expansion = 1;  // fused: one kxk conv-bn-act
  graph::Graph f = lower(a);
  EXPECT_EQ(f.find("b1f_expand"), -1);
  EXPECT_EQ(f.find("b1f_project"), -1);
  EXPECT_EQ(f.node("b1f_conv").kernel_h, 3);
  EXPECT_EQ(f.node("b1f_conv").output, (graph::Shape{4, 4, 16}));
  EXPECT_EQ(f.node("b1f_conv_bn").activation, graph::Activation::kRelu);
}

// torchvision.models.mobilenet_v2(): 3,504,872 parameters; about 300 M multiply-adds (the paper).
TEST(Lower, MobileNetV2MatchesTorchvision) {
  ArchSpec a;
  a.name = "mobilenet_v2";
  a.stem = {32, 3, 2, graph::Activation::kRelu6};
  struct Stage { double t; int c, n, s; };
  for (Stage st : {Stage{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2},
                   {6, 320, 1, 1}}) {
    for (int i = 0; i < st.n; ++i) {
      BlockSpec b;
      b.expansion = st.t;
      b.filters = st.c;
      b.stride = i == 0 ? st.s : 1;
      b.kernel = 3;
      b.activation = graph::Activation::kRelu6;
      a.blocks.push_back(b);
    }
  }
  a.head = {1280, graph::Activation::kRelu6, 0};
  graph::Graph g = lower(a);
  EXPECT_EQ(g.stats().params, 3504872);
  EXPECT_NEAR(static_cast<double>(g.stats().macs), 300e6, 0.02 * 300e6);
  EXPECT_EQ(count_op(g, graph::Op::kAdd), 10);
  EXPECT_EQ(g.node("b16_project").output, (graph::Shape{7, 7, 320}));
}

TEST(Lower, IdsDependOnBlockAndTypeOnly) {
  // Across samples of a space, a node id always means the same role and weight shape class.
  SearchSpace sp = SearchSpace::load("tiny");
  std::mt19937_64 rng(3);
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    graph::Graph g = lower(sp.decode(sp.sample(rng)));
    for (const graph::Node& n : g.nodes) seen.insert(n.id);
  }
  for (const std::string& id : seen) {
    bool known = id == "stem" || id == "stem_bn" || id == "head" || id == "head_bn" || id == "pool" ||
                 id == "classifier" || id.rfind("b", 0) == 0;
    EXPECT_TRUE(known) << id;
  }
  EXPECT_TRUE(seen.count("b1_dw") && seen.count("b1f_expand") && seen.count("b0_expand"));
}

TEST(Lower, RejectsArchitecturesItCannotBuild) {
  ArchSpec a = small_arch();
  a.blocks[2].filters = 24;  // a skip cannot change channels
  EXPECT_THROW_MSG(lower(a), "arch 'small': blocks[2] (skip) is the identity, so it needs stride 1 and 16 filters, "
                             "but has stride 1 and 24 filters");
  a = small_arch();
  a.blocks[3].groups = 3;
  EXPECT_THROW_MSG(lower(a), "arch 'small': blocks[3] (group_ibn): groups 3 must divide the input (16), expanded (32) "
                             "and output (16) channels");
  a = small_arch();
  a.classes = 0;
  EXPECT_THROW_MSG(lower(a), "arch 'small': classes must be >= 1, but got 0");
}

}  // namespace
}  // namespace nasctl::space
