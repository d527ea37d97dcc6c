// SearchSpace: decoding, encoding, activity, sampling and counting (parsing is in space_parser.cpp).
#include "nasctl/space/search_space.h"

#include <cmath>

#include "nasctl/core/error.h"
#include "space/choice.h"

namespace nasctl::space {
namespace {

int kind_index(DecisionKind kind) { return static_cast<int>(kind); }

bool is_skip(const Json& type_choice) { return type_choice.is_string() && type_choice == "skip"; }

}  // namespace

const char* decision_kind_name(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kType: return "type";
    case DecisionKind::kKernel: return "kernel";
    case DecisionKind::kExpansion: return "expansion";
    case DecisionKind::kFilterMultiplier: return "filter_multiplier";
    case DecisionKind::kActivation: return "activation";
    case DecisionKind::kSqueezeExcite: return "se";
  }
  return "?";
}

void SearchSpace::check_indices(const std::vector<int>& indices) const {
  if (indices.size() != decisions_.size()) {
    throw Error("space '" + name_ + "': " + std::to_string(indices.size()) + " choice indices given, but it has " +
                std::to_string(decisions_.size()) + " decisions");
  }
  for (size_t d = 0; d < indices.size(); ++d) {
    if (indices[d] < 0 || indices[d] >= static_cast<int>(decisions_[d].choices.size())) {
      throw Error("space '" + name_ + "': choice index of " + decisions_[d].name + " must be in [0, " +
                  std::to_string(decisions_[d].choices.size() - 1) + "], but got " + std::to_string(indices[d]));
    }
  }
}

bool SearchSpace::layer_skipped(const std::vector<int>& indices, int layer) const {
  int d = decision_of_[layer][kind_index(DecisionKind::kType)];
  const Json& type = d >= 0 ? decisions_[d].choices[indices[d]] : fixed_[layer][kind_index(DecisionKind::kType)];
  return is_skip(type);
}

std::vector<bool> SearchSpace::active(const std::vector<int>& indices) const {
  check_indices(indices);
  std::vector<bool> out(decisions_.size(), false);
  for (size_t d = 0; d < decisions_.size(); ++d) {
    const Decision& decision = decisions_[d];
    if (decision.kind == DecisionKind::kType) {
      out[d] = true;
      continue;
    }
    for (int layer : decision.layers) {
      if (!layer_skipped(indices, layer)) out[d] = true;
    }
  }
  return out;
}

ArchSpec SearchSpace::decode(const std::vector<int>& indices) const {
  std::vector<bool> is_active = active(indices);  // also checks the indices
  ArchSpec arch;
  arch.name = name_ + "_arch";
  arch.space = name_;
  arch.input = input_;
  arch.classes = classes_;
  arch.stem = stem_;
  arch.head = head_;
  arch.blocks = defaults_;
  for (size_t d = 0; d < decisions_.size(); ++d) {
    const Decision& decision = decisions_[d];
    const Json& value = decision.choices[is_active[d] ? indices[d] : 0];
    for (int layer : decision.layers) {
      detail::apply_choice(decision.kind, value, layers_[layer].base_filters, arch.blocks[layer]);
    }
  }
  return arch;
}

