// Optimizers against LibTorch's own (SGD, AdamW) and hand-computed TensorFlow RMSProp steps; the LR
// schedule's formulas; the EMA's warm-up; state round trips through a TensorArchive.
#include "nasctl/train/optimizer.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nasctl/graph/builder.h"
#include "nasctl/nn/graph_net.h"
#include "support.h"

namespace nasctl::train {
namespace {

// A quadratic loss with a fixed target: the gradient is 2 (w - target), the same for both runs.
torch::Tensor quadratic_loss(const std::vector<torch::Tensor>& params) {
  torch::Tensor loss = torch::zeros({});
  for (size_t i = 0; i < params.size(); ++i) {
    loss = loss + (params[i] - 0.3 * static_cast<double>(i + 1)).pow(2).sum();
  }
  return loss;
}

std::vector<torch::Tensor> make_params(uint64_t seed) {
  torch::manual_seed(seed);
  return {torch::randn({4, 3}).requires_grad_(true), torch::randn({3}).requires_grad_(true)};
}

std::vector<NamedParameter> named(const std::vector<torch::Tensor>& params, bool decay_all) {
  std::vector<NamedParameter> out;
  for (size_t i = 0; i < params.size(); ++i) {
    out.push_back({"p" + std::to_string(i), params[i], decay_all || params[i].dim() > 1});
  }
  return out;
}

void expect_all_close(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_LE((a[i] - b[i]).abs().max().item<double>(), tol) << "tensor " << i;
}

TEST(Optimizer, SgdNesterovMatchesLibTorchSgd) {
  auto ours = make_params(1), theirs = make_params(1);
  OptimizerOptions o;
  o.kind = OptimizerKind::kSgd;
  o.momentum = 0.9;
  o.nesterov = true;
  o.weight_decay = 1e-2;
  Optimizer opt(named(ours, /*decay_all=*/true), o);
  torch::optim::SGD reference(theirs, torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(true).weight_decay(1e-2));
  for (int step = 0; step < 4; ++step) {
    opt.zero_grad();
    quadratic_loss(ours).backward();
    opt.step(0.05);
    reference.zero_grad();
    quadratic_loss(theirs).backward();
    reference.step();
  }
  expect_all_close(ours, theirs, 1e-6);
  EXPECT_EQ(opt.steps(), 4);
}

TEST(Optimizer, AdamWMatchesLibTorchAdamW) {
  auto ours = make_params(2), theirs = make_params(2);
  OptimizerOptions o;
  o.kind = OptimizerKind::kAdamW;
  o.weight_decay = 0.05;
  Optimizer opt(named(ours, true), o);
  torch::optim::AdamW reference(theirs, torch::optim::AdamWOptions(0.01).weight_decay(0.05));
  for (int step = 0; step < 5; ++step) {
    opt.zero_grad();
    quadratic_loss(ours).backward();
    opt.step(0.01);
    reference.zero_grad();
    quadratic_loss(theirs).backward();
    reference.step();
  }
  expect_all_close(ours, theirs, 1e-6);
}

TEST(Optimizer, RmsPropFollowsTensorFlowByHand) {
  // loss = 0.5 * w: gradient 0.5 at every step. TF: ms starts at 1, eps inside the root, lr inside
  // the momentum buffer.
  torch::Tensor w = torch::tensor({1.0}, torch::kFloat64).requires_grad_(true);
  OptimizerOptions o;
  o.kind = OptimizerKind::kRmsProp;
  o.rmsprop_decay = 0.9;
  o.momentum = 0.9;
  o.rmsprop_epsilon = 1e-3;
  o.weight_decay = 0;
  Optimizer opt({{"w", w, false}}, o);
  double ms = 1.0, mom = 0.0, expected = 1.0;
  const double lrs[] = {0.1, 0.05, 0.02};
  for (double lr : lrs) {
    opt.zero_grad();
    (0.5 * w).sum().backward();
    opt.step(lr);
    ms = 0.9 * ms + 0.1 * 0.25;
    mom = 0.9 * mom + lr * 0.5 / std::sqrt(ms + 1e-3);
    expected -= mom;
    EXPECT_NEAR(w.item<double>(), expected, 1e-12);
  }
}

TEST(Optimizer, WeightDecaySkipsBnAndBiasesAndUnusedParametersAreLeftAlone) {
  graph::GraphBuilder b("g", {8, 8, 3});
  std::string x = b.conv_bn(graph::GraphBuilder::kInput, 4, 3, 1, graph::Activation::kRelu);
  nn::GraphNet net(b.build(b.fully_connected(b.global_avg_pool(x), 2)));
  for (const NamedParameter& p : decay_groups(*net)) {
    bool is_kernel = p.name.size() > 7 && p.name.substr(p.name.size() - 7) == ".weight" && p.tensor.dim() > 1;
    EXPECT_EQ(p.decay, is_kernel) << p.name;
  }
  // With zero gradients, only decayed tensors move (SGD's L2 term).
  auto params = make_params(3);
  OptimizerOptions o;
  o.weight_decay = 0.1;
  Optimizer opt(named(params, false), o);
  auto before = std::vector<torch::Tensor>{params[0].clone(), params[1].clone()};
  params[0].mutable_grad() = torch::zeros_like(params[0]);
  params[1].mutable_grad() = torch::zeros_like(params[1]);
  opt.step(0.1);
  EXPECT_FALSE(torch::equal(before[0], params[0]));
  EXPECT_TRUE(torch::equal(before[1], params[1]));  // rank 1: no decay
  // A parameter without a gradient is skipped entirely.
  opt.zero_grad();
  params[0].mutable_grad() = torch::ones_like(params[0]);
  auto p1 = params[1].clone();
  opt.step(0.1);
  EXPECT_TRUE(torch::equal(p1, params[1]));
}

TEST(Optimizer, StateRoundTripsThroughAnArchive) {
  for (OptimizerKind kind : {OptimizerKind::kSgd, OptimizerKind::kRmsProp, OptimizerKind::kAdamW}) {
    OptimizerOptions o;
    o.kind = kind;
    auto a = make_params(4);
    Optimizer first(named(a, false), o);
    for (int i = 0; i < 2; ++i) {
      first.zero_grad();
      quadratic_loss(a).backward();
      first.step(0.01);
    }
    nn::TensorArchive archive;
    first.save(archive);
    // A fresh optimizer over copies of the weights, loaded from the archive, continues identically.
    std::vector<torch::Tensor> b = {a[0].detach().clone().requires_grad_(true), a[1].detach().clone().requires_grad_(true)};
    Optimizer second(named(b, false), o);
    second.load(archive, "ckpt");
    EXPECT_EQ(second.steps(), 2);
    for (auto* pair : {&a, &b}) {
      Optimizer& opt = pair == &a ? first : second;
      opt.zero_grad();
      quadratic_loss(*pair).backward();
      opt.step(0.01);
    }
    expect_all_close(a, b, 0.0);
    OptimizerOptions other = o;
    other.kind = kind == OptimizerKind::kSgd ? OptimizerKind::kAdamW : OptimizerKind::kSgd;
    Optimizer wrong(named(b, false), other);
    EXPECT_THROW_MSG(wrong.load(archive, "ckpt"), "ckpt: optimizer state 'optimizer.p0.");
  }
}

TEST(LrSchedule, WarmupThenCosineExponentialOrConstant) {
  ScheduleOptions s;
  s.warmup_epochs = 1;
  s.decay = DecayKind::kCosine;
  LrSchedule cosine(s, 0.4, 10, 50);  // 10 warm-up steps, 40 cosine steps
  EXPECT_EQ(cosine.warmup_steps(), 10);
  EXPECT_NEAR(cosine.at(0), 0.04, 1e-12);
  EXPECT_NEAR(cosine.at(4), 0.2, 1e-12);
  EXPECT_NEAR(cosine.at(9), 0.4, 1e-12);
  EXPECT_NEAR(cosine.at(10), 0.4, 1e-12);
  EXPECT_NEAR(cosine.at(10 + 39), 0.0, 1e-12);                       // the last step reaches the floor
  EXPECT_NEAR(cosine.at(10 + 19), 0.4 * 0.5 * (1 + std::cos(M_PI * 19.0 / 39.0)), 1e-12);
  s.decay = DecayKind::kExponential;
  s.decay_rate = 0.5;
  s.decay_epochs = 2;
  LrSchedule exponential(s, 1.0, 10, 100);
  EXPECT_NEAR(exponential.at(10 + 19), 1.0, 1e-12);  // staircase: 19 steps < 2 epochs
  EXPECT_NEAR(exponential.at(10 + 20), 0.5, 1e-12);
  EXPECT_NEAR(exponential.at(10 + 45), 0.25, 1e-12);
  s.staircase = false;
  EXPECT_NEAR(LrSchedule(s, 1.0, 10, 100).at(10 + 10), std::pow(0.5, 0.5), 1e-12);
  s.decay = DecayKind::kConstant;
  s.warmup_epochs = 0;
  EXPECT_NEAR(LrSchedule(s, 0.3, 10, 100).at(0), 0.3, 1e-12);
  OptimizerOptions o;
  o.lr = 0.1;
  EXPECT_NEAR(scaled_lr(o, 512), 0.2, 1e-12);
  o.lr_reference_batch = 0;
  EXPECT_NEAR(scaled_lr(o, 512), 0.1, 1e-12);
}

TEST(ModelEma, AveragesWithWarmupAndCopiesIntoAModule) {
  torch::nn::Linear model(2, 1);
  torch::nn::BatchNorm1d bn(1);
  {
    torch::NoGradGuard no_grad;
    model->weight.fill_(0.0);
    model->bias.fill_(0.0);
  }
  ModelEma ema(*model, 0.9);
  // Update 1 uses min(0.9, 2/11); update 2 uses min(0.9, 3/12).
  double shadow = 0.0;
  for (int t = 1; t <= 3; ++t) {
    torch::NoGradGuard no_grad;
    model->weight.fill_(static_cast<double>(t));
    ema.update(*model);
    double d = std::min(0.9, (1.0 + t) / (10.0 + t));
    shadow = d * shadow + (1 - d) * t;
  }
  torch::nn::Linear copy(2, 1);
  ema.copy_to(*copy);
  EXPECT_NEAR(copy->weight[0][0].item<double>(), shadow, 1e-6);
  EXPECT_EQ(ema.updates(), 3);
  nn::TensorArchive archive;
  ema.save(archive);
  EXPECT_TRUE(archive.contains("ema.weight"));
  EXPECT_EQ(archive.get("ema_updates").item<int64_t>(), 3);
  ModelEma restored(*model, 0.9);
  restored.load(archive, "ckpt");
  EXPECT_EQ(restored.updates(), 3);
  ModelEma other(*bn, 0.9);
  EXPECT_THROW_MSG(other.load(archive, "ckpt"), "ckpt: EMA tensor 'ema.");
  EXPECT_EQ(ModelEma(*bn, 0.9).float_buffers().size(), 2u);  // running mean and var, not the counter
}

}  // namespace
}  // namespace nasctl::train
