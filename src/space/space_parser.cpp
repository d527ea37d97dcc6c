// Parsing and validating search space files (the language is documented in docs/formats.md).
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "nasctl/core/configs.h"
#include "nasctl/core/error.h"
#include "nasctl/space/search_space.h"
#include "space/choice.h"
#include "space/spec_json.h"

namespace nasctl::space {
namespace {

constexpr DecisionKind kKinds[] = {DecisionKind::kType,       DecisionKind::kKernel,
                                   DecisionKind::kExpansion,  DecisionKind::kFilterMultiplier,
                                   DecisionKind::kActivation, DecisionKind::kSqueezeExcite};
constexpr int kFilterDivisor = 8;
// Bounds on a space's size: far beyond any real space, small enough that a typo (layers: 2^31 - 1)
// is refused instead of exhausting memory.
constexpr int kMaxLayersPerStage = 64;
constexpr int kMaxStages = 64;

int kind_index(DecisionKind kind) { return static_cast<int>(kind); }

// Choices of every kind and the fixed settings, as defaults, a stage and an override leave them.
struct Settings {
  std::array<Json, kNumDecisionKinds> choices;
  std::array<std::string, kNumDecisionKinds> where;  // key that set them, for messages
  int groups = 2;
  std::string groups_where = "groups";
  bool skippable = false;
  std::vector<DecisionKind> tie;
  bool type_overridden = false;  // a per-layer override set "type": skippable adds no "skip"
};

Settings builtin_settings() {
  Settings s;
  s.choices[kind_index(DecisionKind::kType)] = Json::array({"ibn"});
  s.choices[kind_index(DecisionKind::kKernel)] = Json::array({3});
  s.choices[kind_index(DecisionKind::kExpansion)] = Json::array({6});
  s.choices[kind_index(DecisionKind::kFilterMultiplier)] = Json::array({1.0});
  s.choices[kind_index(DecisionKind::kActivation)] = Json::array({"relu"});
  s.choices[kind_index(DecisionKind::kSqueezeExcite)] = Json::array({false});
  for (DecisionKind k : kKinds) s.where[kind_index(k)] = decision_kind_name(k);
  return s;
}

// Where a layer's "type" may say "skip".
enum class SkipRule { kForbiddenStageWide, kForbiddenFirstLayer, kAllowed };

// Checks one choice value of `kind`; returns a message of what it must be, or "" when valid.
std::string check_choice(DecisionKind kind, const Json& v, SkipRule skip_rule) {
  switch (kind) {
    case DecisionKind::kType:
      if (!v.is_string()) return "one of ibn, fused_ibn, group_ibn";
      if (v == "skip") {
        if (skip_rule == SkipRule::kForbiddenStageWide) {
          return "one of ibn, fused_ibn, group_ibn (\"skip\" would reach the first layer of a stage; "
                 "use \"skippable\": true to let the other layers be skipped)";
        }
        if (skip_rule == SkipRule::kForbiddenFirstLayer) {
          return "one of ibn, fused_ibn, group_ibn (the first layer of a stage changes stride or "
                 "channels, so it cannot be skipped)";
        }
        return "";
      }
      if (v == "ibn" || v == "fused_ibn" || v == "group_ibn") return "";
      return "one of ibn, fused_ibn, group_ibn" + std::string(skip_rule == SkipRule::kAllowed ? ", skip" : "");
    case DecisionKind::kKernel:
      if (int k = 0; v.is_number_integer() && json_to_int(v, &k) && k >= 1 && k <= 255 && k % 2 == 1) return "";
      return "an odd kernel size in [1, 255]";
    case DecisionKind::kExpansion:
      if (v.is_number() && v.get<double>() >= 1.0 && v.get<double>() <= 64.0) return "";
      return "an expansion ratio in [1, 64]";
    case DecisionKind::kFilterMultiplier:
      if (v.is_number() && v.get<double>() > 0.0 && v.get<double>() <= 16.0) return "";
      return "a filter multiplier in (0, 16]";
    case DecisionKind::kActivation:
      if (v == "relu" || v == "relu6" || v == "hard_swish") return "";
      return "one of relu, relu6, hard_swish";
    case DecisionKind::kSqueezeExcite:
      return v.is_boolean() ? "" : "true or false";
  }
  return "valid";
}

// A value or list of values -> a checked, duplicate-free list.
Json read_choices(const JsonView& view, DecisionKind kind, SkipRule skip_rule) {
  const std::string key = decision_kind_name(kind);
  const Json& raw = view.raw().at(key);
  Json list = raw.is_array() ? raw : Json::array({raw});
  if (list.empty()) view.fail(key, "a value or a non-empty list of choices");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string where = view.path(key) + (raw.is_array() ? "[" + std::to_string(i) + "]" : "");
    std::string requirement = check_choice(kind, list[i], skip_rule);
    if (!requirement.empty()) throw Error(where + " must be " + requirement + ", but got " + json_excerpt(list[i]));
    for (size_t j = 0; j < i; ++j) {
      bool same = list[i].is_number() ? std::abs(list[i].get<double>() - list[j].get<double>()) < 1e-12 : list[i] == list[j];
      if (same) throw Error(view.path(key) + " lists " + json_excerpt(list[i]) + " twice");
    }
  }
  return list;
}

std::vector<DecisionKind> read_tie(const JsonView& view) {
  std::vector<DecisionKind> tie;
  std::vector<std::string> names = view.get_string_list("tie");
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = std::find_if(std::begin(kKinds), std::end(kKinds),
                           [&](DecisionKind k) { return names[i] == decision_kind_name(k); });
    if (it == std::end(kKinds)) {
      throw Error(view.path("tie") + "[" + std::to_string(i) +
                  "] must name a decision (type, kernel, expansion, filter_multiplier, activation, se), but got \"" +
                  names[i] + "\"");
    }
    tie.push_back(*it);
  }
  return tie;
}

