// Controller, baseline and rewards against independent references: torch autograd for the
// REINFORCE gradient, hand-computed Adam steps and rewards, empirical sampling frequencies.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <random>

#include "nasctl/search/controller.h"
#include "nasctl/search/reward.h"
#include "support.h"

namespace nasctl::search {
namespace {

TEST(Reward, AbsoluteSoftHardByHand) {
  // TuNAS absolute reward: 0.8 + (-0.1) * |12/10 - 1| = 0.78.
  EXPECT_NEAR(reward(RewardKind::kAbsolute, -0.1, 0.8, 12.0, 10.0), 0.78, 1e-12);
  EXPECT_NEAR(reward(RewardKind::kAbsolute, -0.1, 0.8, 8.0, 10.0), 0.78, 1e-12);  // symmetric around T0
  // MnasNet soft: 0.8 * 2^-0.07.
  EXPECT_NEAR(reward(RewardKind::kMnasSoft, -0.07, 0.8, 20.0, 10.0), 0.8 * 0.952638, 1e-6);
  EXPECT_NEAR(reward(RewardKind::kMnasSoft, -0.07, 0.8, 5.0, 10.0), 0.8 * 1.049717, 1e-6);
  // MnasNet hard: no bonus below the target, 0.8 * (2)^-1 above.
  EXPECT_DOUBLE_EQ(reward(RewardKind::kMnasHard, -1.0, 0.8, 5.0, 10.0), 0.8);
  EXPECT_NEAR(reward(RewardKind::kMnasHard, -1.0, 0.8, 20.0, 10.0), 0.4, 1e-12);
  EXPECT_DOUBLE_EQ(default_reward_beta(RewardKind::kAbsolute), -0.10);
}

TEST(Reward, ParseNames) {
  EXPECT_EQ(parse_reward_kind("mnas_soft", "x"), RewardKind::kMnasSoft);
  EXPECT_THROW_MSG(parse_reward_kind("mnas", "cfg.json: controller.reward"),
                   "cfg.json: controller.reward must be one of absolute, mnas_soft, mnas_hard, but got \"mnas\"");
}

TEST(Controller, StartsUniformAndEntropyCountsActiveDecisions) {
  Controller c({3, 2, 4});
  EXPECT_NEAR(c.probabilities(0)[1], 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(c.entropy({true, true, true}), std::log(3.0) + std::log(2.0) + std::log(4.0), 1e-12);
  EXPECT_NEAR(c.entropy({true, false, true}), std::log(3.0) + std::log(4.0), 1e-12);
  EXPECT_NEAR(c.log_prob({0, 1, 3}, {true, false, true}), -std::log(12.0), 1e-12);
}

TEST(Controller, ReinforceGradientMatchesAutograd) {
  Controller c({3, 2, 4});
  // Move the logits away from zero so that p is not uniform.
  LogitTable g0 = {{0.3, -0.2, 0.1}, {0.5, -0.5}, {0.1, 0.2, -0.4, 0.3}};
  c.apply_gradient(g0, 0.7);
  std::vector<int> idx = {2, 0, 1};
  std::vector<bool> active = {true, false, true};
  double advantage = 0.37;
  LogitTable grad = c.reinforce_gradient(idx, active, advantage);
  for (int d = 0; d < 3; ++d) {
    auto logits = torch::tensor(c.logits()[d], torch::kFloat64).requires_grad_(true);
    auto loss = -advantage * torch::log_softmax(logits, 0)[idx[d]];
    loss.backward();
    for (int k = 0; k < c.num_choices(d); ++k) {
      double expected = active[d] ? logits.grad()[k].item<double>() : 0.0;
      EXPECT_NEAR(grad[d][k], expected, 1e-12) << "decision " << d << " choice " << k;
    }
  }
}

TEST(Controller, AdamStepByHand) {
  // beta1 = 0, beta2 = 0.999: the first step is lr * g / (|g| + eps) (bias-corrected v = g^2).
  Controller c({2});
  c.apply_gradient({{0.5, -0.25}}, 0.1);
  EXPECT_NEAR(c.logits()[0][0], -0.1, 1e-7);
  EXPECT_NEAR(c.logits()[0][1], 0.1, 1e-7);
  // Second step with g = (0.1, 0): v = 0.999 * 0.001 * 0.25 + 0.001 * 0.01, corrected by 1 - 0.999^2.
  c.apply_gradient({{0.1, 0.0}}, 0.1);
  double v = (0.999 * 0.001 * 0.25 + 0.001 * 0.01) / (1 - 0.999 * 0.999);
  double first = -0.1 * 0.5 / (0.5 + 1e-8);
  EXPECT_NEAR(c.logits()[0][0], first - 0.1 * 0.1 / (std::sqrt(v) + 1e-8), 1e-12);
  EXPECT_NEAR(c.logits()[0][1], 0.1, 1e-7);
}

TEST(Controller, MaskedChoicesAreNeverSampled) {
  Controller c({3, 2});
  c.mask(0, 1);
  EXPECT_DOUBLE_EQ(c.probabilities(0)[1], 0.0);
  EXPECT_NEAR(c.probabilities(0)[0], 0.5, 1e-12);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 500; ++i) {
    EXPECT_NE(c.sample(rng)[0], 1);
    EXPECT_NE(c.sample_uniform(rng)[0], 1);
  }
  EXPECT_NO_THROW(c.mask(1, 0));  // one choice left is fine
  c.mask(0, 0);
  EXPECT_THROW_MSG(c.mask(0, 2), "leaves no allowed choice");
}

TEST(Controller, SamplingFollowsProbabilities) {
  Controller c({3});
  c.apply_gradient({{-1.0, 0.0, 1.0}}, 0.5);  // p ~ softmax(0.5, 0, -0.5)
  std::vector<double> p = c.probabilities(0);
  std::mt19937_64 rng(7);
  std::vector<int> counts(3, 0);
  const int n = 20000;
  for (int i = 0; i < n; ++i) counts[c.sample(rng)[0]]++;
  for (int k = 0; k < 3; ++k) {
    double sd = std::sqrt(p[k] * (1 - p[k]) / n);
    EXPECT_NEAR(counts[k] / double(n), p[k], 5 * sd) << "choice " << k;
  }
}

TEST(Controller, ReinforceLearnsTheBestChoice) {
  // Reward 1 for choice 2 of decision 0, else 0; decision 1 is irrelevant noise.
  Controller c({4, 3});
  RewardBaseline baseline(0.95);
  std::mt19937_64 rng(3);
  for (int step = 0; step < 300; ++step) {
    std::vector<int> idx = c.sample(rng);
    double r = idx[0] == 2 ? 1.0 : 0.0;
    c.apply_gradient(c.reinforce_gradient(idx, {true, true}, baseline.advantage(r)), 0.05);
    baseline.update(r);
  }
  EXPECT_EQ(c.most_likely()[0], 2);
  EXPECT_GT(c.probabilities(0)[2], 0.9);
}

TEST(Baseline, ExponentialMovingAverageFromTheFirstReward) {
  RewardBaseline b(0.95);
  EXPECT_DOUBLE_EQ(b.advantage(0.7), 0.0);
  b.update(0.7);
  EXPECT_DOUBLE_EQ(b.value(), 0.7);
  b.update(0.9);
  EXPECT_NEAR(b.value(), 0.95 * 0.7 + 0.05 * 0.9, 1e-15);
  EXPECT_NEAR(b.advantage(1.0), 1.0 - b.value(), 1e-15);
}

TEST(Controller, StateRoundTripsExactly) {
  Controller a({3, 2});
  a.mask(0, 2);
  a.apply_gradient({{0.123456789, -0.3, 0.0}, {1e-3, -2e-3}}, 0.0314159);
  Json state = parse_json(a.state().dump(), "state");
  Controller b({3, 2});
  b.load_state(state, "ckpt");
  EXPECT_EQ(a.logits(), b.logits());
  EXPECT_FALSE(b.allowed(0, 2));
  a.apply_gradient({{0.2, 0.1, 0.0}, {0.5, 0.5}}, 0.1);
  b.apply_gradient({{0.2, 0.1, 0.0}, {0.5, 0.5}}, 0.1);
  EXPECT_EQ(a.logits(), b.logits());  // Adam moments restored bit for bit
  Controller wrong({3, 3});
  EXPECT_THROW_MSG(wrong.load_state(state, "ckpt"), "ckpt: controller.logits[1] must hold 3 choices");
}

}  // namespace
}  // namespace nasctl::search
