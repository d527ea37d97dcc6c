// Latency of sampled architectures, Edge TPU masks and the reachable latency range.

#include <gtest/gtest.h>

#include <random>

#include "nasctl/core/configs.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/latency/edgetpu_ops.h"
#include "nasctl/latency/hardware_profile.h"
#include "nasctl/search/arch_latency.h"
#include "nasctl/search/options.h"
#include "nasctl/space/lower.h"
#include "support.h"

namespace nasctl::search {
namespace {

// hard_swish and group_ibn's channel shuffle do not map onto the Edge TPU (latency/edgetpu_ops.h).
space::SearchSpace mixed_space() {
  Json json = parse_json(R"({
    "name": "mixed", "input": [32, 32, 3], "classes": 10,
    "stem": {"filters": 16, "kernel": 3, "stride": 2},
    "defaults": {"type": ["ibn", "group_ibn", "fused_ibn"], "kernel": [3, 5], "expansion": [2, 4],
                 "activation": ["relu", "hard_swish"], "se": [false, true], "groups": 2},
    "stages": [
      {"filters": 16, "stride": 1, "layers": 2, "skippable": true},
      {"filters": 32, "stride": 2, "layers": 1, "filter_multiplier": [0.5, 1.0]}
    ],
    "head": {"filters": 64}
  })", "test");
  return space::SearchSpace::from_json(json, "mixed.json");
}

TEST(ArchLatency, IsTheLatencyModelOfTheLoweredArchitectureAndCached) {
  space::SearchSpace space = space::SearchSpace::load("tiny");
  latency::HardwareProfile profile = latency::load_hardware_profile("coral-usb3");
  ArchLatency latency(space, profile);
  latency::EdgeTpuModel model(profile);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 5; ++i) {
    std::vector<int> idx = space.sample(rng);
    EXPECT_DOUBLE_EQ(latency.latency_ms(idx), model.predict_ms(space::lower(space.decode(idx))));
  }
  int64_t before = latency.evaluations();
  std::vector<int> idx = space.sample(rng);
  latency.latency_ms(idx);
  latency.latency_ms(idx);
  EXPECT_EQ(latency.evaluations(), before + 1);
  // Inactive decisions (a skipped layer's kernel) do not make another architecture.
  std::vector<bool> active = space.active(idx);
  for (size_t d = 0; d < idx.size(); ++d) {
    if (!active[d]) {
      idx[d] = (idx[d] + 1) % static_cast<int>(space.decisions()[d].choices.size());
      latency.latency_ms(idx);
      EXPECT_EQ(latency.evaluations(), before + 1);
      break;
    }
  }
}

// The per-part cache must give exactly (bit for bit) what lowering the whole architecture gives,
// in every shipped space and in one with ops the Edge TPU cannot map (those take the uncached path).
TEST(ArchLatency, PartCacheReproducesTheLoweredGraphExactly) {
  latency::HardwareProfile profile = latency::load_hardware_profile("coral-devboard");
  std::vector<space::SearchSpace> spaces = {mixed_space()};
  for (const char* name : {"tiny", "edgetpu", "edgetpu_small", "mobilenet_v3_like", "proxylessnas"}) {
    spaces.push_back(space::SearchSpace::load(name));
  }
  for (const space::SearchSpace& space : spaces) {
    ArchLatency latency(space, profile);
    std::mt19937_64 rng(11);
    int compared = 0;
    for (int i = 0; i < 300; ++i) {
      std::vector<int> idx = space.sample(rng);
      double cached = latency.latency_ms(idx);
      ASSERT_EQ(cached, latency.latency_ms_uncached(idx)) << space.name() << " sample " << i;
      latency::LatencyPrediction p = latency.latency_interval(idx);
      EXPECT_LE(p.lo_ms, p.ms);
      EXPECT_GE(p.hi_ms, p.ms);
      ++compared;
    }
    EXPECT_EQ(compared, 300);
    // Parts repeat across architectures: far fewer part evaluations than parts priced.
    EXPECT_LT(latency.part_evaluations(), 300 * 10) << space.name();
  }
}

