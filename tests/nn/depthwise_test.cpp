// The direct depthwise kernels against LibTorch's conv2d (autograd in float64) as the reference.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "nasctl/nn/depthwise.h"

namespace nasctl::nn {
namespace {

struct Case {
  int n, c, h, w, k, s;
};

TEST(Depthwise, ForwardAndGradientsMatchConv2d) {
  torch::manual_seed(0);
  for (Case t : {Case{2, 3, 9, 9, 3, 1}, Case{2, 4, 8, 7, 5, 1}, Case{3, 2, 10, 10, 7, 2}, Case{2, 5, 9, 8, 3, 2},
                 Case{1, 6, 14, 14, 5, 2}, Case{2, 3, 4, 4, 7, 1},
                 // Register-blocked paths: full 8-channel blocks, a channel tail, 4-column blocks
                 // and single interior columns, every kernel size and both strides.
                 Case{2, 16, 11, 13, 3, 1}, Case{2, 20, 12, 15, 5, 1}, Case{1, 12, 14, 14, 7, 1},
                 Case{2, 24, 13, 16, 3, 2}, Case{1, 8, 15, 15, 5, 2}, Case{1, 9, 9, 10, 9, 1}}) {
    SCOPED_TRACE("n c h w k s = " + std::to_string(t.n) + " " + std::to_string(t.c) + " " + std::to_string(t.h) + " " +
                 std::to_string(t.w) + " " + std::to_string(t.k) + " " + std::to_string(t.s));
    torch::Tensor x = torch::randn({t.n, t.c, t.h, t.w}).requires_grad_(true);
    torch::Tensor w = torch::randn({t.c, 1, t.k, t.k}).requires_grad_(true);
    torch::Tensor y = depthwise_conv2d_direct(x, w, t.s);
    torch::Tensor dy = torch::randn_like(y);
    auto grads = torch::autograd::grad({y}, {x, w}, {dy});

    torch::Tensor xd = x.detach().to(torch::kFloat64).requires_grad_(true);
    torch::Tensor wd = w.detach().to(torch::kFloat64).requires_grad_(true);
    int64_t p = (t.k - 1) / 2;
    torch::Tensor yr = torch::conv2d(xd, wd, {}, {t.s, t.s}, {p, p}, {1, 1}, t.c);
    auto ref = torch::autograd::grad({yr}, {xd, wd}, {dy.to(torch::kFloat64)});
    ASSERT_EQ(y.sizes(), yr.sizes());
    EXPECT_TRUE(torch::allclose(y.to(torch::kFloat64), yr, 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(grads[0].to(torch::kFloat64), ref[0], 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(grads[1].to(torch::kFloat64), ref[1], 1e-4, 1e-3));
  }
}

TEST(Depthwise, SlicedWeightsGetGradientsThroughTheView) {
  torch::Tensor big = torch::randn({6, 1, 5, 5}).requires_grad_(true);
  torch::Tensor x = torch::randn({2, 4, 6, 6});
  depthwise_conv2d_direct(x, big.narrow(0, 0, 4).narrow(2, 1, 3).narrow(3, 1, 3), 1).sum().backward();
  EXPECT_GT(big.grad().narrow(0, 0, 4).narrow(2, 1, 3).narrow(3, 1, 3).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(big.grad().narrow(0, 4, 2).abs().sum().item<double>(), 0.0);
  EXPECT_EQ(big.grad().narrow(2, 0, 1).abs().sum().item<double>(), 0.0);
}

TEST(Depthwise, DeterministicAcrossThreadCounts) {
  torch::manual_seed(1);
  torch::Tensor x = torch::randn({4, 8, 12, 12}).requires_grad_(true);
  torch::Tensor w = torch::randn({8, 1, 5, 5}).requires_grad_(true);
  auto run = [&](int threads) {
    torch::set_num_threads(threads);
    torch::Tensor y = depthwise_conv2d_direct(x, w, 2);
    auto g = torch::autograd::grad({y}, {x, w}, {torch::ones_like(y)});
    return std::vector<torch::Tensor>{y.detach(), g[0], g[1]};
  };
  auto a = run(1), b = run(2);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << i;
  torch::set_num_threads(1);
}

TEST(Depthwise, DispatchMatchesConv2dOnLargeAndSmallMaps) {
  torch::manual_seed(3);
  for (int size : {16, 4, 1}) {  // oneDNN's kernels, the direct kernels (<= 4x4), a 1x1 map
    SCOPED_TRACE("size " + std::to_string(size));
    torch::Tensor x = torch::randn({2, 12, size, size}).requires_grad_(true);
    torch::Tensor w = torch::randn({12, 1, 3, 3}).requires_grad_(true);
    torch::Tensor y = depthwise_conv2d(x, w, 1);
    EXPECT_TRUE(y.is_contiguous(at::MemoryFormat::ChannelsLast));
    torch::Tensor dy = torch::randn_like(y);
    auto grads = torch::autograd::grad({y}, {x, w}, {dy});
    torch::Tensor xd = x.detach().to(torch::kFloat64).requires_grad_(true);
    torch::Tensor wd = w.detach().to(torch::kFloat64).requires_grad_(true);
    torch::Tensor yr = torch::conv2d(xd, wd, {}, {1, 1}, {1, 1}, {1, 1}, 12);
    auto ref = torch::autograd::grad({yr}, {xd, wd}, {dy.to(torch::kFloat64)});
    EXPECT_TRUE(torch::allclose(y.to(torch::kFloat64), yr, 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(grads[0].to(torch::kFloat64), ref[0], 1e-4, 1e-4));
    EXPECT_TRUE(torch::allclose(grads[1].to(torch::kFloat64), ref[1], 1e-4, 1e-3));
  }
}

}  // namespace
}  // namespace nasctl::nn