std::vector<int> SearchSpace::encode(const ArchSpec& arch) const {
  const std::string who = "arch '" + arch.name + "'";
  if (arch.blocks.size() != layers_.size()) {
    throw Error(who + " has " + std::to_string(arch.blocks.size()) + " blocks, but space '" + name_ + "' has " +
                std::to_string(layers_.size()) + " layers");
  }
  auto differs = [&](const std::string& what, const std::string& got, const std::string& want) {
    throw Error(who + ": " + what + " is " + got + ", but space '" + name_ + "' has " + want);
  };
  if (arch.input != input_) differs("input", arch.input.str(), input_.str());
  if (arch.classes != classes_) differs("classes", std::to_string(arch.classes), std::to_string(classes_));
  const StemSpec& s = arch.stem;
  if (s.filters != stem_.filters || s.kernel != stem_.kernel || s.stride != stem_.stride ||
      s.activation != stem_.activation) {
    differs("the stem", std::to_string(s.filters) + " filters " + std::to_string(s.kernel) + "x" +
                            std::to_string(s.kernel) + "/" + std::to_string(s.stride) + " " + graph::activation_name(s.activation),
            std::to_string(stem_.filters) + " filters " + std::to_string(stem_.kernel) + "x" +
                std::to_string(stem_.kernel) + "/" + std::to_string(stem_.stride) + " " +
                graph::activation_name(stem_.activation));
  }
  if (arch.head.filters != head_.filters || arch.head.activation != head_.activation || arch.head.hidden != head_.hidden) {
    differs("the head", std::to_string(arch.head.filters) + " filters " + graph::activation_name(arch.head.activation),
            std::to_string(head_.filters) + " filters " + graph::activation_name(head_.activation));
  }

  std::vector<int> indices(decisions_.size(), 0);
  for (size_t layer = 0; layer < layers_.size(); ++layer) {
    const BlockSpec& b = arch.blocks[layer];
    const LayerSlot& slot = layers_[layer];
    const std::string where = who + ": blocks[" + std::to_string(layer) + "]";
    bool skipped = b.type == BlockType::kSkip;
    for (int k = 0; k < kNumDecisionKinds; ++k) {
      auto kind = static_cast<DecisionKind>(k);
      if (skipped && kind != DecisionKind::kType) continue;  // inactive: stays 0 unless another layer sets it
      int d = decision_of_[layer][k];
      const std::vector<Json> choices = d >= 0 ? decisions_[d].choices : std::vector<Json>{fixed_[layer][k]};
      int found = -1;
      for (size_t c = 0; c < choices.size() && found < 0; ++c) {
        if (detail::choice_matches(kind, choices[c], slot.base_filters, b)) found = static_cast<int>(c);
      }
      std::string label = d >= 0 ? decisions_[d].name : "stage" + std::to_string(slot.stage) + "/layer" +
                                                            std::to_string(slot.index_in_stage) + "/" + decision_kind_name(kind);
      if (found < 0) {
        std::string list;
        for (const Json& c : choices) list += (list.empty() ? "" : ", ") + choice_text(c);
        throw Error(where + "." + decision_kind_name(kind) + " is " + detail::block_value_text(kind, b) + ", which is not a choice of " +
                    label + " (" + list + ")");
      }
      if (d < 0) continue;
      bool set_before = false;
      for (int other : decisions_[d].layers) {
        if (other < static_cast<int>(layer) && (kind == DecisionKind::kType || arch.blocks[other].type != BlockType::kSkip)) {
          set_before = true;
        }
      }
      if (set_before && indices[d] != found) {
        throw Error(where + "." + decision_kind_name(kind) + " is " + detail::block_value_text(kind, b) + ", but " + label +
                    " is tied and an earlier layer of the stage has " + choice_text(decisions_[d].choices[indices[d]]));
      }
      indices[d] = found;
    }
    if (!skipped && b.stride != slot.stride) {
      throw Error(where + ".stride is " + std::to_string(b.stride) + ", but the space has " + std::to_string(slot.stride));
    }
    if (b.type == BlockType::kGroupConvBottleneck && b.groups != defaults_[layer].groups) {
      throw Error(where + ".groups is " + std::to_string(b.groups) + ", but the space has " +
                  std::to_string(defaults_[layer].groups));
    }
  }
  return indices;
}

std::vector<int> SearchSpace::sample(std::mt19937_64& rng) const {
  std::vector<int> indices(decisions_.size());
  // rng() % n rather than std::uniform_int_distribution: the same draws on every standard library.
  for (size_t d = 0; d < decisions_.size(); ++d) indices[d] = static_cast<int>(rng() % decisions_[d].choices.size());
  return indices;
}

std::vector<Json> SearchSpace::layer_choices(int layer, DecisionKind kind) const {
  int d = decision_index(layer, kind);
  return d >= 0 ? decisions_[d].choices : std::vector<Json>{fixed_[layer][kind_index(kind)]};
}

int SearchSpace::decision_index(int layer, DecisionKind kind) const {
  if (layer < 0 || layer >= static_cast<int>(layers_.size())) {
    throw Error("space '" + name_ + "': layer " + std::to_string(layer) + " is out of range [0, " +
                std::to_string(layers_.size()) + ")");
  }
  return decision_of_[layer][kind_index(kind)];
}

int SearchSpace::layer_filters(int layer, double multiplier) const {
  decision_index(layer, DecisionKind::kFilterMultiplier);  // range check
  return round_filters(layers_[layer].base_filters * multiplier);
}