// Overlays the keys present in `view` onto `s`.
void overlay(Settings& s, const JsonView& view, SkipRule skip_rule, bool stage_level) {
  for (DecisionKind kind : kKinds) {
    if (kind == DecisionKind::kFilterMultiplier && !stage_level) continue;
    const std::string key = decision_kind_name(kind);
    if (!view.has(key)) continue;
    s.choices[kind_index(kind)] = read_choices(view, kind, skip_rule);
    s.where[kind_index(kind)] = view.path(key);
    if (kind == DecisionKind::kType && !stage_level) s.type_overridden = true;
  }
  if (view.has("groups")) {
    s.groups = detail::int_at_least(view, "groups", -1, 1);
    s.groups_where = view.path("groups");
  }
  if (stage_level && view.has("skippable")) s.skippable = view.get_bool("skippable", false);
  if (stage_level && view.has("tie")) s.tie = read_tie(view);
}

}  // namespace

// Builds a SearchSpace from JSON. A friend of SearchSpace: it fills the private tables.
class SpaceParser {
 public:
  SpaceParser(const Json& json, std::string origin) : json_(json), origin_(std::move(origin)) {}
  SearchSpace parse();

 private:
  void parse_stage(const JsonView& stage, int s, const Settings& defaults);
  static Json stage_multipliers(const Json& multipliers, int base);
  void add_decisions(int s, const std::vector<int>& layer_ids, const std::vector<Settings>& per_layer,
                     const std::string& stage_where);
  void check_groups() const;

  const Json& json_;
  std::string origin_;
  SearchSpace space_;
  std::vector<std::string> stage_where_;
  std::vector<std::vector<int>> stage_widths_;  // possible output channels per stage
  std::vector<Settings> layer_settings_;         // per layer
};

SearchSpace SpaceParser::parse() {
  JsonView top(json_, origin_);
  top.check_keys({"format", "version", "name", "description", "input", "classes", "stem", "defaults", "stages", "head"});
  if (top.has("format") && top.get_string("format") != "nasctl.space") top.fail("format", "\"nasctl.space\"");
  if (top.has("version") && top.get_int("version") != 1) top.fail("version", "1");
  SearchSpace& sp = space_;
  sp.origin_ = origin_;
  sp.name_ = top.get_string("name");
  if (sp.name_.empty()) top.fail("name", "a non-empty string");
  sp.description_ = top.get_string("description", "");
  sp.input_ = detail::parse_shape(top, "input");
  sp.classes_ = detail::int_at_least(top, "classes", -1, 1);
  sp.stem_ = detail::parse_stem(top.child("stem"));
  if (top.has("head")) sp.head_ = detail::parse_head(top.child("head"));

  Settings defaults = builtin_settings();
  if (top.has("defaults")) {
    JsonView d = top.child("defaults");
    d.check_keys({"type", "kernel", "expansion", "filter_multiplier", "activation", "se", "groups", "skippable", "tie"});
    overlay(defaults, d, SkipRule::kForbiddenStageWide, true);
  }
  std::vector<JsonView> stages = top.array("stages");
  if (stages.empty() || stages.size() > size_t(kMaxStages)) top.fail("stages", "a list of 1 to " + std::to_string(kMaxStages) + " stages");
  for (size_t s = 0; s < stages.size(); ++s) parse_stage(stages[s], static_cast<int>(s), defaults);
  sp.num_stages_ = static_cast<int>(stages.size());
  check_groups();
  sp.json_ = json_;
  return std::move(space_);
}

