// Networks found by architecture search: EfficientNet-EdgeTPU S/M/L and MnasNet-A1 (the TPU
// repository's definitions) and ProxylessNAS-Mobile (its released net config).

#include <cmath>

#include "graph/zoo_blocks.h"
#include "graph/zoo_registry.h"

namespace nasctl::graph::zoo {
namespace {

constexpr Activation kRelu = Activation::kRelu;
constexpr Activation kNone = Activation::kNone;

// One line of the TPU repository's block strings ("r2_k3_s22_e8_i24_o32_c1").
struct BlockArgs {
  int repeats, kernel, stride, expand, in, out;
  double se_ratio;  // 0 = no squeeze-excite
  bool fused;       // conv_type 1: MBConvBlockWithoutDepthwise
  bool id_skip;
};

// The TPU repository's MBConvBlock (depthwise) and MBConvBlockWithoutDepthwise (fused). `args.in`
// and `args.out` are the block's filters after round_filters; the expansion width is computed from
// them (not from the tensor), which is what the reference does.
std::string tpu_block(ZooBuilder& b, const std::string& input, const BlockArgs& args) {
  int filters = args.in * args.expand;
  std::string x = input;
  if (args.fused) {
    // The reference runs the 3x3 expansion at stride 1 and strides in the 1x1 projection. BN and
    // ReLU between them are per pixel, so that equals striding the 3x3 conv itself (with the
    // symmetric "same" padding the kept pixels are the same ones): the same function without
    // the 4x wasted expansion work, and the MACs the published figures count.
    if (args.expand != 1) x = b.conv_norm(x, filters, 3, args.stride, kRelu, Padding::kSame, "fused");
    int project_stride = args.expand != 1 ? 1 : args.stride;
    x = b.conv_norm(x, args.out, 1, project_stride, kNone, Padding::kSame, "project");
  } else {
    if (args.expand != 1) x = b.conv_norm(x, filters, 1, 1, kRelu, Padding::kSame, "expand");
    x = b.depthwise_norm(x, args.kernel, args.stride, kRelu);
    if (args.se_ratio > 0) {
      int reduced = std::max(1, static_cast<int>(args.in * args.se_ratio));
      x = b.squeeze_excite(x, reduced, Activation::kSigmoid);
    }
    x = b.conv_norm(x, args.out, 1, 1, kNone, Padding::kSame, "project");
  }
  if (args.id_skip && args.stride == 1 && args.in == args.out && b.channels(input) == args.out) {
    x = b.add({input, x}, kNone, "residual");
  }
  return x;
}

// The TPU repository's Model: stem conv, the blocks (first repeat takes the stride and filter
// change), head conv, global pool, fully connected. `width` scales filters (round_filters),
// `depth` scales repeats (ceil).
Graph tpu_model(const char* name, const ZooOptions& o, std::vector<BlockArgs> blocks, double width, double depth,
                bool scale_head) {
  ZooBuilder b(name, o, 1e-3);
  auto round_filters = [&](int f) { return width == 1.0 ? f : make_divisible(f * width); };
  std::string x = b.conv_norm(GraphBuilder::kInput, round_filters(32), 3, 2, kRelu, Padding::kSame, "stem");
  for (BlockArgs args : blocks) {
    args.in = round_filters(args.in);
    args.out = round_filters(args.out);
    int repeats = static_cast<int>(std::ceil(depth * args.repeats));
    for (int i = 0; i < repeats; ++i) {
      x = tpu_block(b, x, args);
      args.in = args.out;
      args.stride = 1;
    }
  }
  x = b.conv_norm(x, scale_head ? round_filters(1280) : 1280, 1, 1, kRelu, Padding::kSame, "head");
  return b.build(b.classifier(x));
}

// efficientnet_edgetpu_builder.py: ReLU, no SE, fused blocks in the first three stages.
Graph efficientnet_edgetpu(const char* name, const ZooOptions& o, double width, double depth) {
  std::vector<BlockArgs> blocks = {
      {1, 3, 1, 4, 24, 24, 0, true, false}, {2, 3, 2, 8, 24, 32, 0, true, true},
      {4, 3, 2, 8, 32, 48, 0, true, true},  {5, 5, 2, 8, 48, 96, 0, false, true},
      {4, 5, 1, 8, 96, 144, 0, false, true}, {2, 5, 2, 8, 144, 192, 0, false, true},
  };
  return tpu_model(name, o, blocks, width * o.width, depth, true);
}

}  // namespace

// (width, depth) coefficients: S (1.0, 1.0) at 224, M (1.0, 1.1) at 240, L (1.2, 1.4) at 300.
Graph efficientnet_edgetpu_s(const ZooOptions& o) {
  return efficientnet_edgetpu("efficientnet_edgetpu_s", o, 1.0, 1.0);
}
Graph efficientnet_edgetpu_m(const ZooOptions& o) {
  return efficientnet_edgetpu("efficientnet_edgetpu_m", o, 1.0, 1.1);
}
Graph efficientnet_edgetpu_l(const ZooOptions& o) {
  return efficientnet_edgetpu("efficientnet_edgetpu_l", o, 1.2, 1.4);
}

// mnasnet_models.py mnasnet_a1: SE (sigmoid gate, reduced from the block's input filters), the
// depth multiplier scales every filter count but the 1280-wide head.
Graph mnasnet_a1(const ZooOptions& o) {
  std::vector<BlockArgs> blocks = {
      {1, 3, 1, 1, 32, 16, 0, false, false},     {2, 3, 2, 6, 16, 24, 0, false, true},
      {3, 5, 2, 3, 24, 40, 0.25, false, true},   {4, 3, 2, 6, 40, 80, 0, false, true},
      {2, 3, 1, 6, 80, 112, 0.25, false, true},  {3, 5, 2, 6, 112, 160, 0.25, false, true},
      {1, 3, 1, 6, 160, 320, 0, false, true},
  };
  return tpu_model("mnasnet_a1", o, blocks, o.width, 1.0, false);
}

// ProxylessNAS-Mobile from its released net config: ReLU6, BN epsilon 1e-3, MBConv blocks with the
// searched kernel / expansion per layer; layers the search set to zero are left out. The width
// multiplier rounds to multiples of 8 and, as in MobileNetV2, never narrows the 1280-wide head.
Graph proxylessnas_mobile(const ZooOptions& o) {
  ZooBuilder b("proxylessnas_mobile", o, 1e-3);
  auto scaled = [&](int c) { return make_divisible(c * o.width); };
  struct Layer {
    int out, kernel, expand, stride;
  };
  const Layer kLayers[] = {
      {16, 3, 1, 1},                                                        // first block, no expansion
      {32, 5, 3, 2},  {32, 3, 3, 1},                                        // 2 of 4 layers kept
      {40, 7, 3, 2},  {40, 3, 3, 1},  {40, 5, 3, 1},  {40, 5, 3, 1},
      {80, 7, 6, 2},  {80, 5, 3, 1},  {80, 5, 3, 1},  {80, 5, 3, 1},
      {96, 5, 6, 1},  {96, 5, 3, 1},  {96, 5, 3, 1},  {96, 5, 3, 1},
      {192, 7, 6, 2}, {192, 7, 6, 1}, {192, 7, 3, 1}, {192, 7, 3, 1},
      {320, 7, 6, 1},
  };
  std::string x = b.conv_norm(GraphBuilder::kInput, scaled(32), 3, 2, Activation::kRelu6, Padding::kSame, "stem");
  for (const Layer& layer : kLayers) {
    int out = scaled(layer.out);
    std::string y = x;
    if (layer.expand != 1) {
      y = b.conv_norm(y, b.channels(x) * layer.expand, 1, 1, Activation::kRelu6, Padding::kSame, "expand");
    }
    y = b.depthwise_norm(y, layer.kernel, layer.stride, Activation::kRelu6);
    y = b.conv_norm(y, out, 1, 1, kNone, Padding::kSame, "project");
    if (layer.stride == 1 && b.channels(x) == out) y = b.add({x, y}, kNone, "residual");
    x = y;
  }
  x = b.conv_norm(x, make_divisible(1280 * std::max(1.0, o.width)), 1, 1, Activation::kRelu6, Padding::kSame, "head");
  return b.build(b.classifier(x));
}

}  // namespace nasctl::graph::zoo
