#include "nasctl/space/arch_spec.h"

#include <algorithm>
#include <cmath>

#include "nasctl/core/error.h"
#include "space/spec_json.h"

namespace nasctl::space {
namespace {

using detail::int_at_least;
using detail::odd_kernel;
using detail::stride_value;

struct TypeEntry {
  BlockType type;
  const char* name;
};
constexpr TypeEntry kBlockTypes[] = {
    {BlockType::kInvertedBottleneck, "ibn"},
    {BlockType::kFusedInvertedBottleneck, "fused_ibn"},
    {BlockType::kGroupConvBottleneck, "group_ibn"},
    {BlockType::kSkip, "skip"},
};

constexpr const char* kArchFormat = "nasctl.arch";
constexpr double kMaxExpansion = 64;
constexpr int kMaxKernel = 255;  // as search spaces allow; keeps expanded channels in range
constexpr int kArchVersion = 1;

Json shape_json(const graph::Shape& s) { return Json::array({s.h, s.w, s.c}); }

Json number_json(double value) {
  // 6 rather than 6.0: arch files are read by people too.
  if (std::floor(value) == value && std::abs(value) < 1e9) return Json(static_cast<int>(value));
  return Json(value);
}

graph::Activation activation_value(const JsonView& view, const std::string& key, graph::Activation fallback) {
  if (!view.has(key)) return fallback;
  return parse_block_activation(view.get_string(key), view.path(key));
}

BlockSpec parse_block(const JsonView& v, int channels_in) {
  BlockSpec b;
  b.type = parse_block_type(v.get_string("type"), v.path("type"));
  if (b.type == BlockType::kSkip) {
    v.check_keys({"type"});  // a skip block has no settings: it is the identity
    b.filters = channels_in;
    b.stride = 1;
    return b;
  }
  if (b.type == BlockType::kGroupConvBottleneck) {
    v.check_keys({"type", "kernel", "expansion", "filters", "stride", "activation", "se", "groups"});
    b.groups = int_at_least(v, "groups", 2, 1);
  } else {
    v.check_keys({"type", "kernel", "expansion", "filters", "stride", "activation", "se"});
  }
  b.kernel = odd_kernel(v, "kernel", -1);
  b.expansion = v.get_double("expansion");
  if (!(b.expansion > 0 && b.expansion <= kMaxExpansion)) v.fail("expansion", "in (0, 64]");
  b.filters = int_at_least(v, "filters", -1, 1);
  b.stride = stride_value(v, "stride", 1);
  b.activation = activation_value(v, "activation", graph::Activation::kRelu);
  b.se = v.get_bool("se", false);
  return b;
}

}  // namespace

namespace detail {

graph::Shape parse_shape(const JsonView& view, const std::string& key) {
  std::vector<int> dims = view.get_int_list(key);
  if (dims.size() != 3 || dims[0] <= 0 || dims[1] <= 0 || dims[2] <= 0) {
    view.fail(key, "[height, width, channels], all > 0");
  }
  return {dims[0], dims[1], dims[2]};
}

int int_at_least(const JsonView& view, const std::string& key, int fallback, int min) {
  int value = view.has(key) || fallback < 0 ? view.get_int(key) : fallback;
  if (value < min) view.fail(key, ">= " + std::to_string(min));
  // Widths, classes and groups beyond a Graph's dimension limit could only overflow later.
  if (value > graph::kMaxDim) view.fail(key, "at most " + std::to_string(graph::kMaxDim));
  return value;
}

int odd_kernel(const JsonView& view, const std::string& key, int fallback) {
  int k = view.has(key) || fallback < 0 ? view.get_int(key) : fallback;
  if (k < 1 || k % 2 == 0 || k > kMaxKernel) view.fail(key, "an odd kernel size in [1, " + std::to_string(kMaxKernel) + "]");
  return k;
}

int stride_value(const JsonView& view, const std::string& key, int fallback) {
  int s = view.has(key) ? view.get_int(key) : fallback;
  if (s != 1 && s != 2) view.fail(key, "1 or 2");
  return s;
}

StemSpec parse_stem(const JsonView& v) {
  v.check_keys({"filters", "kernel", "stride", "activation"});
  StemSpec stem;
  stem.filters = int_at_least(v, "filters", -1, 1);
  stem.kernel = odd_kernel(v, "kernel", 3);
  stem.stride = stride_value(v, "stride", 2);
  stem.activation = activation_value(v, "activation", graph::Activation::kRelu);
  return stem;
}

HeadSpec parse_head(const JsonView& v) {
  v.check_keys({"filters", "activation", "hidden"});
  HeadSpec head;
  head.filters = int_at_least(v, "filters", 0, 0);
  head.activation = activation_value(v, "activation", graph::Activation::kRelu);
  head.hidden = int_at_least(v, "hidden", 0, 0);
  return head;
}

}  // namespace detail

const char* block_type_name(BlockType type) {
  for (const TypeEntry& e : kBlockTypes) {
    if (e.type == type) return e.name;
  }
  return "?";
}

BlockType parse_block_type(const std::string& name, const std::string& where) {
  for (const TypeEntry& e : kBlockTypes) {
    if (name == e.name) return e.type;
  }
  throw Error(where + " must be one of ibn, fused_ibn, group_ibn, skip, but got \"" + name + "\"");
}

graph::Activation parse_block_activation(const std::string& name, const std::string& where) {
  if (name == "relu") return graph::Activation::kRelu;
  if (name == "relu6") return graph::Activation::kRelu6;
  if (name == "hard_swish") return graph::Activation::kHardSwish;
  throw Error(where + " must be one of relu, relu6, hard_swish, but got \"" + name + "\"");
}

int round_filters(double value, int divisor) {
  int rounded = std::max(divisor, static_cast<int>(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

int expanded_channels(int input, double expansion) {
  if (expansion == 1.0) return input;
  return std::max(1, static_cast<int>(std::lround(input * expansion)));
}

int se_channels(int expanded) { return round_filters(expanded / 4.0); }

Json arch_to_json(const ArchSpec& arch) {
  Json blocks = Json::array();
  for (const BlockSpec& b : arch.blocks) {
    if (b.type == BlockType::kSkip) {
      blocks.push_back({{"type", "skip"}});
      continue;
    }
    Json j = {{"type", block_type_name(b.type)},
              {"kernel", b.kernel},
              {"expansion", number_json(b.expansion)},
              {"filters", b.filters},
              {"stride", b.stride},
              {"activation", graph::activation_name(b.activation)},
              {"se", b.se}};
    if (b.type == BlockType::kGroupConvBottleneck) j["groups"] = b.groups;
    blocks.push_back(std::move(j));
  }
  Json out = {{"format", kArchFormat}, {"version", kArchVersion}, {"name", arch.name}};
  if (!arch.space.empty()) out["space"] = arch.space;
  out["input"] = shape_json(arch.input);
  out["classes"] = arch.classes;
  out["stem"] = {{"filters", arch.stem.filters},
                 {"kernel", arch.stem.kernel},
                 {"stride", arch.stem.stride},
                 {"activation", graph::activation_name(arch.stem.activation)}};
  out["blocks"] = std::move(blocks);
  out["head"] = {{"filters", arch.head.filters}, {"activation", graph::activation_name(arch.head.activation)}};
  if (arch.head.hidden > 0) out["head"]["hidden"] = arch.head.hidden;
  return out;
}

ArchSpec arch_from_json(const Json& json, const std::string& origin) {
  if (json.is_object() && !json.contains("blocks") && json.contains("arch")) {
    return arch_from_json(json.at("arch"), origin + ": arch");
  }
  JsonView v(json, origin);
  v.check_keys({"format", "version", "name", "space", "input", "classes", "stem", "blocks", "head"});
  if (v.has("format") && v.get_string("format") != kArchFormat) v.fail("format", "\"nasctl.arch\"");
  if (v.has("version") && v.get_int("version") != kArchVersion) v.fail("version", "1");
  ArchSpec arch;
  arch.name = v.get_string("name", "arch");
  arch.space = v.get_string("space", "");
  arch.input = detail::parse_shape(v, "input");
  arch.classes = int_at_least(v, "classes", -1, 1);
  arch.stem = detail::parse_stem(v.child("stem"));
  int channels = arch.stem.filters;
  for (const JsonView& block : v.array("blocks")) {
    arch.blocks.push_back(parse_block(block, channels));
    channels = arch.blocks.back().filters;
  }
  if (v.has("head")) arch.head = detail::parse_head(v.child("head"));
  return arch;
}

ArchSpec load_arch_file(const std::string& path) { return arch_from_json(load_json_file(path), path); }

bool is_arch_json(const Json& json) {
  if (!json.is_object() || json.contains("nodes")) return false;
  return json.contains("blocks") || (json.contains("arch") && json.at("arch").is_object());
}

}  // namespace nasctl::space
