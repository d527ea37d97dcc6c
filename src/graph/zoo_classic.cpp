// SqueezeNet 1.0, VGG-16/19 and DenseNet-121, as torchvision defines them.

#include "graph/zoo_blocks.h"
#include "graph/zoo_registry.h"

namespace nasctl::graph::zoo {
namespace {

constexpr Activation kRelu = Activation::kRelu;
constexpr Activation kNone = Activation::kNone;

// conv with bias + ReLU (no batch norm in SqueezeNet and VGG).
std::string conv_relu(ZooBuilder& b, const std::string& x, int filters, int kernel, int stride = 1,
                      Padding pad = Padding::kSame, const std::string& prefix = "conv") {
  return b.conv(x, filters, kernel, stride, kRelu, pad, 1, true, prefix);
}

std::string fire(ZooBuilder& b, const std::string& x, int squeeze, int expand1, int expand3) {
  std::string s = conv_relu(b, x, squeeze, 1, 1, Padding::kSame, "squeeze");
  return b.concat({conv_relu(b, s, expand1, 1, 1, Padding::kSame, "expand1x1"),
                   conv_relu(b, s, expand3, 3, 1, Padding::kSame, "expand3x3")},
                  "fire");
}

}  // namespace

// torchvision squeezenet1_0: a 7x7/2 stem without padding, ceil-mode max pools, fire modules, and
// a 1x1 conv classifier with ReLU followed by the global average pool.
Graph squeezenet(const ZooOptions& o) {
  ZooBuilder b("squeezenet", o, 1e-5);
  std::string x = conv_relu(b, GraphBuilder::kInput, 96, 7, 2, Padding::kValid, "stem");
  x = b.ceil_max_pool(x, 3, 2);
  x = fire(b, x, 16, 64, 64);
  x = fire(b, x, 16, 64, 64);
  x = fire(b, x, 32, 128, 128);
  x = b.ceil_max_pool(x, 3, 2);
  x = fire(b, x, 32, 128, 128);
  x = fire(b, x, 48, 192, 192);
  x = fire(b, x, 48, 192, 192);
  x = fire(b, x, 64, 256, 256);
  x = b.ceil_max_pool(x, 3, 2);
  x = fire(b, x, 64, 256, 256);
  x = conv_relu(b, x, b.classes(), 1, 1, Padding::kSame, "classifier");
  return b.build(b.global_avg_pool(x, "gap"));
}

namespace {

// torchvision VGG: 3x3 convs with bias + ReLU, 2x2 max pools, AdaptiveAvgPool2d(7x7), then
// fully connected 4096 -> 4096 -> classes. The adaptive pool is the identity at 224 (a 7x7 map)
// and an ordinary average pool when the map is a multiple of 7; at other sizes, where it would
// repeat or unevenly average positions, the classifier takes the map as it is.
Graph vgg(const char* name, const ZooOptions& o, const std::vector<int>& convs_per_stage) {
  ZooBuilder b(name, o, 1e-5);
  const int kFilters[5] = {64, 128, 256, 512, 512};
  std::string x = GraphBuilder::kInput;
  for (int stage = 0; stage < 5; ++stage) {
    for (int i = 0; i < convs_per_stage[stage]; ++i) x = conv_relu(b, x, kFilters[stage], 3);
    x = b.max_pool(x, 2, 2, Padding::kValid, "pool");
  }
  Shape map = b.shape(x);
  if (map.h == map.w && map.h > 7 && map.h % 7 == 0) {
    x = b.avg_pool(x, map.h / 7, map.h / 7, Padding::kValid, "adaptive_pool");
  }
  x = b.flatten(x);
  x = b.fully_connected(x, 4096, kRelu, true, "fc1");
  x = b.fully_connected(x, 4096, kRelu, true, "fc2");
  return b.build(b.fully_connected(x, b.classes(), kNone, true, "logits"));
}

}  // namespace

Graph vgg16(const ZooOptions& o) { return vgg("vgg16", o, {2, 2, 3, 3, 3}); }
Graph vgg19(const ZooOptions& o) { return vgg("vgg19", o, {2, 2, 4, 4, 4}); }

// torchvision densenet121: growth 32, bottleneck width 4 x 32, blocks of 6 / 12 / 24 / 16 layers,
// transitions halving channels with a 2x2 average pool. Pre-activation: each batch_norm carries
// the ReLU that precedes the following conv. A block's running concat equals torch.cat of all
// earlier features in order.
Graph densenet121(const ZooOptions& o) {
  ZooBuilder b("densenet121", o, 1e-5);
  constexpr int kGrowth = 32;
  constexpr int kBottleneck = 4 * kGrowth;
  const int kLayers[4] = {6, 12, 24, 16};
  std::string x = b.conv_norm(GraphBuilder::kInput, 64, 7, 2, kRelu, Padding::kSame, "stem");
  x = b.max_pool(x, 3, 2, Padding::kSame, "stem_pool");
  for (int block = 0; block < 4; ++block) {
    for (int i = 0; i < kLayers[block]; ++i) {
      std::string y = b.norm(x, kRelu, "norm1");
      y = b.conv_norm(y, kBottleneck, 1, 1, kRelu, Padding::kSame, "conv1");
      y = b.conv(y, kGrowth, 3, 1, kNone, Padding::kSame, 1, false, "conv2");
      x = b.concat({x, y}, "dense");
    }
    if (block < 3) {
      std::string t = b.norm(x, kRelu, "transition_norm");
      t = b.conv(t, b.channels(x) / 2, 1, 1, kNone, Padding::kSame, 1, false, "transition_conv");
      x = b.avg_pool(t, 2, 2, Padding::kValid, "transition_pool");
    }
  }
  x = b.norm(x, kRelu, "norm5");
  return b.build(b.classifier(x));
}

}  // namespace nasctl::graph::zoo
