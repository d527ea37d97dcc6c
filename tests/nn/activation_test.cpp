// nn::activate, the one definition of every graph::Activation, against hand-computed values.

#include "nasctl/nn/activation.h"

#include <gtest/gtest.h>

#include <cmath>

namespace nasctl::nn {
namespace {

using graph::Activation;

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

TEST(Activation, EveryKindComputesItsFormulaInPlaceOrNot) {
  const std::vector<double> xs = {-7.0, -3.0, -0.5, 0.0, 0.5, 3.0, 7.0};
  struct Case {
    Activation a;
    double (*f)(double);
  };
  const Case cases[] = {
      {Activation::kNone, [](double v) { return v; }},
      {Activation::kRelu, [](double v) { return std::max(v, 0.0); }},
      {Activation::kRelu6, [](double v) { return std::min(std::max(v, 0.0), 6.0); }},
      {Activation::kHardSwish, [](double v) { return v * std::min(std::max(v + 3, 0.0), 6.0) / 6; }},
      {Activation::kHardSigmoid, [](double v) { return std::min(std::max(v + 3, 0.0), 6.0) / 6; }},
      {Activation::kSigmoid, [](double v) { return sigmoid(v); }},
      {Activation::kSwish, [](double v) { return v * sigmoid(v); }},
  };
  for (const Case& c : cases) {
    for (bool in_place : {false, true}) {
      torch::Tensor x = torch::tensor(xs, torch::kFloat32);
      torch::Tensor y = activate(x, c.a, in_place);
      for (size_t i = 0; i < xs.size(); ++i) {
        EXPECT_NEAR(y[static_cast<int64_t>(i)].item<double>(), c.f(xs[i]), 1e-6)
            << graph::activation_name(c.a) << " at " << xs[i] << (in_place ? " in place" : "");
      }
      if (!in_place && c.a != Activation::kNone) EXPECT_EQ(x[0].item<float>(), -7.0f);  // input untouched
    }
  }
}

}  // namespace
}  // namespace nasctl::nn
