#pragma once
/// ArchSpec: one architecture at block level (stem, blocks, head), as a search space yields it and
/// as arch.json stores it. space::lower() turns it into a Graph.

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
const char* block_type_name(BlockType type);
BlockType parse_block_type(const std::string& name, const std::string& where);

/// One searchable layer, resolved to concrete values.
struct BlockSpec {
  BlockType type = BlockType::kInvertedBottleneck;
  int kernel = 3;
  double expansion = 6.0;  ///< expanded channels = round(input channels x expansion)
  int filters = 16;        ///< output channels (already multiplied and rounded to a multiple of 8)
  int stride = 1;
  graph::Activation activation = graph::Activation::kRelu;
  bool se = false;         ///< squeeze-excite (MobileNetV3 style: reduce to 1/4, relu, hard_sigmoid)
  int groups = 2;          ///< group count of group_ibn's 1x1 convs
};

struct StemSpec {
  int filters = 32;
  int kernel = 3;
  int stride = 2;
  graph::Activation activation = graph::Activation::kRelu;
};

struct HeadSpec {
  int filters = 0;  ///< 1x1 conv before pooling; 0 = none
  graph::Activation activation = graph::Activation::kRelu;
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

/// ArchSpec JSON (docs/formats.md). `origin` prefixes error messages.
Json arch_to_json(const ArchSpec& arch);
ArchSpec arch_from_json(const Json& json, const std::string& origin);
ArchSpec load_arch_file(const std::string& path);
/// True when `json` looks like an ArchSpec rather than a graph ("blocks" vs "nodes").
bool is_arch_json(const Json& json);

/// MobileNet's make_divisible: round to the nearest multiple of `divisor`, never below 90% of value.
int round_filters(double value, int divisor = 8);

}  // namespace nasctl::space
