// GraphNet: every op against a hand-computed or naive-loop reference, the Graph's "same" padding,
// deterministic init, a training step, dropout.
#include "nasctl/nn/graph_net.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "nasctl/graph/builder.h"
#include "support.h"

namespace nasctl::nn {
namespace {
using graph::Activation;
using graph::GraphBuilder;
using graph::Padding;
using graph::Shape;
using Ints = std::vector<int64_t>;

GraphNetOptions options(double dropout, uint64_t seed) {
  GraphNetOptions o;
  o.dropout = dropout;
  o.seed = seed;
  return o;
}

torch::Tensor input_for(const graph::Graph& g, int64_t batch = 2, uint64_t seed = 1) {
  torch::manual_seed(seed);
  return torch::randn({batch, g.input.c, g.input.h, g.input.w});
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, double tol = 1e-5) {
  ASSERT_EQ(a.sizes(), b.sizes());
  EXPECT_LE((a - b).abs().max().item<double>(), tol);
}

torch::Tensor weight_of(GraphNet& net, const std::string& id) {
  return net->named_parameters()[GraphNetImpl::module_name(id) + ".weight"];
}

// Naive pooling as the Graph defines it: window i starts at i * stride - (k - 1) / 2 ("same") or
// i * stride ("valid"); taps outside the input are ignored (max) or not counted (average).
torch::Tensor naive_pool(const torch::Tensor& x, int k, int s, Padding pad, bool is_max, int out_h, int out_w) {
  auto out = torch::zeros({x.size(0), x.size(1), out_h, out_w});
  int before = pad == Padding::kSame ? (k - 1) / 2 : 0;
  auto xa = x.accessor<float, 4>();
  auto oa = out.accessor<float, 4>();
  for (int64_t n = 0; n < x.size(0); ++n) {
    for (int64_t c = 0; c < x.size(1); ++c) {
      for (int i = 0; i < out_h; ++i) {
        for (int j = 0; j < out_w; ++j) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0;
          int count = 0;
          for (int a = i * s - before; a < i * s - before + k; ++a) {
            for (int b = j * s - before; b < j * s - before + k; ++b) {
              if (a < 0 || b < 0 || a >= x.size(2) || b >= x.size(3)) continue;
              best = std::max(best, static_cast<double>(xa[n][c][a][b]));
              sum += xa[n][c][a][b];
              ++count;
            }
          }
          oa[n][c][i][j] = static_cast<float>(is_max ? best : sum / count);
        }
      }
    }
  }
  return out;
}

// Naive convolution with the Graph's padding (zero taps outside), groups = 1.
torch::Tensor naive_conv(const torch::Tensor& x, const torch::Tensor& w, int s, Padding pad, int out_h, int out_w) {
  int k = static_cast<int>(w.size(2));
  int before = pad == Padding::kSame ? (k - 1) / 2 : 0;
  auto out = torch::zeros({x.size(0), w.size(0), out_h, out_w});
  auto xa = x.accessor<float, 4>();
  auto wa = w.accessor<float, 4>();
  auto oa = out.accessor<float, 4>();
  for (int64_t n = 0; n < x.size(0); ++n) {
    for (int64_t o = 0; o < w.size(0); ++o) {
      for (int i = 0; i < out_h; ++i) {
        for (int j = 0; j < out_w; ++j) {
          double sum = 0;
          for (int64_t c = 0; c < x.size(1); ++c) {
            for (int a = 0; a < k; ++a) {
              for (int b = 0; b < k; ++b) {
                int y = i * s - before + a, z = j * s - before + b;
                if (y < 0 || z < 0 || y >= x.size(2) || z >= x.size(3)) continue;
                sum += xa[n][c][y][z] * wa[o][c][a][b];
              }
            }
          }
          oa[n][o][i][j] = static_cast<float>(sum);
        }
      }
    }
  }
  return out;
}

struct WindowCase {
  int size, kernel, stride;
  Padding padding;
};

class GraphNetWindows : public ::testing::TestWithParam<WindowCase> {};

TEST_P(GraphNetWindows, ConvAndPoolsMatchNaiveLoopsAndGraphShapes) {
  const WindowCase c = GetParam();
  GraphBuilder b("windows", {c.size, c.size + 1, 3});  // odd and even widths at once
  std::string conv = b.conv(GraphBuilder::kInput, 4, c.kernel, c.stride, Activation::kNone, c.padding);
  std::string maxp = b.max_pool(GraphBuilder::kInput, c.kernel, c.stride, c.padding);
  std::string avgp = b.avg_pool(GraphBuilder::kInput, c.kernel, c.stride, c.padding);
  graph::Graph g = b.build({conv, maxp, avgp});
  GraphNet net(g);
  torch::Tensor x = input_for(g);
  std::vector<torch::Tensor> ys = net->forward_all(x);
  Shape s = g.node(conv).output;
  ASSERT_EQ(ys[0].sizes(), (std::vector<int64_t>{2, 4, s.h, s.w}));
  torch::NoGradGuard no_grad;
  expect_close(ys[0], naive_conv(x, weight_of(net, conv), c.stride, c.padding, s.h, s.w), 1e-4);
  expect_close(ys[1], naive_pool(x, c.kernel, c.stride, c.padding, true, s.h, s.w));
  expect_close(ys[2], naive_pool(x, c.kernel, c.stride, c.padding, false, s.h, s.w));
}

INSTANTIATE_TEST_SUITE_P(Paddings, GraphNetWindows,
                         ::testing::Values(WindowCase{8, 3, 1, Padding::kSame}, WindowCase{8, 3, 2, Padding::kSame},
                                           WindowCase{7, 3, 2, Padding::kSame}, WindowCase{8, 2, 2, Padding::kSame},
                                           WindowCase{8, 2, 1, Padding::kSame}, WindowCase{9, 4, 1, Padding::kSame},
                                           WindowCase{8, 5, 2, Padding::kSame}, WindowCase{8, 1, 2, Padding::kSame},
                                           WindowCase{9, 7, 4, Padding::kSame}, WindowCase{8, 3, 2, Padding::kValid},
                                           WindowCase{9, 3, 1, Padding::kValid}));

TEST(GraphNet, DepthwiseAndGroupedConvMatchTorchWithFusedActivationAndBias) {
  GraphBuilder b("groups", {6, 6, 4});
  std::string dw = b.depthwise(GraphBuilder::kInput, 3, 1, Activation::kRelu6, Padding::kSame, /*multiplier=*/2);
  std::string gc = b.conv(GraphBuilder::kInput, 6, 1, 1, Activation::kHardSwish, Padding::kSame, /*groups=*/2,
                          /*bias=*/true);
  graph::Graph g = b.build({dw, gc});
  ASSERT_EQ(g.node(dw).op, graph::Op::kDepthwiseConv2d);
  GraphNet net(g);
  auto bias = net->named_parameters()[GraphNetImpl::module_name(gc) + ".bias"];
  {
    torch::NoGradGuard no_grad;
    bias.uniform_(-1, 1);  // initialised to 0; make it matter
  }
  torch::Tensor x = input_for(g);
  auto ys = net->forward_all(x);
  torch::NoGradGuard no_grad;
  auto dw_ref = torch::clamp(torch::conv2d(x, weight_of(net, dw), {}, Ints{1, 1}, Ints{1, 1}, Ints{1, 1}, 4), 0, 6);
  expect_close(ys[0], dw_ref);
  auto pre = torch::conv2d(x, weight_of(net, gc), bias, Ints{1, 1}, Ints{0, 0}, Ints{1, 1}, 2);
  expect_close(ys[1], pre * torch::clamp(pre + 3, 0, 6) / 6);  // hard_swish by its formula
}

TEST(GraphNet, ActivationsFollowTheirFormulas) {
  GraphBuilder b("acts", {3, 3, 2});
  std::vector<std::string> outs;
  for (Activation a : {Activation::kRelu, Activation::kRelu6, Activation::kHardSwish, Activation::kHardSigmoid,
                       Activation::kSigmoid, Activation::kSwish}) {
    outs.push_back(b.activation(GraphBuilder::kInput, a));
  }
  graph::Graph g = b.build(outs);
  GraphNet net(g);
  torch::Tensor x = input_for(g) * 5;
  auto ys = net->forward_all(x);
  auto sig = 1 / (1 + torch::exp(-x));
  auto relu6 = torch::min(torch::max(x, torch::zeros_like(x)), torch::full_like(x, 6));
  auto hsig = torch::min(torch::max(x + 3, torch::zeros_like(x)), torch::full_like(x, 6)) / 6;
  expect_close(ys[0], torch::max(x, torch::zeros_like(x)));
  expect_close(ys[1], relu6);
  expect_close(ys[2], x * hsig);
  expect_close(ys[3], hsig);
  expect_close(ys[4], sig);
  expect_close(ys[5], x * sig);
}

TEST(GraphNet, BatchNormUsesBatchStatsInTrainingAndRunningStatsInEval) {
  GraphBuilder b("bn", {4, 4, 3});
  std::string bn = b.batch_norm(GraphBuilder::kInput, Activation::kRelu, 1e-3);
  graph::Graph g = b.build(bn);
  GraphNet net(g);
  torch::Tensor x = input_for(g, 4) * 2 + 1;
  net->train();
  torch::Tensor y = net->forward_all(x)[0];
  auto mean = x.mean({0, 2, 3}, true);
  auto var = x.var({0, 2, 3}, /*unbiased=*/false, true);
  expect_close(y, torch::relu((x - mean) / torch::sqrt(var + 1e-3)), 1e-4);
  // Running stats moved by momentum 0.1 from (0, 1) toward the batch's (unbiased variance).
  auto running_mean = net->named_buffers()[GraphNetImpl::module_name(bn) + ".running_mean"];
  expect_close(running_mean, 0.1 * mean.flatten());
  net->eval();
  auto running_var = net->named_buffers()[GraphNetImpl::module_name(bn) + ".running_var"];
  auto expected = torch::relu((x - running_mean.view({1, 3, 1, 1})) / torch::sqrt(running_var.view({1, 3, 1, 1}) + 1e-3));
  expect_close(net->forward_all(x)[0], expected, 1e-4);
}

TEST(GraphNet, AddMulConcatSoftmaxPadShuffleAndGlobalPool) {
  GraphBuilder b("misc", {4, 4, 6});
  std::string add = b.add({GraphBuilder::kInput, GraphBuilder::kInput, GraphBuilder::kInput}, Activation::kRelu);
  std::string gap = b.global_avg_pool(GraphBuilder::kInput);
  std::string mul = b.mul(GraphBuilder::kInput, gap);  // SE-style 1x1xC scale
  std::string cat = b.concat({GraphBuilder::kInput, add});
  std::string soft = b.softmax(GraphBuilder::kInput);
  std::string pad = b.pad(GraphBuilder::kInput, 1, 2, 0, 3);
  std::string shuffle = b.channel_shuffle(GraphBuilder::kInput, 2);
  graph::Graph g = b.build({add, gap, mul, cat, soft, pad, shuffle});
  GraphNet net(g);
  torch::Tensor x = input_for(g);
  auto ys = net->forward_all(x);
  expect_close(ys[0], torch::relu(3 * x));
  auto mean = x.sum({2, 3}) / 16;
  expect_close(ys[1], mean);  // 1x1xC outputs come back as [N, C]
  expect_close(ys[2], x * mean.view({2, 6, 1, 1}));
  expect_close(ys[3].slice(1, 0, 6), x);
  expect_close(ys[3].slice(1, 6, 12), torch::relu(3 * x));
  expect_close(ys[4], torch::exp(x) / torch::exp(x).sum(1, true));
  ASSERT_EQ(ys[5].sizes(), (std::vector<int64_t>{2, 6, 7, 7}));
  expect_close(ys[5].slice(2, 1, 5).slice(3, 0, 4), x);
  EXPECT_NEAR(ys[5].abs().sum().item<double>(), x.abs().sum().item<double>(), 1e-3);  // the rest is zeros
  // Channels 0..5 in 2 groups of 3 interleave to 0 3 1 4 2 5.
  std::vector<int64_t> order = {0, 3, 1, 4, 2, 5};
  for (int c = 0; c < 6; ++c) expect_close(ys[6].select(1, c), x.select(1, order[c]));
}

TEST(GraphNet, FullyConnectedAndReshapeUseNhwcElementOrder) {
  GraphBuilder b("nhwc", {2, 3, 4});  // H 2, W 3, C 4
  std::string flat = b.flatten(GraphBuilder::kInput);
  std::string re = b.reshape(GraphBuilder::kInput, {4, 3, 2});
  std::string fc = b.fully_connected(GraphBuilder::kInput, 24, Activation::kNone, true);
  graph::Graph g = b.build({flat, re, fc});
  GraphNet net(g);
  {
    // fc = identity on the NHWC flattening, plus bias 0.5.
    torch::NoGradGuard no_grad;
    weight_of(net, fc).copy_(torch::eye(24));
    net->named_parameters()[GraphNetImpl::module_name(fc) + ".bias"].fill_(0.5);
  }
  torch::Tensor x = torch::arange(2 * 24, torch::kFloat32).view({2, 4, 2, 3});  // NCHW
  auto ys = net->forward_all(x);
  for (int n = 0; n < 2; ++n) {
    for (int h = 0; h < 2; ++h) {
      for (int w = 0; w < 3; ++w) {
        for (int c = 0; c < 4; ++c) {
          int j = (h * 3 + w) * 4 + c;  // NHWC position
          float v = x[n][c][h][w].item<float>();
          EXPECT_EQ(ys[0][n][j].item<float>(), v);
          EXPECT_EQ(ys[2][n][j].item<float>(), v + 0.5f);
          // The same position in a 4x3x2 NHWC tensor: h' = j / 6, w' = (j / 2) % 3, c' = j % 2.
          EXPECT_EQ(ys[1][n][j % 2][j / 6][(j / 2) % 3].item<float>(), v);
        }
      }
    }
  }
}

graph::Graph small_classifier(int classes = 5) {
  GraphBuilder b("small", {16, 16, 3});
  std::string x = b.conv_bn(GraphBuilder::kInput, 8, 3, 2, Activation::kRelu);
  std::string y = b.depthwise_bn(x, 3, 1, Activation::kRelu6);
  x = b.add({x, b.conv_bn(y, 8, 1, 1, Activation::kNone)});
  return b.build(b.fully_connected(b.global_avg_pool(x), classes));
}

TEST(GraphNet, InitIsDeterministicPerSeedAndFollowsTheDocumentedScheme) {
  graph::Graph g = small_classifier();
  GraphNet a(g, options(0.0, 7)), same(g, options(0.0, 7)), other(g, options(0.0, 8));
  auto pa = a->named_parameters(), ps = same->named_parameters(), po = other->named_parameters();
  bool any_differs = false;
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::equal(item.value(), ps[item.key()])) << item.key();
    if (!torch::equal(item.value(), po[item.key()])) any_differs = true;
  }
  EXPECT_TRUE(any_differs);
  // A 3x3 conv with 8 filters: std sqrt(2 / (8 * 9)); fc std 0.01; BN gamma 1.
  auto conv_w = pa[GraphNetImpl::module_name(g.nodes[0].id) + ".weight"];
  EXPECT_NEAR(conv_w.std().item<double>(), std::sqrt(2.0 / 72), 0.05);
  auto fc_w = pa[GraphNetImpl::module_name(g.nodes.back().id) + ".weight"];
  EXPECT_NEAR(fc_w.std().item<double>(), 0.01, 0.003);
  EXPECT_TRUE(torch::equal(pa[GraphNetImpl::module_name(g.nodes[1].id) + ".weight"], torch::ones({8})));
}

