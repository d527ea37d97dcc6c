#pragma once
/// ArchSpec: one architecture at block level (stem, blocks, head), as a search space yields it and
/// as arch.json stores it ("nasctl.arch" v1, docs/formats.md). space::lower() turns it into a Graph.

#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/graph/graph.h"

namespace nasctl::space {

/// Layer types of TuNAS/MnasNet-style spaces.
enum class BlockType {
  kInvertedBottleneck,       ///< "ibn": 1x1 expand, kxk depthwise, (SE), 1x1 project (MobileNetV2)
  kFusedInvertedBottleneck,  ///< "fused_ibn": kxk full expand conv, (SE), 1x1 project (EfficientNet-EdgeTPU)
  kGroupConvBottleneck,      ///< "group_ibn": 1x1 group expand, shuffle, kxk depthwise, 1x1 group project
  kSkip,                     ///< "skip": identity (only for non-first layers of a stage)
};
/// "ibn" | "fused_ibn" | "group_ibn" | "skip".
const char* block_type_name(BlockType type);
/// Parses a block type name; throws Error "<where> must be one of ..., but got "x"".
BlockType parse_block_type(const std::string& name, const std::string& where);

/// Activations a block, the stem or the head may use: relu, relu6, hard_swish (all map onto the
/// Edge TPU). Throws Error naming `where` and the value otherwise.
graph::Activation parse_block_activation(const std::string& name, const std::string& where);

/// One searchable layer, resolved to concrete values.
struct BlockSpec {
  BlockType type = BlockType::kInvertedBottleneck;
  int kernel = 3;          ///< depthwise kernel (ibn, group_ibn) or expansion conv kernel (fused_ibn)
  double expansion = 6.0;  ///< expanded channels = expanded_channels(input channels, expansion)
  int filters = 16;        ///< output channels (already multiplied and rounded to a multiple of 8)
  int stride = 1;
  graph::Activation activation = graph::Activation::kRelu;
  bool se = false;         ///< squeeze-excite (MobileNetV3 style: reduce to 1/4, relu, hard_sigmoid)
  int groups = 2;          ///< group count of group_ibn's 1x1 convs (ignored by the other types)
};

struct StemSpec {
  int filters = 32;
  int kernel = 3;
  int stride = 2;
  graph::Activation activation = graph::Activation::kRelu;
};

struct HeadSpec {
  int filters = 0;  ///< 1x1 conv-bn-act before pooling; 0 = none
  graph::Activation activation = graph::Activation::kRelu;
  /// Fully connected units (with bias and `activation`) between pooling and the classifier, as
  /// MobileNetV3's 1280-wide layer; 0 = none.
  int hidden = 0;
};

/// A whole architecture.
struct ArchSpec {
  std::string name = "arch";
  std::string space;  ///< the space it came from ("" when hand-written)
  graph::Shape input{224, 224, 3};
  int classes = 1000;
  StemSpec stem;
  std::vector<BlockSpec> blocks;
  HeadSpec head;
};

/// ArchSpec JSON (docs/formats.md, "nasctl.arch" v1). Writing is canonical: a skip block is
/// {"type": "skip"}, `groups` appears only for group_ibn, integral expansions are integers.
Json arch_to_json(const ArchSpec& arch);
/// Parses and validates ArchSpec JSON; `origin` prefixes error messages. A document whose "arch"
/// member is an ArchSpec (as the search writes arch.json) is accepted too. A skip block gets the
/// channels of what precedes it and stride 1.
ArchSpec arch_from_json(const Json& json, const std::string& origin);
ArchSpec load_arch_file(const std::string& path);
/// True when `json` looks like an ArchSpec rather than a graph ("blocks", or an "arch" member,
/// rather than "nodes").
bool is_arch_json(const Json& json);

/// MobileNet's make_divisible: round to the nearest multiple of `divisor`, at least `divisor`, and
/// never below 90% of value (then one `divisor` more).
int round_filters(double value, int divisor = 8);

/// Channels inside a bottleneck: `input` when expansion == 1 (no expansion conv), else
/// round(input x expansion) (as torchvision's MobileNetV2), at least 1.
int expanded_channels(int input, double expansion);

/// Squeeze-excite bottleneck width of a block with `expanded` channels: round_filters(expanded / 4)
/// (MobileNetV3; at least 8).
int se_channels(int expanded);

}  // namespace nasctl::space
