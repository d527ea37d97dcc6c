// The spaces in configs/spaces: sizes, round trips of random samples, and known architectures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "nasctl/core/configs.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/search_space.h"
#include "support.h"

namespace nasctl::space {
namespace {

const char* const kShipped[] = {"edgetpu", "edgetpu_small", "mobilenet_v3_like", "proxylessnas", "tiny"};

std::vector<int> canonical(const SearchSpace& sp, std::vector<int> x) {
  std::vector<bool> active = sp.active(x);
  for (size_t d = 0; d < x.size(); ++d) {
    if (!active[d]) x[d] = 0;
  }
  return x;
}

TEST(ShippedSpaces, AreAllBuiltIn) {
  std::vector<std::string> names = builtin_config_names("spaces");
  for (const char* name : kShipped) EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

// indices -> ArchSpec -> (JSON ->) indices, and every sample lowers to a valid Graph.
TEST(ShippedSpaces, RandomSamplesRoundTripAndLower) {
  for (const char* name : kShipped) {
    SCOPED_TRACE(name);
    SearchSpace sp = SearchSpace::load(name);
    std::mt19937_64 rng(11);
    for (int i = 0; i < 100; ++i) {
      std::vector<int> x = sp.sample(rng);
      ArchSpec a = sp.decode(x);
      ASSERT_EQ(sp.encode(a), canonical(sp, x));
      Json j = arch_to_json(a);
      ASSERT_EQ(sp.encode(arch_from_json(j, "sample.json")), canonical(sp, x));
      ASSERT_EQ(arch_to_json(sp.decode(sp.encode(a))), j);
      graph::Graph g = lower(a);
      ASSERT_EQ(g.output_shape(), (graph::Shape{1, 1, sp.classes()}));
    }
  }
}

// TuNAS's ProxylessNAS space: a separable conv with 3 kernels, 20 bottleneck layers with 3 x 2
// choices, 15 of them skippable. Distinct architectures: 3 x 6^6 x 7^15 = 10^17.82; TuNAS counts
// every OneOf (skip x kernel x expansion = 12 on skippable layers): 3 x 6^6 x 12^15 = 10^21.34,
// the "about 10^21" of the paper.
TEST(ShippedSpaces, ProxylessNasSize) {
  SearchSpace sp = SearchSpace::load("proxylessnas");
  EXPECT_EQ(sp.layers().size(), 22u);
  EXPECT_NEAR(sp.log10_size(), std::log10(3.0) + 6 * std::log10(6.0) + 15 * std::log10(7.0), 1e-9);
  EXPECT_NEAR(sp.log10_size(), 17.8225, 1e-4);
  EXPECT_NEAR(sp.log10_combinations(), std::log10(3.0) + 6 * std::log10(6.0) + 15 * std::log10(12.0), 1e-9);
  EXPECT_NEAR(sp.log10_combinations(), 21.3337, 1e-4);
}

// ProxylessNAS-Mobile as TuNAS writes it (mobile_model_archive.PROXYLESSNAS_MOBILE_OPERATIONS:
// per layer 0..5 = expansion {3, 6} x kernel {3, 5, 7}, 6 = skip; the first is the sepconv kernel).
TEST(ShippedSpaces, ProxylessNasMobileIsInTheSpace) {
  SearchSpace sp = SearchSpace::load("proxylessnas");
  const int ops[] = {0, 1, 0, 6, 6, 2, 0, 1, 1, 5, 1, 1, 1, 4, 1, 1, 1, 5, 5, 2, 2, 5};
  ArchSpec a = sp.decode(std::vector<int>(sp.decisions().size(), 0));
  a.blocks[0].kernel = 3;
  for (int i = 1; i < 22; ++i) {
    if (ops[i] == 6) {
      a.blocks[i].type = BlockType::kSkip;
      continue;
    }
    a.blocks[i].expansion = ops[i] < 3 ? 3 : 6;
    a.blocks[i].kernel = 3 + 2 * (ops[i] % 3);
  }
  std::vector<int> x = sp.encode(a);
  EXPECT_EQ(arch_to_json(sp.decode(x)), arch_to_json(a));
  EXPECT_EQ(std::count(std::begin(ops), std::end(ops), 6), 2);
  // Published for ProxylessNAS-Mobile (Cai et al. 2019): 4.1 M parameters, 320 M MACs.
  graph::GraphStats s = lower(a).stats();
  EXPECT_NEAR(static_cast<double>(s.params), 4.1e6, 0.01 * 4.1e6);
  EXPECT_NEAR(static_cast<double>(s.macs), 320e6, 0.01 * 320e6);
}

TEST(ShippedSpaces, MobileNetV3LikeSize) {
  SearchSpace sp = SearchSpace::load("mobilenet_v3_like");
  // Distinct widths per stage of 16, 16, 32, 64, 128, 256 x {0.5, 0.625, 0.75, 1, 1.25, 1.5, 2}:
  // 1 (fixed), 4, 6, 7, 7, 7. Per layer: kernel 3 x expansion 6 x SE 2 = 36, +1 where skippable.
  double expected = std::log10(3.0) + std::log10(4.0 * 6 * 7 * 7 * 7) + 5 * std::log10(36.0) + 15 * std::log10(37.0);
  EXPECT_NEAR(sp.log10_size(), expected, 1e-9);
  const Decision& width = sp.decisions()[sp.decision_index(1, DecisionKind::kFilterMultiplier)];
  EXPECT_EQ(width.choices, (std::vector<Json>{0.5, 1.0, 1.5, 2.0}));  // 8, 16, 24, 32 filters
  // hard_swish from the third stride-2 stage on, as MobileNetV3.
  EXPECT_EQ(sp.layer_choices(5, DecisionKind::kActivation), (std::vector<Json>{"relu"}));
  EXPECT_EQ(sp.layer_choices(9, DecisionKind::kActivation), (std::vector<Json>{"hard_swish"}));
  EXPECT_EQ(sp.head().hidden, 1024);
}

// EfficientNet-EdgeTPU-S (Gupta & Akin 2020; efficientnet_edgetpu_builder.py:
// r1_k3_s11_e4_i24_o24_c1, r2_k3_s22_e8_i24_o32_c1, r4_k3_s22_e8_i32_o48_c1, r5_k5_s22_e8_i48_o96,
// r4_k5_s11_e8_i96_o144, r2_k5_s22_e8_i144_o192; stem 32, head 1280, ReLU) is in the space.
TEST(ShippedSpaces, EdgeTpuContainsEfficientNetEdgeTpuS) {
  SearchSpace sp = SearchSpace::load("edgetpu");
  struct Stage { BlockType type; int kernel; double e; int filters, n, stride; };
  ArchSpec a = sp.decode(std::vector<int>(sp.decisions().size(), 0));
  size_t i = 0;
  for (Stage st : {Stage{BlockType::kFusedInvertedBottleneck, 3, 4, 24, 1, 1},
                   {BlockType::kFusedInvertedBottleneck, 3, 8, 32, 2, 2},
                   {BlockType::kFusedInvertedBottleneck, 3, 8, 48, 4, 2},
                   {BlockType::kInvertedBottleneck, 5, 8, 96, 5, 2},
                   {BlockType::kInvertedBottleneck, 5, 8, 144, 4, 1},
                   {BlockType::kInvertedBottleneck, 5, 8, 192, 2, 2}}) {
    for (int l = 0; l < st.n; ++l, ++i) {
      ASSERT_LT(i, a.blocks.size());
      a.blocks[i].type = st.type;
      a.blocks[i].kernel = st.kernel;
      a.blocks[i].expansion = st.e;
      a.blocks[i].filters = st.filters;
      EXPECT_EQ(a.blocks[i].stride, l == 0 ? st.stride : 1);
    }
  }
  ASSERT_EQ(i, a.blocks.size());
  // Expansions here multiply the block's real input (32 channels from the stem for the first
  // block), where the TF builder multiplies the declared i24: our first block is 128 wide, not 96.
  std::vector<int> x = sp.encode(a);
  EXPECT_EQ(arch_to_json(sp.decode(x)), arch_to_json(a));
  EXPECT_EQ(lower(a).node("b0f_expand").filters, 128);
}

// Edge TPU friendly: ReLU only, no squeeze-excite, kernels <= 5, anywhere in the space.
TEST(ShippedSpaces, EdgeTpuSpaceIsReluOnlyWithoutSqueezeExcite) {
  SearchSpace sp = SearchSpace::load("edgetpu");
  for (size_t l = 0; l < sp.layers().size(); ++l) {
    EXPECT_EQ(sp.layer_choices(static_cast<int>(l), DecisionKind::kActivation), (std::vector<Json>{"relu"}));
    EXPECT_EQ(sp.layer_choices(static_cast<int>(l), DecisionKind::kSqueezeExcite), (std::vector<Json>{false}));
    for (const Json& k : sp.layer_choices(static_cast<int>(l), DecisionKind::kKernel)) EXPECT_LE(k.get<int>(), 5);
  }
}

TEST(ShippedSpaces, TinyIsSmall) {
  SearchSpace sp = SearchSpace::load("tiny");
  EXPECT_EQ(sp.input(), (graph::Shape{28, 28, 1}));
  EXPECT_EQ(sp.classes(), 10);
  // Per stage: 3 widths x (2 types x 2 kernels x 2 expansions) x (8 + skip).
  EXPECT_NEAR(sp.log10_size(), 3 * std::log10(3.0 * 8 * 9), 1e-9);
  // The largest architecture (every choice at its maximum, fused blocks) stays under 100 M MACs.
  std::vector<int> largest;
  for (const Decision& d : sp.decisions()) {
    largest.push_back(d.kind == DecisionKind::kType ? 1 : static_cast<int>(d.choices.size()) - 1);
  }
  ArchSpec big = sp.decode(largest);
  EXPECT_EQ(big.blocks[1].type, BlockType::kFusedInvertedBottleneck);
  EXPECT_LT(lower(big).stats().macs, 100'000'000);
}

}  // namespace
}  // namespace nasctl::space
