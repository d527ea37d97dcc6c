// ResNet-50 v1 (torchvision) and ResNet v2 with pre-activation (Keras applications).

#include "graph/zoo_blocks.h"
#include "graph/zoo_registry.h"

namespace nasctl::graph::zoo {
namespace {

constexpr Activation kRelu = Activation::kRelu;
constexpr Activation kNone = Activation::kNone;

// torchvision's Bottleneck (v1.5: the stride sits on the 3x3 conv).
std::string bottleneck_v1(ZooBuilder& b, const std::string& x, int width, int stride) {
  int out = 4 * width;
  std::string shortcut = x;
  if (stride != 1 || b.channels(x) != out) {
    shortcut = b.conv_norm(x, out, 1, stride, kNone, Padding::kSame, "downsample");
  }
  std::string y = b.conv_norm(x, width, 1, 1, kRelu, Padding::kSame, "conv1");
  y = b.conv_norm(y, width, 3, stride, kRelu, Padding::kSame, "conv2");
  y = b.conv_norm(y, out, 1, 1, kNone, Padding::kSame, "conv3");
  return b.add({shortcut, y}, kRelu, "residual");
}

// Keras block2: BN + ReLU pre-activation; a conv shortcut (with bias) on the first block of a stack,
// a 1x1 max pool shortcut where the block strides; the last 1x1 conv has a bias.
std::string block_v2(ZooBuilder& b, const std::string& x, int filters, int stride, bool conv_shortcut) {
  std::string preact = b.norm(x, kRelu, "preact");
  std::string shortcut = x;
  if (conv_shortcut) {
    shortcut = b.conv(preact, 4 * filters, 1, stride, kNone, Padding::kSame, 1, true, "shortcut");
  } else if (stride > 1) {
    shortcut = b.max_pool(x, 1, stride, Padding::kValid, "shortcut");
  }
  std::string y = b.conv_norm(preact, filters, 1, 1, kRelu, Padding::kSame, "conv1");
  y = b.conv_norm(y, filters, 3, stride, kRelu, Padding::kSame, "conv2");
  y = b.conv(y, 4 * filters, 1, 1, kNone, Padding::kSame, 1, true, "conv3");
  return b.add({shortcut, y}, kNone, "residual");
}

// Keras ResNetV2: 7x7 stem conv with bias, max pool, stack2 per stage (stride on the last block of
// each stack but the last), post-activation BN + ReLU, global pool, dense.
Graph resnet_v2(const char* name, const ZooOptions& o, const int (&blocks)[4]) {
  ZooBuilder b(name, o, 1.001e-5);
  std::string x = b.conv(GraphBuilder::kInput, 64, 7, 2, kNone, Padding::kSame, 1, true, "stem");
  x = b.max_pool(x, 3, 2, Padding::kSame, "stem_pool");
  const int kFilters[4] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    int last_stride = stage == 3 ? 1 : 2;
    for (int i = 0; i < blocks[stage]; ++i) {
      bool last = i == blocks[stage] - 1;
      x = block_v2(b, x, kFilters[stage], last ? last_stride : 1, i == 0);
    }
  }
  x = b.norm(x, kRelu, "post");
  return b.build(b.classifier(x));
}

}  // namespace

// torchvision resnet50: [3, 4, 6, 3] bottlenecks, BN epsilon 1e-5.
Graph resnet50_v1(const ZooOptions& o) {
  ZooBuilder b("resnet50_v1", o, 1e-5);
  std::string x = b.conv_norm(GraphBuilder::kInput, 64, 7, 2, kRelu, Padding::kSame, "stem");
  x = b.max_pool(x, 3, 2, Padding::kSame, "stem_pool");
  const int kBlocks[4] = {3, 4, 6, 3};
  const int kWidths[4] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    for (int i = 0; i < kBlocks[stage]; ++i) {
      x = bottleneck_v1(b, x, kWidths[stage], i == 0 && stage > 0 ? 2 : 1);
    }
  }
  return b.build(b.classifier(x));
}

// Keras ResNet50V2: [3, 4, 6, 3]; BN epsilon 1.001e-5.
Graph resnet50_v2(const ZooOptions& o) { return resnet_v2("resnet50_v2", o, {3, 4, 6, 3}); }
// Keras ResNet152V2: [3, 8, 36, 3].
Graph resnet152_v2(const ZooOptions& o) { return resnet_v2("resnet152_v2", o, {3, 8, 36, 3}); }

}  // namespace nasctl::graph::zoo