void SpaceParser::parse_stage(const JsonView& stage, int s, const Settings& defaults) {
  stage.check_keys({"filters", "stride", "layers", "type", "kernel", "expansion", "filter_multiplier", "activation",
                    "se", "groups", "skippable", "tie", "overrides"});
  int base = detail::int_at_least(stage, "filters", -1, 1);
  if (base % kFilterDivisor != 0) {
    stage.fail("filters", "a multiple of " + std::to_string(kFilterDivisor) +
                              " (filters are rounded to multiples of 8; write a multiple such as " +
                              std::to_string(round_filters(base)) + ")");
  }
  int stride = detail::stride_value(stage, "stride", 1);
  int count = stage.get_int_in("layers", 1, kMaxLayersPerStage);
  Settings stage_settings = defaults;
  overlay(stage_settings, stage, SkipRule::kForbiddenStageWide, true);
  const int m = kind_index(DecisionKind::kFilterMultiplier);
  stage_settings.choices[m] = stage_multipliers(stage_settings.choices[m], base);

  std::vector<Settings> per_layer(count, stage_settings);
  std::set<int> overridden;
  if (stage.has("overrides")) {
    for (const JsonView& o : stage.array("overrides")) {
      o.check_keys({"layer", "type", "kernel", "expansion", "activation", "se", "groups"});
      int l = o.get_int("layer");
      if (l < 0 || l >= count) o.fail("layer", "a layer index in [0, " + std::to_string(count - 1) + "]");
      if (!overridden.insert(l).second) o.fail("layer", "a layer not overridden before");
      overlay(per_layer[l], o, l == 0 ? SkipRule::kForbiddenFirstLayer : SkipRule::kAllowed, false);
    }
  }
  std::vector<int> layer_ids;
  for (int l = 0; l < count; ++l) {
    Settings& ls = per_layer[l];
    Json& types = ls.choices[kind_index(DecisionKind::kType)];
    if (ls.skippable && l > 0 && !ls.type_overridden && std::find(types.begin(), types.end(), "skip") == types.end()) {
      types.push_back("skip");
    }
    LayerSlot slot;
    slot.stage = s;
    slot.index_in_stage = l;
    slot.stride = l == 0 ? stride : 1;
    slot.base_filters = base;
    layer_ids.push_back(static_cast<int>(space_.layers_.size()));
    space_.layers_.push_back(slot);
    layer_settings_.push_back(ls);
  }
  stage_where_.push_back(stage.where());
  std::vector<int> widths;
  for (const Json& mult : stage_settings.choices[m]) widths.push_back(round_filters(base * mult.get<double>()));
  stage_widths_.push_back(widths);
  add_decisions(s, layer_ids, per_layer, stage.where());
}

// Multipliers that round to the same filter count are one architecture: keep one per count (the
// one closest to exact), ordered by filters, as TuNAS builds its filter choices.
Json SpaceParser::stage_multipliers(const Json& multipliers, int base) {
  std::map<int, double> best;
  for (const Json& m : multipliers) {
    double value = m.get<double>();
    int filters = round_filters(base * value);
    auto it = best.find(filters);
    if (it == best.end() || std::abs(base * value - filters) < std::abs(base * it->second - filters)) {
      best[filters] = value;
    }
  }
  Json out = Json::array();
  for (const auto& [filters, value] : best) out.push_back(value);
  return out;
}

