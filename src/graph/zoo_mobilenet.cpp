// MobileNet V1 / V2 / V3 and MobileNet-EdgeTPU.

#include <algorithm>
#include <cmath>

#include "graph/zoo_blocks.h"
#include "graph/zoo_registry.h"

namespace nasctl::graph::zoo {
namespace {

constexpr Activation kRelu = Activation::kRelu;
constexpr Activation kRelu6 = Activation::kRelu6;
constexpr Activation kHardSwish = Activation::kHardSwish;
constexpr Activation kNone = Activation::kNone;

// Linear projection, then the identity shortcut where shapes allow (all the inverted bottlenecks).
std::string project(ZooBuilder& b, const std::string& input, const std::string& x, int filters, int stride,
                    bool residual = true) {
  std::string y = b.conv_norm(x, filters, 1, 1, kNone, Padding::kSame, "project");
  if (residual && stride == 1 && b.channels(input) == filters) y = b.add({input, y}, kNone, "residual");
  return y;
}

}  // namespace

// Keras applications MobileNet (= TF-slim mobilenet_v1): ReLU6, BN epsilon 1e-3, a 1x1 conv with
// bias as classifier (a fully_connected here). Keras scales filters by int(filters * alpha).
Graph mobilenet_v1(const ZooOptions& o) {
  ZooBuilder b("mobilenet_v1", o, 1e-3);
  auto scaled = [&](int c) { return std::max(1, static_cast<int>(c * o.width)); };
  std::string x = b.conv_norm(GraphBuilder::kInput, scaled(32), 3, 2, kRelu6, Padding::kSame, "stem");
  const int kBlocks[][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2}, {512, 1},
                            {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  for (const auto& block : kBlocks) {
    x = b.depthwise_norm(x, 3, block[1], kRelu6, "dw");
    x = b.conv_norm(x, scaled(block[0]), 1, 1, kRelu6, Padding::kSame, "pw");
  }
  return b.build(b.classifier(x));
}

// torchvision mobilenet_v2.
Graph mobilenet_v2(const ZooOptions& o) {
  ZooBuilder b("mobilenet_v2", o, 1e-5);
  // expansion t, channels c, repeats n, stride s of the first repeat
  const int kStages[][4] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                            {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  std::string x = b.conv_norm(GraphBuilder::kInput, make_divisible(32 * o.width), 3, 2, kRelu6, Padding::kSame, "stem");
  for (const auto& stage : kStages) {
    int filters = make_divisible(stage[1] * o.width);
    for (int i = 0; i < stage[2]; ++i) {
      int stride = i == 0 ? stage[3] : 1;
      std::string y = x;
      if (stage[0] != 1) y = b.conv_norm(y, b.channels(x) * stage[0], 1, 1, kRelu6, Padding::kSame, "expand");
      y = b.depthwise_norm(y, 3, stride, kRelu6);
      x = project(b, x, y, filters, stride);
    }
  }
  x = b.conv_norm(x, make_divisible(1280 * std::max(1.0, o.width)), 1, 1, kRelu6, Padding::kSame, "head");
  return b.build(b.classifier(x));
}

namespace {

// One row of torchvision's MobileNetV3 table (channels before the width multiplier).
struct V3Block {
  int kernel, expanded, out;
  bool se;
  Activation act;
  int stride;
};

Graph mobilenet_v3(const char* name, const ZooOptions& o, const std::vector<V3Block>& blocks, int last_channel) {
  ZooBuilder b(name, o, 1e-3);
  auto adjust = [&](int c) { return make_divisible(c * o.width); };
  std::string x = b.conv_norm(GraphBuilder::kInput, adjust(16), 3, 2, kHardSwish, Padding::kSame, "stem");
  for (const V3Block& blk : blocks) {
    int expanded = adjust(blk.expanded);
    std::string y = x;
    if (expanded != b.channels(x)) y = b.conv_norm(y, expanded, 1, 1, blk.act, Padding::kSame, "expand");
    y = b.depthwise_norm(y, blk.kernel, blk.stride, blk.act);
    if (blk.se) y = b.squeeze_excite(y, make_divisible(expanded / 4), Activation::kHardSigmoid);
    x = project(b, x, y, adjust(blk.out), blk.stride);
  }
  x = b.conv_norm(x, 6 * b.channels(x), 1, 1, kHardSwish, Padding::kSame, "head");
  x = b.global_avg_pool(x, "gap");
  x = b.fully_connected(x, adjust(last_channel), kHardSwish, true, "fc");
  return b.build(b.fully_connected(x, b.classes(), kNone, true, "logits"));
}

}  // namespace

// torchvision mobilenet_v3_large: hard-swish, SE with hard-sigmoid gate, BN epsilon 1e-3.
Graph mobilenet_v3_large(const ZooOptions& o) {
  const Activation RE = kRelu, HS = kHardSwish;
  return mobilenet_v3("mobilenet_v3_large", o,
                      {{3, 16, 16, false, RE, 1},   {3, 64, 24, false, RE, 2},   {3, 72, 24, false, RE, 1},
                       {5, 72, 40, true, RE, 2},    {5, 120, 40, true, RE, 1},   {5, 120, 40, true, RE, 1},
                       {3, 240, 80, false, HS, 2},  {3, 200, 80, false, HS, 1},  {3, 184, 80, false, HS, 1},
                       {3, 184, 80, false, HS, 1},  {3, 480, 112, true, HS, 1},  {3, 672, 112, true, HS, 1},
                       {5, 672, 160, true, HS, 2},  {5, 960, 160, true, HS, 1},  {5, 960, 160, true, HS, 1}},
                      1280);
}

// torchvision mobilenet_v3_small.
Graph mobilenet_v3_small(const ZooOptions& o) {
  const Activation RE = kRelu, HS = kHardSwish;
  return mobilenet_v3("mobilenet_v3_small", o,
                      {{3, 16, 16, true, RE, 2},   {3, 72, 24, false, RE, 2},  {3, 88, 24, false, RE, 1},
                       {5, 96, 40, true, HS, 2},   {5, 240, 40, true, HS, 1},  {5, 240, 40, true, HS, 1},
                       {5, 120, 48, true, HS, 1},  {5, 144, 48, true, HS, 1},  {5, 288, 96, true, HS, 2},
                       {5, 576, 96, true, HS, 1},  {5, 576, 96, true, HS, 1}},
                      1024);
}

// MobileNet-EdgeTPU as TF-slim's mobilenet_v3.py defines it (V3_EDGETPU): ReLU everywhere, no SE,
// "fused" inverted bottlenecks (a full kxk expansion conv instead of 1x1 + depthwise) in the
// first stages. Expansion sizes are make_divisible(input channels * factor, 8); a block whose
// expansion would not grow the input skips the expansion conv, and the first block projects only.
Graph mobilenet_edgetpu(const ZooOptions& o) {
  ZooBuilder b("mobilenet_edgetpu", o, 1e-3);
  auto scaled = [&](int c) { return make_divisible(c * o.width, 8, 8); };
  struct Block {
    bool fused;
    int kernel, stride, factor, out;
    bool residual;
  };
  const Block kBlocks[] = {
      {true, 3, 1, 1, 16, true},   {true, 3, 2, 8, 32, true},   {true, 3, 1, 4, 32, true},
      {true, 3, 1, 4, 32, true},   {true, 3, 1, 4, 32, true},   {true, 3, 2, 8, 48, true},
      {true, 3, 1, 4, 48, true},   {true, 3, 1, 4, 48, true},   {true, 3, 1, 4, 48, true},
      {false, 3, 2, 8, 96, true},  {false, 3, 1, 4, 96, true},  {false, 3, 1, 4, 96, true},
      {false, 3, 1, 4, 96, true},  {false, 3, 1, 8, 96, false}, {false, 3, 1, 4, 96, true},
      {false, 3, 1, 4, 96, true},  {false, 3, 1, 4, 96, true},  {false, 5, 2, 8, 160, true},
      {false, 5, 1, 4, 160, true}, {false, 5, 1, 4, 160, true}, {false, 5, 1, 4, 160, true},
      {false, 3, 1, 8, 192, true},
  };
  std::string x = b.conv_norm(GraphBuilder::kInput, scaled(32), 3, 2, kRelu, Padding::kSame, "stem");
  for (const Block& blk : kBlocks) {
    int expanded = make_divisible(b.channels(x) * blk.factor);
    std::string y = x;
    if (blk.fused) {
      if (expanded > b.channels(x)) {
        y = b.conv_norm(y, expanded, blk.kernel, blk.stride, kRelu, Padding::kSame, "fused");
      }
    } else {
      if (expanded > b.channels(x)) y = b.conv_norm(y, expanded, 1, 1, kRelu, Padding::kSame, "expand");
      y = b.depthwise_norm(y, blk.kernel, blk.stride, kRelu);
    }
    x = project(b, x, y, scaled(blk.out), blk.stride, blk.residual);
  }
  x = b.conv_norm(x, scaled(1280), 1, 1, kRelu, Padding::kSame, "head");
  return b.build(b.classifier(x));
}

}  // namespace nasctl::graph::zoo
