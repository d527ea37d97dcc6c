#include "nasctl/space/lower.h"

#include "nasctl/core/error.h"
#include "nasctl/graph/builder.h"

namespace nasctl::space {
namespace {

using graph::Activation;
using graph::GraphBuilder;
using graph::Padding;

class Lowering {
 public:
  Lowering(const ArchSpec& arch, graph::Shape input) : arch_(arch), b_(arch.name, input) { b_.set_exact_ids(true); }

  graph::Graph run() {
    if (arch_.classes < 1) fail("classes must be >= 1, but got " + std::to_string(arch_.classes));
    std::string x = stem();
    for (size_t i = 0; i < arch_.blocks.size(); ++i) x = block(x, static_cast<int>(i));
    return b_.build(head(x));
  }

  graph::Graph run_stem() { return b_.build(stem()); }
  graph::Graph run_block(int index) {
    if (index < 0 || index >= static_cast<int>(arch_.blocks.size()) || arch_.blocks[size_t(index)].type == BlockType::kSkip) {
      fail("block " + std::to_string(index) + " is not a block with ops");
    }
    return b_.build(block(GraphBuilder::kInput, index));
  }
  graph::Graph run_head() {
    if (arch_.classes < 1) fail("classes must be >= 1, but got " + std::to_string(arch_.classes));
    return b_.build(head(GraphBuilder::kInput));
  }

 private:
  std::string stem() {
    const StemSpec& stem = arch_.stem;
    return conv_bn(GraphBuilder::kInput, "stem", stem.filters, stem.kernel, stem.stride, 1, stem.activation);
  }

  std::string head(std::string x) {
    if (arch_.head.filters > 0) x = conv_bn(x, "head", arch_.head.filters, 1, 1, 1, arch_.head.activation);
    x = b_.global_avg_pool(x, "pool");
    if (arch_.head.hidden > 0) x = b_.fully_connected(x, arch_.head.hidden, arch_.head.activation, true, "head_hidden");
    return b_.fully_connected(x, arch_.classes, Activation::kNone, true, "classifier");
  }

  [[noreturn]] void fail(const std::string& message) const {
    throw Error("arch '" + arch_.name + "': " + message);
  }

  std::string conv_bn(const std::string& x, const std::string& id, int filters, int kernel, int stride, int groups,
                      Activation act) {
    std::string c = b_.conv(x, filters, kernel, stride, Activation::kNone, Padding::kSame, groups, false, id);
    return b_.batch_norm(c, act, 1e-5, id + "_bn");
  }

  std::string squeeze_excite(const std::string& x, const std::string& p) {
    int channels = b_.channels(x);
    std::string s = b_.global_avg_pool(x, p + "_se_pool");
    s = b_.conv(s, se_channels(channels), 1, 1, Activation::kRelu, Padding::kSame, 1, true, p + "_se_reduce");
    s = b_.conv(s, channels, 1, 1, Activation::kHardSigmoid, Padding::kSame, 1, true, p + "_se_expand");
    return b_.mul(x, s, p + "_se_mul");
  }

  void check(const BlockSpec& blk, int i, int in) const {
    const std::string where = "blocks[" + std::to_string(i) + "] (" + block_type_name(blk.type) + ")";
    if (blk.type == BlockType::kSkip) {
      if (blk.stride != 1 || blk.filters != in) {
        fail(where + " is the identity, so it needs stride 1 and " + std::to_string(in) + " filters, but has stride " +
             std::to_string(blk.stride) + " and " + std::to_string(blk.filters) + " filters");
      }
      return;
    }
    if (blk.filters < 1 || blk.kernel < 1 || !(blk.expansion > 0) || (blk.stride != 1 && blk.stride != 2)) {
      fail(where + " needs filters >= 1, kernel >= 1, expansion > 0 and stride 1 or 2");
    }
    if (blk.type == BlockType::kGroupConvBottleneck) {
      int e = expanded_channels(in, blk.expansion);
      if (blk.groups < 1 || in % blk.groups || e % blk.groups || blk.filters % blk.groups) {
        fail(where + ": groups " + std::to_string(blk.groups) + " must divide the input (" + std::to_string(in) +
             "), expanded (" + std::to_string(e) + ") and output (" + std::to_string(blk.filters) + ") channels");
      }
    }
  }

  std::string block(const std::string& x, int i) {
    const BlockSpec& blk = arch_.blocks[i];
    const int in = b_.channels(x);
    check(blk, i, in);
    if (blk.type == BlockType::kSkip) return x;
    const std::string p = block_prefix(i, blk.type);
    const int e = expanded_channels(in, blk.expansion);
    std::string y = x;
    switch (blk.type) {
      case BlockType::kInvertedBottleneck:
        if (blk.expansion != 1.0) y = conv_bn(y, p + "_expand", e, 1, 1, 1, blk.activation);
        y = b_.batch_norm(b_.depthwise(y, blk.kernel, blk.stride, Activation::kNone, Padding::kSame, 1, p + "_dw"),
                          blk.activation, 1e-5, p + "_dw_bn");
        if (blk.se) y = squeeze_excite(y, p);
        y = conv_bn(y, p + "_project", blk.filters, 1, 1, 1, Activation::kNone);
        break;
      case BlockType::kFusedInvertedBottleneck:
        if (blk.expansion == 1.0) {
          // EfficientNetV2's FusedMBConv without expansion: one kxk conv-bn-act.
          y = conv_bn(y, p + "_conv", blk.filters, blk.kernel, blk.stride, 1, blk.activation);
          if (blk.se) y = squeeze_excite(y, p);
          break;
        }
        y = conv_bn(y, p + "_expand", e, blk.kernel, blk.stride, 1, blk.activation);
        if (blk.se) y = squeeze_excite(y, p);
        y = conv_bn(y, p + "_project", blk.filters, 1, 1, 1, Activation::kNone);
        break;
      case BlockType::kGroupConvBottleneck:
        y = conv_bn(y, p + "_expand", e, 1, 1, blk.groups, blk.activation);
        y = b_.channel_shuffle(y, blk.groups, p + "_shuffle");
        y = b_.batch_norm(b_.depthwise(y, blk.kernel, blk.stride, Activation::kNone, Padding::kSame, 1, p + "_dw"),
                          blk.activation, 1e-5, p + "_dw_bn");
        if (blk.se) y = squeeze_excite(y, p);
        y = conv_bn(y, p + "_project", blk.filters, 1, 1, blk.groups, Activation::kNone);
        break;
      case BlockType::kSkip:
        break;
    }
    if (blk.stride == 1 && blk.filters == in) y = b_.add({x, y}, Activation::kNone, p + "_add");
    return y;
  }

  const ArchSpec& arch_;
  GraphBuilder b_;
};

}  // namespace

std::string block_prefix(int index, BlockType type) {
  switch (type) {
    case BlockType::kInvertedBottleneck: return "b" + std::to_string(index);
    case BlockType::kFusedInvertedBottleneck: return "b" + std::to_string(index) + "f";
    case BlockType::kGroupConvBottleneck: return "b" + std::to_string(index) + "g";
    case BlockType::kSkip: return "";
  }
  return "";
}

graph::Graph lower(const ArchSpec& arch) { return Lowering(arch, arch.input).run(); }

graph::Graph lower_stem(const ArchSpec& arch) { return Lowering(arch, arch.input).run_stem(); }

graph::Graph lower_block(const ArchSpec& arch, int index, graph::Shape input) { return Lowering(arch, input).run_block(index); }

graph::Graph lower_head(const ArchSpec& arch, graph::Shape input) { return Lowering(arch, input).run_head(); }

}  // namespace nasctl::space