TEST(GraphNet, TrainingStepChangesEveryTrainableTensor) {
  graph::Graph g = small_classifier();
  GraphNet net(g, options(0.0, 1));
  std::map<std::string, torch::Tensor> before;
  for (const auto& item : net->named_parameters()) before[item.key()] = item.value().clone();
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1));
  torch::Tensor x = input_for(g, 4);
  torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), torch::tensor({0, 1, 2, 3}));
  sgd.zero_grad();
  loss.backward();
  sgd.step();
  for (const auto& item : net->named_parameters()) {
    EXPECT_FALSE(torch::equal(before[item.key()], item.value())) << item.key() << " did not change";
  }
  EXPECT_EQ(count_parameters(*net), g.stats().params);
}

TEST(GraphNet, DropoutActsOnlyInTrainingBeforeTheLastClassifier) {
  graph::Graph g = small_classifier();
  GraphNet plain(g, options(0.0, 3)), dropped(g, options(0.5, 3));
  torch::Tensor x = input_for(g, 8);
  plain->eval();
  dropped->eval();
  expect_close(plain->forward(x), dropped->forward(x));
  dropped->train();
  plain->train();
  EXPECT_GT((plain->forward(x) - dropped->forward(x)).abs().max().item<double>(), 1e-6);
  EXPECT_THROW_MSG(GraphNet(g, options(1.0, 3)), "dropout must be in [0, 1)");
}

