// Inception v1 (torchvision GoogLeNet), Inception-v4 (TF-slim) and Inception-ResNet-v2 (Keras).

#include "graph/zoo_blocks.h"
#include "graph/zoo_registry.h"

namespace nasctl::graph::zoo {
namespace {

constexpr Activation kRelu = Activation::kRelu;
constexpr Activation kNone = Activation::kNone;
constexpr Padding kSame = Padding::kSame;
constexpr Padding kValid = Padding::kValid;

// conv (no bias) + BN + ReLU, the unit every Inception builds from.
std::string unit(ZooBuilder& b, const std::string& x, int filters, int kernel, int stride = 1, Padding pad = kSame) {
  return b.conv_norm(x, filters, kernel, stride, kRelu, pad, "conv");
}
std::string unit_hw(ZooBuilder& b, const std::string& x, int filters, int kernel_h, int kernel_w) {
  return b.conv_norm_hw(x, filters, kernel_h, kernel_w, kRelu, "conv");
}

// torchvision's Inception module. Its "5x5" branch really uses a 3x3 kernel (kept from the
// original port for weight compatibility), and so does this one.
std::string googlenet_module(ZooBuilder& b, const std::string& x, int c1, int c3r, int c3, int c5r, int c5, int pool) {
  std::string b1 = unit(b, x, c1, 1);
  std::string b2 = unit(b, unit(b, x, c3r, 1), c3, 3);
  std::string b3 = unit(b, unit(b, x, c5r, 1), c5, 3);
  std::string b4 = unit(b, b.max_pool(x, 3, 1, kSame, "pool"), pool, 1);
  return b.concat({b1, b2, b3, b4}, "inception");
}

}  // namespace

// torchvision googlenet without the auxiliary classifiers (aux_logits=False); BN epsilon 1e-3.
// Its max pools use ceil_mode=True (see ZooBuilder::ceil_max_pool).
Graph inception_v1(const ZooOptions& o) {
  ZooBuilder b("inception_v1", o, 1e-3);
  std::string x = unit(b, GraphBuilder::kInput, 64, 7, 2);
  x = b.ceil_max_pool(x, 3, 2);
  x = unit(b, x, 64, 1);
  x = unit(b, x, 192, 3);
  x = b.ceil_max_pool(x, 3, 2);
  x = googlenet_module(b, x, 64, 96, 128, 16, 32, 32);
  x = googlenet_module(b, x, 128, 128, 192, 32, 96, 64);
  x = b.ceil_max_pool(x, 3, 2);
  x = googlenet_module(b, x, 192, 96, 208, 16, 48, 64);
  x = googlenet_module(b, x, 160, 112, 224, 24, 64, 64);
  x = googlenet_module(b, x, 128, 128, 256, 24, 64, 64);
  x = googlenet_module(b, x, 112, 144, 288, 32, 64, 64);
  x = googlenet_module(b, x, 256, 160, 320, 32, 128, 128);
  x = b.ceil_max_pool(x, 2, 2);
  x = googlenet_module(b, x, 256, 160, 320, 32, 128, 128);
  x = googlenet_module(b, x, 384, 192, 384, 48, 128, 128);
  return b.build(b.classifier(x));
}

namespace {

// TF-slim inception_v4.py blocks.
std::string v4_block_a(ZooBuilder& b, const std::string& x) {
  std::string b0 = unit(b, x, 96, 1);
  std::string b1 = unit(b, unit(b, x, 64, 1), 96, 3);
  std::string b2 = unit(b, unit(b, unit(b, x, 64, 1), 96, 3), 96, 3);
  std::string b3 = unit(b, b.avg_pool(x, 3, 1, kSame, "pool"), 96, 1);
  return b.concat({b0, b1, b2, b3}, "block_a");
}

std::string v4_reduction_a(ZooBuilder& b, const std::string& x) {
  std::string b0 = unit(b, x, 384, 3, 2, kValid);
  std::string b1 = unit(b, unit(b, unit(b, x, 192, 1), 224, 3), 256, 3, 2, kValid);
  std::string b2 = b.max_pool(x, 3, 2, kValid, "pool");
  return b.concat({b0, b1, b2}, "reduction_a");
}

std::string v4_block_b(ZooBuilder& b, const std::string& x) {
  std::string b0 = unit(b, x, 384, 1);
  std::string b1 = unit_hw(b, unit_hw(b, unit(b, x, 192, 1), 224, 1, 7), 256, 7, 1);
  std::string b2 = unit(b, x, 192, 1);
  b2 = unit_hw(b, unit_hw(b, b2, 192, 7, 1), 224, 1, 7);
  b2 = unit_hw(b, unit_hw(b, b2, 224, 7, 1), 256, 1, 7);
  std::string b3 = unit(b, b.avg_pool(x, 3, 1, kSame, "pool"), 128, 1);
  return b.concat({b0, b1, b2, b3}, "block_b");
}

std::string v4_reduction_b(ZooBuilder& b, const std::string& x) {
  std::string b0 = unit(b, unit(b, x, 192, 1), 192, 3, 2, kValid);
  std::string b1 = unit_hw(b, unit_hw(b, unit(b, x, 256, 1), 256, 1, 7), 320, 7, 1);
  b1 = unit(b, b1, 320, 3, 2, kValid);
  std::string b2 = b.max_pool(x, 3, 2, kValid, "pool");
  return b.concat({b0, b1, b2}, "reduction_b");
}

std::string v4_block_c(ZooBuilder& b, const std::string& x) {
  std::string b0 = unit(b, x, 256, 1);
  std::string b1 = unit(b, x, 384, 1);
  b1 = b.concat({unit_hw(b, b1, 256, 1, 3), unit_hw(b, b1, 256, 3, 1)}, "concat");
  std::string b2 = unit_hw(b, unit_hw(b, unit(b, x, 384, 1), 448, 3, 1), 512, 1, 3);
  b2 = b.concat({unit_hw(b, b2, 256, 1, 3), unit_hw(b, b2, 256, 3, 1)}, "concat");
  std::string b3 = unit(b, b.avg_pool(x, 3, 1, kSame, "pool"), 256, 1);
  return b.concat({b0, b1, b2, b3}, "block_c");
}

}  // namespace

// TF-slim inception_v4 without the auxiliary logits; BN epsilon 1e-3. Slim's final average pool
// spans the whole 8x8 map, i.e. a global average pool.
Graph inception_v4(const ZooOptions& o) {
  ZooBuilder b("inception_v4", o, 1e-3);
  std::string x = unit(b, GraphBuilder::kInput, 32, 3, 2, kValid);
  x = unit(b, x, 32, 3, 1, kValid);
  x = unit(b, x, 64, 3);
  x = b.concat({b.max_pool(x, 3, 2, kValid, "pool"), unit(b, x, 96, 3, 2, kValid)}, "mixed_3a");
  std::string b0 = unit(b, unit(b, x, 64, 1), 96, 3, 1, kValid);
  std::string b1 = unit_hw(b, unit_hw(b, unit(b, x, 64, 1), 64, 1, 7), 64, 7, 1);
  x = b.concat({b0, unit(b, b1, 96, 3, 1, kValid)}, "mixed_4a");
  x = b.concat({unit(b, x, 192, 3, 2, kValid), b.max_pool(x, 3, 2, kValid, "pool")}, "mixed_5a");
  for (int i = 0; i < 4; ++i) x = v4_block_a(b, x);
  x = v4_reduction_a(b, x);
  for (int i = 0; i < 7; ++i) x = v4_block_b(b, x);
  x = v4_reduction_b(b, x);
  for (int i = 0; i < 3; ++i) x = v4_block_c(b, x);
  return b.build(b.classifier(x));
}

namespace {

// Keras inception_resnet_block: branches, concat, a 1x1 "up" conv with bias back to the input
// width, x + scale * up, activation. The graph has no multiply-by-constant op; since "up" is
// linear with a bias and feeds nothing else, scaling its output is the same as scaling its
// weights and bias, so the residual scale (0.17 / 0.1 / 0.2) is folded into that conv.
std::string resnet_block(ZooBuilder& b, const std::string& x, const std::vector<std::string>& branches,
                         Activation act, const std::string& prefix) {
  std::string mixed = b.concat(branches, prefix + "_mixed");
  std::string up = b.conv(mixed, b.channels(x), 1, 1, kNone, kSame, 1, true, prefix + "_up");
  return b.add({x, up}, act, prefix);
}

std::string block35(ZooBuilder& b, const std::string& x) {
  std::string b0 = unit(b, x, 32, 1);
  std::string b1 = unit(b, unit(b, x, 32, 1), 32, 3);
  std::string b2 = unit(b, unit(b, unit(b, x, 32, 1), 48, 3), 64, 3);
  return resnet_block(b, x, {b0, b1, b2}, kRelu, "block35");
}

std::string block17(ZooBuilder& b, const std::string& x) {
  std::string b0 = unit(b, x, 192, 1);
  std::string b1 = unit_hw(b, unit_hw(b, unit(b, x, 128, 1), 160, 1, 7), 192, 7, 1);
  return resnet_block(b, x, {b0, b1}, kRelu, "block17");
}

std::string block8(ZooBuilder& b, const std::string& x, Activation act) {
  std::string b0 = unit(b, x, 192, 1);
  std::string b1 = unit_hw(b, unit_hw(b, unit(b, x, 192, 1), 224, 1, 3), 256, 3, 1);
  return resnet_block(b, x, {b0, b1}, act, "block8");
}

}  // namespace

// Keras InceptionResNetV2; BN epsilon 1e-3 (Keras' BN there has no scale, see docs).
Graph inception_resnet_v2(const ZooOptions& o) {
  ZooBuilder b("inception_resnet_v2", o, 1e-3);
  std::string x = unit(b, GraphBuilder::kInput, 32, 3, 2, kValid);
  x = unit(b, x, 32, 3, 1, kValid);
  x = unit(b, x, 64, 3);
  x = b.max_pool(x, 3, 2, kValid, "pool");
  x = unit(b, x, 80, 1, 1, kValid);
  x = unit(b, x, 192, 3, 1, kValid);
  x = b.max_pool(x, 3, 2, kValid, "pool");
  // mixed_5b
  std::string b0 = unit(b, x, 96, 1);
  std::string b1 = unit(b, unit(b, x, 48, 1), 64, 5);
  std::string b2 = unit(b, unit(b, unit(b, x, 64, 1), 96, 3), 96, 3);
  std::string b3 = unit(b, b.avg_pool(x, 3, 1, kSame, "pool"), 64, 1);
  x = b.concat({b0, b1, b2, b3}, "mixed_5b");
  for (int i = 0; i < 10; ++i) x = block35(b, x);
  // mixed_6a
  b0 = unit(b, x, 384, 3, 2, kValid);
  b1 = unit(b, unit(b, unit(b, x, 256, 1), 256, 3), 384, 3, 2, kValid);
  x = b.concat({b0, b1, b.max_pool(x, 3, 2, kValid, "pool")}, "mixed_6a");
  for (int i = 0; i < 20; ++i) x = block17(b, x);
  // mixed_7a
  b0 = unit(b, unit(b, x, 256, 1), 384, 3, 2, kValid);
  b1 = unit(b, unit(b, x, 256, 1), 288, 3, 2, kValid);
  b2 = unit(b, unit(b, unit(b, x, 256, 1), 288, 3), 320, 3, 2, kValid);
  x = b.concat({b0, b1, b2, b.max_pool(x, 3, 2, kValid, "pool")}, "mixed_7a");
  for (int i = 0; i < 9; ++i) x = block8(b, x, kRelu);
  x = block8(b, x, kNone);  // the last block: scale 1, no activation
  x = unit(b, x, 1536, 1);
  return b.build(b.classifier(x));
}

}  // namespace nasctl::graph::zoo