void SearchSpace::set_input(graph::Shape input, int classes) {
  if (input.h <= 0 || input.w <= 0 || input.c <= 0) {
    throw Error("space '" + name_ + "': input must be positive, but got " + input.str());
  }
  if (classes < 1) throw Error("space '" + name_ + "': classes must be >= 1, but got " + std::to_string(classes));
  input_ = input;
  classes_ = classes;
  json_["input"] = Json::array({input.h, input.w, input.c});
  json_["classes"] = classes;
}

double SearchSpace::log10_combinations() const {
  double sum = 0.0;
  for (const Decision& d : decisions_) sum += std::log10(static_cast<double>(d.choices.size()));
  return sum;
}

// Distinct architectures of one stage. Skipping a layer deactivates its other decisions, and a
// tied decision counts once if any of its layers is active: a dynamic programme over the layers
// whose state is the set of tied decisions activated so far.
double SearchSpace::stage_count(int stage) const {
  std::vector<int> ids;
  for (size_t id = 0; id < layers_.size(); ++id) {
    if (layers_[id].stage == stage) ids.push_back(static_cast<int>(id));
  }
  std::vector<int> tied;  // non-type decisions of several layers; bit i of a state = tied[i]
  int tied_type = -1;
  for (size_t d = 0; d < decisions_.size(); ++d) {
    const Decision& decision = decisions_[d];
    if (layers_[decision.layers[0]].stage != stage || decision.layers.size() < 2) continue;
    if (decision.kind == DecisionKind::kType) {
      tied_type = static_cast<int>(d);
    } else {
      tied.push_back(static_cast<int>(d));
    }
  }
  auto bit_of = [&](int d) {
    for (size_t i = 0; i < tied.size(); ++i) {
      if (tied[i] == d) return 1 << i;
    }
    return 0;
  };
  auto skip_counts = [&](const std::vector<Json>& choices) {
    double skips = 0;
    for (const Json& c : choices) skips += is_skip(c) ? 1 : 0;
    return std::pair<double, double>{skips, choices.size() - skips};
  };
  // A tied type decision skips all of its layers or none: count the two outcomes apart.
  std::vector<std::pair<int, double>> outcomes = {{-1, 1.0}};
  if (tied_type >= 0) {
    auto [skips, others] = skip_counts(decisions_[tied_type].choices);
    outcomes = {{0, others}, {1, skips}};
  }
  double total = 0.0;
  for (auto [all_skipped, weight] : outcomes) {
    std::vector<double> count(size_t(1) << tied.size(), 0.0);
    count[0] = weight;
    for (int id : ids) {
      double own = 1.0;
      int mask = 0;
      for (int k = 0; k < kNumDecisionKinds; ++k) {
        int d = decision_of_[id][k];
        if (d < 0 || k == kind_index(DecisionKind::kType)) continue;
        if (decisions_[d].layers.size() > 1) {
          mask |= bit_of(d);
        } else {
          own *= static_cast<double>(decisions_[d].choices.size());
        }
      }
      int type_d = decision_of_[id][kind_index(DecisionKind::kType)];
      std::pair<double, double> type_counts;  // (skip choices, other choices) at this layer
      if (all_skipped >= 0) {
        type_counts = all_skipped ? std::pair<double, double>{1, 0} : std::pair<double, double>{0, 1};
      } else if (type_d >= 0) {
        type_counts = skip_counts(decisions_[type_d].choices);
      } else {
        type_counts = skip_counts({fixed_[id][kind_index(DecisionKind::kType)]});
      }
      std::vector<double> next(count.size(), 0.0);
      for (size_t m = 0; m < count.size(); ++m) {
        next[m] += count[m] * type_counts.first;
        next[m | mask] += count[m] * type_counts.second * own;
      }
      count.swap(next);
    }
    for (size_t m = 0; m < count.size(); ++m) {
      double c = count[m];
      for (size_t i = 0; i < tied.size(); ++i) {
        if (m & (size_t(1) << i)) c *= static_cast<double>(decisions_[tied[i]].choices.size());
      }
      total += c;
    }
  }
  return total;
}

double SearchSpace::log10_size() const {
  double sum = 0.0;
  for (int s = 0; s < num_stages_; ++s) sum += std::log10(stage_count(s));
  return sum;
}

}  // namespace nasctl::space