void SpaceParser::add_decisions(int s, const std::vector<int>& layer_ids, const std::vector<Settings>& per_layer,
                                const std::string& stage_where) {
  SearchSpace& sp = space_;
  const std::string prefix = "stage" + std::to_string(s) + "/";
  for (size_t l = 0; l < layer_ids.size(); ++l) {
    sp.decision_of_.emplace_back();
    sp.decision_of_.back().fill(-1);
    sp.fixed_.emplace_back();
  }
  auto is_tied = [&](DecisionKind kind) {
    const auto& tie = per_layer[0].tie;
    return kind == DecisionKind::kFilterMultiplier || std::find(tie.begin(), tie.end(), kind) != tie.end();
  };
  auto add = [&](DecisionKind kind, const std::string& name, const Json& choices, const std::vector<int>& layers) {
    const int k = kind_index(kind);
    if (choices.size() == 1) {
      for (int id : layers) sp.fixed_[id][k] = choices[0];
      return;
    }
    Decision d;
    d.name = name;
    d.kind = kind;
    d.choices.assign(choices.begin(), choices.end());
    d.layers = layers;
    for (int id : layers) sp.decision_of_[id][k] = static_cast<int>(sp.decisions_.size());
    sp.decisions_.push_back(std::move(d));
  };
  // Stage-wide decisions first (the stage's width, then the tied ones), then each layer's own.
  constexpr DecisionKind kStageOrder[] = {DecisionKind::kFilterMultiplier, DecisionKind::kType,
                                          DecisionKind::kKernel,           DecisionKind::kExpansion,
                                          DecisionKind::kActivation,       DecisionKind::kSqueezeExcite};
  for (DecisionKind kind : kStageOrder) {
    if (!is_tied(kind)) continue;
    const int k = kind_index(kind);
    for (size_t l = 1; l < per_layer.size(); ++l) {
      if (per_layer[l].choices[k] != per_layer[0].choices[k]) {
        throw Error(stage_where + ".tie: \"" + decision_kind_name(kind) + "\" is tied, but layer " + std::to_string(l) +
                    " has choices " + json_excerpt(per_layer[l].choices[k]) + " and layer 0 has " +
                    json_excerpt(per_layer[0].choices[k]));
      }
    }
    add(kind, prefix + decision_kind_name(kind), per_layer[0].choices[k], layer_ids);
  }
  for (size_t l = 0; l < per_layer.size(); ++l) {
    for (DecisionKind kind : kKinds) {
      if (is_tied(kind)) continue;
      add(kind, prefix + "layer" + std::to_string(l) + "/" + decision_kind_name(kind),
          per_layer[l].choices[kind_index(kind)], {layer_ids[l]});
    }
  }
  // The canonical block of each layer: fixed values, and choice 0 where a decision sets the value.
  for (int id : layer_ids) {
    const LayerSlot& slot = sp.layers_[id];
    BlockSpec b;
    b.stride = slot.stride;
    b.groups = layer_settings_[id].groups;
    for (DecisionKind kind : kKinds) {
      int d = sp.decision_of_[id][kind_index(kind)];
      const Json& value = d >= 0 ? sp.decisions_[d].choices[0] : sp.fixed_[id][kind_index(kind)];
      detail::apply_choice(kind, value, slot.base_filters, b);
    }
    sp.defaults_.push_back(b);
  }
}

// group_ibn's convs need every channel count they can see to be divisible by the groups.
void SpaceParser::check_groups() const {
  const SearchSpace& sp = space_;
  for (size_t id = 0; id < sp.layers_.size(); ++id) {
    const Settings& ls = layer_settings_[id];
    const Json& types = ls.choices[kind_index(DecisionKind::kType)];
    if (std::find(types.begin(), types.end(), "group_ibn") == types.end()) continue;
    const LayerSlot& slot = sp.layers_[id];
    std::vector<int> inputs = slot.index_in_stage > 0 ? stage_widths_[slot.stage]
                              : slot.stage > 0        ? stage_widths_[slot.stage - 1]
                                                      : std::vector<int>{sp.stem_.filters};
    std::vector<int> counts = stage_widths_[slot.stage];
    for (int in : inputs) {
      counts.push_back(in);
      for (const Json& e : ls.choices[kind_index(DecisionKind::kExpansion)]) {
        counts.push_back(expanded_channels(in, e.get<double>()));
      }
    }
    for (int c : counts) {
      if (c % ls.groups != 0) {
        throw Error(stage_where_[slot.stage] + " layer " +
                    std::to_string(slot.index_in_stage) + " (group_ibn) can have " + std::to_string(c) +
                    " channels, which groups " + std::to_string(ls.groups) + " (set by " + ls.groups_where +
                    ") does not divide");
      }
    }
  }
}

SearchSpace SearchSpace::from_json(const Json& json, const std::string& origin) {
  return SpaceParser(json, origin).parse();
}

SearchSpace SearchSpace::load(const std::string& name_or_path) {
  std::string origin;
  Json json = load_config("spaces", name_or_path, &origin);
  return from_json(json, origin);
}

}  // namespace nasctl::space