TEST(GraphNet, EveryNodeOutputHasTheGraphShapeAndBadInputIsNamed) {
  graph::Graph g = small_classifier();
  GraphNet net(g);
  auto values = net->forward_every_node(input_for(g));
  ASSERT_EQ(values.size(), g.nodes.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const Shape& s = g.nodes[i].output;
    EXPECT_EQ(values[i].sizes(), (std::vector<int64_t>{2, s.c, s.h, s.w})) << g.nodes[i].id;
  }
  EXPECT_THROW_MSG(net->forward(torch::zeros({2, 1, 16, 16})), "expects input [N, 3, 16, 16]");
  EXPECT_THROW_MSG(net->node_module("nope"), "has no node 'nope'");
  EXPECT_TRUE(net->node_module(g.nodes[0].id)->as<torch::nn::Conv2d>() != nullptr);
  std::ostringstream printed;
  net->pretty_print(printed);
  EXPECT_NE(printed.str().find("params=" + std::to_string(g.stats().params)), std::string::npos) << printed.str();
}

TEST(GraphNet, ChannelsLastComputesTheSameOutputsAndGradients) {
  GraphBuilder b("mixed", {9, 9, 3});
  std::string x = b.conv_bn(GraphBuilder::kInput, 8, 3, 2, Activation::kRelu);
  std::string se = b.conv(b.global_avg_pool(x), 8, 1, 1, Activation::kHardSigmoid, Padding::kSame, 1, true);
  x = b.mul(x, se);
  x = b.concat({x, b.max_pool(x, 2, 1), b.avg_pool(x, 3, 1)});
  x = b.channel_shuffle(b.pad(x, 1, 0, 0, 1), 3);
  graph::Graph g = b.build(b.fully_connected(b.reshape(x, {1, 1, 6 * 6 * 24}), 5));
  GraphNetOptions fast = options(0.0, 9);
  fast.channels_last = true;
  GraphNet plain(g, options(0.0, 9)), last(g, fast);
  torch::Tensor input = input_for(g, 4);
  torch::Tensor a = plain->forward(input), b2 = last->forward(input);
  expect_close(a, b2, 1e-5);
  a.sum().backward();
  b2.sum().backward();
  for (const auto& item : plain->named_parameters()) {
    expect_close(item.value().grad(), last->named_parameters()[item.key()].grad(), 1e-4);
  }
  EXPECT_TRUE(last->named_parameters()[GraphNetImpl::module_name(g.nodes[0].id) + ".weight"].is_contiguous(
      torch::MemoryFormat::ChannelsLast));
}

TEST(GraphNet, ForwardOnCudaEqualsCpu_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  graph::Graph g = small_classifier();
  GraphNet net(g, options(0.0, 4));
  net->eval();
  torch::Tensor x = input_for(g, 4);
  torch::Tensor cpu = net->forward(x);
  net->to(torch::kCUDA);
  expect_close(net->forward(x.to(torch::kCUDA)).cpu(), cpu, 1e-4);
}

}  // namespace
}  // namespace nasctl::nn
