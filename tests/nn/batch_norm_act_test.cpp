// The fused training-mode BatchNorm + activation against LibTorch's batch_norm and activations in
// float64 (forward, the three gradients and the running statistics).

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "nasctl/nn/batch_norm_act.h"

namespace nasctl::nn {
namespace {

using graph::Activation;

torch::Tensor reference_activation(const torch::Tensor& x, Activation act) {
  if (act == Activation::kRelu) return torch::relu(x);
  if (act == Activation::kRelu6) return torch::hardtanh(x, 0.0, 6.0);
  return x;
}

struct Case {
  int n, c, h, w;
  double offset;  // added to the input: statistics far from zero
};

TEST(BatchNormAct, MatchesBatchNormAndActivation) {
  torch::manual_seed(0);
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kRelu6}) {
    for (Case t : {Case{2, 1, 3, 3, 0.0}, Case{3, 7, 10, 10, 0.0}, Case{2, 16, 9, 11, 100.0}, Case{4, 9, 12, 12, 2.0}}) {
      SCOPED_TRACE(std::string(graph::activation_name(act)) + " n c h w = " + std::to_string(t.n) + " " + std::to_string(t.c) + " " +
                   std::to_string(t.h) + " " + std::to_string(t.w) + " offset " + std::to_string(t.offset));
      torch::Tensor x = (3 * torch::randn({t.n, t.c, t.h, t.w}) + t.offset).requires_grad_(true);
      torch::Tensor weight = torch::randn({t.c}).requires_grad_(true);
      torch::Tensor bias = (torch::randn({t.c}) + 1).requires_grad_(true);
      torch::Tensor rm = torch::randn({t.c}), rv = torch::rand({t.c}) + 0.5;
      torch::Tensor rm64 = rm.to(torch::kFloat64), rv64 = rv.to(torch::kFloat64);
      torch::Tensor y = batch_norm_act(x, weight, bias, act, 1e-3, rm, rv, 0.2);
      EXPECT_TRUE(y.is_contiguous(at::MemoryFormat::ChannelsLast));
      torch::Tensor dy = torch::randn_like(y);
      auto grads = torch::autograd::grad({y}, {x, weight, bias}, {dy});

      torch::Tensor x64 = x.detach().to(torch::kFloat64).requires_grad_(true);
      torch::Tensor w64 = weight.detach().to(torch::kFloat64).requires_grad_(true);
      torch::Tensor b64 = bias.detach().to(torch::kFloat64).requires_grad_(true);
      torch::Tensor yr = reference_activation(torch::batch_norm(x64, w64, b64, rm64, rv64, true, 0.2, 1e-3, false), act);
      auto ref = torch::autograd::grad({yr}, {x64, w64, b64}, {dy.to(torch::kFloat64)});
      EXPECT_TRUE(torch::allclose(y.to(torch::kFloat64), yr, 1e-4, 1e-4));
      EXPECT_TRUE(torch::allclose(grads[0].to(torch::kFloat64), ref[0], 1e-3, 1e-4));
      EXPECT_TRUE(torch::allclose(grads[1].to(torch::kFloat64), ref[1], 1e-3, 1e-3));
      EXPECT_TRUE(torch::allclose(grads[2].to(torch::kFloat64), ref[2], 1e-3, 1e-3));
      EXPECT_TRUE(torch::allclose(rm.to(torch::kFloat64), rm64, 1e-4, 1e-4));
      EXPECT_TRUE(torch::allclose(rv.to(torch::kFloat64), rv64, 1e-4, 1e-4));
    }
  }
}

TEST(BatchNormAct, InPlaceWithoutGradientsMatchesTheReferenceAndWritesIntoItsInput) {
  torch::manual_seed(3);
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kRelu6}) {
    SCOPED_TRACE(graph::activation_name(act));
    torch::Tensor x = (3 * torch::randn({3, 11, 7, 9}) + 2).contiguous(at::MemoryFormat::ChannelsLast);
    torch::Tensor weight = torch::randn({11}), bias = torch::randn({11}) + 1;
    torch::Tensor expected = reference_activation(
        torch::batch_norm(x.to(torch::kFloat64), weight.to(torch::kFloat64), bias.to(torch::kFloat64), {}, {}, true,
                          0.1, 1e-5, false),
        act);
    torch::Tensor copy = x.clone();
    {
      // With gradients on: out of place, the input untouched.
      torch::Tensor y = batch_norm_act_(x, weight, bias, act);
      EXPECT_NE(y.data_ptr<float>(), x.data_ptr<float>());
      EXPECT_TRUE(torch::equal(x, copy));
      EXPECT_TRUE(torch::allclose(y.to(torch::kFloat64), expected, 1e-4, 1e-4));
    }
    torch::NoGradGuard no_grad;
    torch::Tensor y = batch_norm_act_(x, weight, bias, act);
    EXPECT_EQ(y.data_ptr<float>(), x.data_ptr<float>());
    EXPECT_TRUE(torch::allclose(x.to(torch::kFloat64), expected, 1e-4, 1e-4));
    // An NCHW input is not written to.
    torch::Tensor nchw = copy.contiguous();
    torch::Tensor z = batch_norm_act_(nchw, weight, bias, act);
    EXPECT_TRUE(torch::equal(nchw, copy));
    EXPECT_TRUE(torch::allclose(z.to(torch::kFloat64), expected, 1e-4, 1e-4));
  }
}

TEST(BatchNormAct, SlicedParametersGetGradientsThroughTheView) {
  torch::Tensor weight = torch::randn({10}).requires_grad_(true);
  torch::Tensor bias = torch::randn({10}).requires_grad_(true);
  torch::Tensor x = torch::randn({2, 6, 5, 5});
  batch_norm_act(x, weight.narrow(0, 0, 6), bias.narrow(0, 0, 6), Activation::kRelu).pow(2).sum().backward();
  EXPECT_GT(weight.grad().narrow(0, 0, 6).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(weight.grad().narrow(0, 6, 4).abs().sum().item<double>(), 0.0);
  EXPECT_GT(bias.grad().narrow(0, 0, 6).abs().sum().item<double>(), 0.0);
}

TEST(BatchNormAct, DeterministicAcrossThreadCounts) {
  torch::manual_seed(2);
  torch::Tensor x = torch::randn({8, 24, 14, 14}).requires_grad_(true);
  torch::Tensor weight = torch::randn({24}).requires_grad_(true);
  torch::Tensor bias = torch::randn({24}).requires_grad_(true);
  auto run = [&](int threads) {
    torch::set_num_threads(threads);
    torch::Tensor y = batch_norm_act(x, weight, bias, Activation::kRelu6);
    auto g = torch::autograd::grad({y}, {x, weight, bias}, {torch::ones_like(y)});
    return std::vector<torch::Tensor>{y.detach(), g[0], g[1], g[2]};
  };
  auto a = run(1), b = run(3);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  torch::set_num_threads(1);
}

TEST(BatchNormAct, OtherActivationsFallBackToLibTorch) {
  torch::Tensor x = torch::randn({2, 3, 4, 4});
  torch::Tensor weight = torch::ones({3}), bias = torch::zeros({3});
  EXPECT_FALSE(batch_norm_act_fused(x, Activation::kHardSwish));
  torch::Tensor expected = torch::hardswish(torch::batch_norm(x, weight, bias, {}, {}, true, 0.1, 1e-5, false));
  EXPECT_TRUE(torch::allclose(batch_norm_act(x, weight, bias, Activation::kHardSwish), expected, 1e-5, 1e-5));
}

}  // namespace
}  // namespace nasctl::nn
