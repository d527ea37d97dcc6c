// Decoding, encoding, activity, sampling and counting of a SearchSpace.
#include "nasctl/space/search_space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "support.h"
#include "two_stage_space.h"

namespace nasctl::space {
namespace {

using testing::two_stage_space;

SearchSpace space(const Json& j = two_stage_space()) { return SearchSpace::from_json(j, "t.json"); }

// Every index vector of a small space, in odometer order.
std::vector<std::vector<int>> all_indices(const SearchSpace& sp) {
  std::vector<std::vector<int>> out;
  std::vector<int> x(sp.decisions().size(), 0);
  while (true) {
    out.push_back(x);
    size_t d = 0;
    for (; d < x.size(); ++d) {
      if (++x[d] < static_cast<int>(sp.decisions()[d].choices.size())) break;
      x[d] = 0;
    }
    if (d == x.size()) return out;
  }
}

// The number of distinct architectures, by decoding every index vector.
size_t brute_force_size(const SearchSpace& sp) {
  std::set<std::string> seen;
  for (const auto& x : all_indices(sp)) seen.insert(arch_to_json(sp.decode(x)).dump());
  return seen.size();
}

// `x` with its inactive decisions set to 0: what encode(decode(x)) must give.
std::vector<int> canonical(const SearchSpace& sp, std::vector<int> x) {
  std::vector<bool> active = sp.active(x);
  for (size_t d = 0; d < x.size(); ++d) {
    if (!active[d]) x[d] = 0;
  }
  return x;
}

TEST(SearchSpace, DecodesChoicesIntoBlocks) {
  SearchSpace sp = space();
  //                          s0l0 k e, s0l1 type k e, mult, s1l0 k e, s1l1 type k e
  ArchSpec a = sp.decode({1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1});
  EXPECT_EQ(a.space, "t");
  EXPECT_EQ(a.input, (graph::Shape{8, 8, 3}));
  EXPECT_EQ(a.classes, 10);
  EXPECT_EQ(a.stem.filters, 8);
  ASSERT_EQ(a.blocks.size(), 4u);
  EXPECT_EQ(a.blocks[0].type, BlockType::kInvertedBottleneck);
  EXPECT_EQ(a.blocks[0].kernel, 5);
  EXPECT_EQ(a.blocks[0].expansion, 2.0);
  EXPECT_EQ(a.blocks[0].filters, 8);
  EXPECT_EQ(a.blocks[0].stride, 1);
  EXPECT_EQ(a.blocks[1].expansion, 4.0);
  EXPECT_EQ(a.blocks[2].filters, 16);  // multiplier 1.0
  EXPECT_EQ(a.blocks[2].stride, 2);
  EXPECT_EQ(a.blocks[2].expansion, 4.0);
  EXPECT_EQ(a.blocks[3].type, BlockType::kSkip);
  EXPECT_EQ(a.blocks[3].filters, 16);
  EXPECT_EQ(a.blocks[3].stride, 1);
  EXPECT_EQ(sp.decode({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}).blocks[2].filters, 8);  // multiplier 0.5
}

TEST(SearchSpace, ASkippedLayersOtherDecisionsAreInactive) {
  SearchSpace sp = space();
  std::vector<int> x = {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1};  // stage0/layer1 skipped, stage1/layer1 not
  std::vector<bool> active = sp.active(x);
  EXPECT_EQ(active, (std::vector<bool>{true, true, true, false, false, true, true, true, true, true, true}));
  // Decoding reads inactive decisions as choice 0, so that equal architectures decode equally.
  std::vector<int> y = x;
  y[3] = 0;
  y[4] = 0;
  EXPECT_EQ(arch_to_json(sp.decode(x)), arch_to_json(sp.decode(y)));
  EXPECT_EQ(sp.encode(sp.decode(x)), y);
}

TEST(SearchSpace, TiedDecisionIsActiveWhileAnyOfItsLayersIs) {
  Json j = two_stage_space();
  j["stages"][1]["tie"] = {"kernel"};
  SearchSpace sp = space(j);
  int tied = sp.decision_index(2, DecisionKind::kKernel);
  ASSERT_GE(tied, 0);
  EXPECT_EQ(sp.decisions()[tied].name, "stage1/kernel");
  EXPECT_EQ(sp.decision_index(3, DecisionKind::kKernel), tied);
  std::vector<int> x(sp.decisions().size(), 1);
  ArchSpec a = sp.decode(x);
  EXPECT_EQ(a.blocks[2].kernel, 5);
  EXPECT_EQ(a.blocks[3].type, BlockType::kSkip);
  EXPECT_TRUE(sp.active(x)[tied]);  // layer 0 of the stage still uses it
  // A tied value that differs between the layers is not in the space.
  x[sp.decision_index(3, DecisionKind::kType)] = 0;
  ArchSpec b = sp.decode(x);
  b.blocks[3].kernel = 3;
  EXPECT_THROW_MSG(sp.encode(b), "arch 't_arch': blocks[3].kernel is 3, but stage1/kernel is tied and an earlier layer "
                                 "of the stage has 5");
}

TEST(SearchSpace, EncodeInvertsDecodeOnEveryArchitecture) {
  SearchSpace sp = space();
  for (const auto& x : all_indices(sp)) {
    ArchSpec a = sp.decode(x);
    ASSERT_EQ(sp.encode(a), canonical(sp, x));
    ArchSpec again = arch_from_json(arch_to_json(a), "a.json");  // through the file format too
    ASSERT_EQ(sp.encode(again), canonical(sp, x));
  }
}

TEST(SearchSpace, EncodeNamesWhatIsNotInTheSpace) {
  SearchSpace sp = space();
  ArchSpec a = sp.decode(std::vector<int>(11, 0));
  auto changed = [&](auto edit) {
    ArchSpec b = a;
    edit(b);
    return b;
  };
  EXPECT_THROW_MSG(sp.encode(changed([](ArchSpec& b) { b.blocks[0].kernel = 7; })),
                   "arch 't_arch': blocks[0].kernel is 7, which is not a choice of stage0/layer0/kernel (3, 5)");
  EXPECT_THROW_MSG(sp.encode(changed([](ArchSpec& b) { b.blocks[0].activation = graph::Activation::kRelu6; })),
                   "arch 't_arch': blocks[0].activation is relu6, which is not a choice of stage0/layer0/activation (relu)");
  EXPECT_THROW_MSG(sp.encode(changed([](ArchSpec& b) { b.blocks[2].filters = 24; })),
                   "arch 't_arch': blocks[2].filter_multiplier is 24 filters, which is not a choice of "
                   "stage1/filter_multiplier (0.5, 1)");
  EXPECT_THROW_MSG(sp.encode(changed([](ArchSpec& b) { b.blocks[0].type = BlockType::kSkip; })),
                   "arch 't_arch': blocks[0].type is skip, which is not a choice of stage0/layer0/type (ibn)");
  EXPECT_THROW_MSG(sp.encode(changed([](ArchSpec& b) { b.blocks[2].stride = 1; })),
                   "arch 't_arch': blocks[2].stride is 1, but the space has 2");
  EXPECT_THROW_MSG(sp.encode(changed([](ArchSpec& b) { b.blocks.pop_back(); })),
                   "arch 't_arch' has 3 blocks, but space 't' has 4 layers");
  EXPECT_THROW_MSG(sp.encode(changed([](ArchSpec& b) { b.stem.filters = 16; })),
                   "arch 't_arch': the stem is 16 filters 3x3/1 relu, but space 't' has 8 filters 3x3/1 relu");
  EXPECT_THROW_MSG(sp.encode(changed([](ArchSpec& b) { b.classes = 100; })),
                   "arch 't_arch': classes is 100, but space 't' has 10");
  EXPECT_THROW_MSG(sp.encode(changed([](ArchSpec& b) { b.input = {16, 16, 3}; })),
                   "arch 't_arch': input is 16x16x3, but space 't' has 8x8x3");
}

TEST(SearchSpace, DecodeChecksIndices) {
  SearchSpace sp = space();
  EXPECT_THROW_MSG(sp.decode({0, 0}), "space 't': 2 choice indices given, but it has 11 decisions");
  std::vector<int> x(11, 0);
  x[5] = 2;
  EXPECT_THROW_MSG(sp.decode(x), "space 't': choice index of stage1/filter_multiplier must be in [0, 1], but got 2");
  x[5] = -1;
  EXPECT_THROW_MSG(sp.active(x), "but got -1");
}

TEST(SearchSpace, CountsDistinctArchitectures) {
  SearchSpace sp = space();
  // By hand: stage 0 = 4 (layer 0) x (4 + 1 skip) (layer 1) = 20; stage 1 = 2 multipliers x 4 x 5 = 40.
  EXPECT_NEAR(sp.log10_size(), std::log10(20.0 * 40.0), 1e-12);
  EXPECT_EQ(brute_force_size(sp), 800u);
  EXPECT_NEAR(sp.log10_combinations(), 11 * std::log10(2.0), 1e-12);
}

TEST(SearchSpace, CountsTiesOnceAgainstBruteForce) {
  // Tied kernel over a stage with two skippable layers, an activation choice, SE on one layer.
  Json j = two_stage_space();
  j["stages"][0]["kernel"] = 3;  // fewer decisions, so that brute force stays quick
  j["stages"][1]["layers"] = 3;
  j["stages"][1]["tie"] = {"kernel"};
  j["stages"][1]["activation"] = Json::array({"relu", "hard_swish"});
  j["stages"][1]["overrides"] = Json::parse(R"([{"layer": 2, "se": [false, true]}])");
  SearchSpace sp = space(j);
  EXPECT_NEAR(std::pow(10.0, sp.log10_size()), static_cast<double>(brute_force_size(sp)), 1e-6);
  // A tied type (no skips) counts once per stage.
  Json t = two_stage_space();
  t["defaults"]["skippable"] = false;
  t["defaults"]["type"] = {"ibn", "fused_ibn"};
  t["stages"][0]["tie"] = {"type", "expansion"};
  SearchSpace tied = space(t);
  EXPECT_NEAR(std::pow(10.0, tied.log10_size()), static_cast<double>(brute_force_size(tied)), 1e-6);
  // A layer whose type override makes it always skipped adds nothing.
  Json s = two_stage_space();
  s["stages"][0]["overrides"] = Json::parse(R"([{"layer": 1, "type": "skip"}])");
  SearchSpace skipped = space(s);
  EXPECT_NEAR(std::pow(10.0, skipped.log10_size()), static_cast<double>(brute_force_size(skipped)), 1e-6);
  EXPECT_NEAR(skipped.log10_size(), std::log10(4.0 * 40.0), 1e-12);
}

TEST(SearchSpace, SamplesUniformlyAndReproducibly) {
  SearchSpace sp = space();
  std::mt19937_64 a(7), b(7), c(8);
  std::vector<int> first = sp.sample(a);
  EXPECT_EQ(first, sp.sample(b));
  std::vector<std::vector<int>> draws;
  for (int i = 0; i < 20; ++i) draws.push_back(sp.sample(c));
  EXPECT_GT(std::set<std::vector<int>>(draws.begin(), draws.end()).size(), 15u);
  // Each choice of each decision comes up about half the time (binomial sd at n = 4000: 32).
  std::mt19937_64 rng(1);
  std::vector<int> ones(sp.decisions().size(), 0);
  for (int i = 0; i < 4000; ++i) {
    std::vector<int> x = sp.sample(rng);
    for (size_t d = 0; d < x.size(); ++d) ones[d] += x[d];
  }
  for (int n : ones) EXPECT_NEAR(n, 2000, 160);
}

}  // namespace
}  // namespace nasctl::space