TEST(ArchLatency, EdgeTpuMasksForbidExactlyTheUnmappedChoices) {
  space::SearchSpace space = mixed_space();
  ArchLatency latency(space, latency::load_hardware_profile("coral-usb3"));
  std::vector<std::string> unavoidable;
  std::vector<MaskedChoice> masks = edgetpu_masks(latency, &unavoidable);
  EXPECT_TRUE(unavoidable.empty());
  ChoiceMask allowed;
  for (const auto& d : space.decisions()) allowed.emplace_back(d.choices.size(), true);
  for (const MaskedChoice& m : masks) {
    const Json& choice = space.decisions()[m.decision].choices[m.choice];
    EXPECT_TRUE(choice == "hard_swish" || choice == "group_ibn") << m.reason;
    allowed[m.decision][m.choice] = false;
  }
  // Every hard_swish and group_ibn choice is masked (3 layers: 3 activations + 3 types).
  EXPECT_EQ(masks.size(), 6u);
  // Whatever the controller then samples maps onto the Edge TPU.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100; ++i) {
    std::vector<int> idx(space.decisions().size());
    for (size_t d = 0; d < idx.size(); ++d) {
      do {
        idx[d] = static_cast<int>(rng() % allowed[d].size());
      } while (!allowed[d][idx[d]]);
    }
    EXPECT_TRUE(latency.on_edgetpu(idx));
  }
}

TEST(ArchLatency, RangeByCoordinateDescentMatchesExhaustiveSearch) {
  space::SearchSpace space = mixed_space();
  ArchLatency latency(space, latency::load_hardware_profile("coral-usb3"));
  ChoiceMask allowed;
  for (const auto& d : space.decisions()) allowed.emplace_back(d.choices.size(), true);
  for (const MaskedChoice& m : edgetpu_masks(latency)) allowed[m.decision][m.choice] = false;
  LatencyRange exact = latency_range(latency, allowed, /*exhaustive_limit=*/1000000);
  LatencyRange descent = latency_range(latency, allowed, /*exhaustive_limit=*/0);
  ASSERT_TRUE(exact.exact);
  EXPECT_FALSE(descent.exact);
  EXPECT_NEAR(descent.min_ms, exact.min_ms, 1e-12);
  EXPECT_NEAR(descent.max_ms, exact.max_ms, 1e-12);
  EXPECT_LT(exact.min_ms, exact.max_ms);
  EXPECT_DOUBLE_EQ(latency.latency_ms(exact.fastest), exact.min_ms);
}

// The embedded default search must stay meaningful when hardware profiles are recalibrated: its
// target lies inside the tiny space's reachable latencies, away from both ends.
TEST(ArchLatency, EmbeddedDefaultTargetIsReachable) {
  std::string origin;
  SearchOptions o = search_options_from_json(load_config("search", "default", &origin), origin);
  space::SearchSpace space = space::SearchSpace::load(o.space);
  ArchLatency latency(space, latency::load_hardware_profile(o.hardware));
  ChoiceMask allowed;
  for (const auto& d : space.decisions()) allowed.emplace_back(d.choices.size(), true);
  for (const MaskedChoice& m : edgetpu_masks(latency)) allowed[m.decision][m.choice] = false;
  LatencyRange range = latency_range(latency, allowed, 0);
  EXPECT_GT(o.target_ms, 1.05 * range.min_ms) << "fastest " << range.min_ms << " ms";
  EXPECT_LT(o.target_ms, 0.95 * range.max_ms) << "slowest " << range.max_ms << " ms";
}

// bench/pareto.sh searches edgetpu_small at 32x32 against hand-designed networks of that size: the
// space must reach below the fastest of them (MobileNetV2 0.35) and above the slowest
// (EfficientNet-EdgeTPU-S), as the same latency model predicts them for 1-channel, 10-class inputs.
TEST(ArchLatency, EdgeTpuSmallSpansTheParetoBaselines) {
  space::SearchSpace space = space::SearchSpace::load("edgetpu_small");
  ASSERT_EQ(space.input(), (graph::Shape{32, 32, 1}));
  latency::HardwareProfile profile = latency::load_hardware_profile("coral-usb3");
  ArchLatency latency(space, profile);
  ChoiceMask allowed;
  for (const auto& d : space.decisions()) allowed.emplace_back(d.choices.size(), true);
  for (const MaskedChoice& m : edgetpu_masks(latency)) allowed[m.decision][m.choice] = false;
  LatencyRange range = latency_range(latency, allowed, 0);
  latency::EdgeTpuModel model(profile);
  auto zoo_ms = [&](const char* name, double width) {
    graph::ZooOptions z;
    z.input_size = 32;
    z.classes = 10;
    z.channels = 1;
    z.width = width;
    return model.predict_ms(graph::zoo_model(name, z));
  };
  EXPECT_LT(range.min_ms, zoo_ms("mobilenet_v2", 0.35));
  EXPECT_GT(range.max_ms, zoo_ms("efficientnet_edgetpu_s", 1.0));
}

}  // namespace
}  // namespace nasctl::search
