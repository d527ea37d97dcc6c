#pragma once
/// SearchSpace: a TuNAS/MnasNet-style macro space parsed from configs/spaces/*.json (the language is
/// in docs/formats.md, "Search space files"), its decisions, and the mapping between choice
/// indices and ArchSpecs.

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/space/arch_spec.h"

namespace nasctl::space {

/// What a decision sets.
enum class DecisionKind { kType, kKernel, kExpansion, kFilterMultiplier, kActivation, kSqueezeExcite };
constexpr int kNumDecisionKinds = 6;
/// "type", "kernel", "expansion", "filter_multiplier", "activation", "se" (the JSON keys).
const char* decision_kind_name(DecisionKind kind);

/// How a choice prints everywhere (space listings, errors, the search's masks): "3", "0.75", "1"
/// (a whole number without a decimal point), "ibn", "true".
std::string choice_text(const Json& value);

/// One categorical decision. A tied decision sets the same value on several layers.
struct Decision {
  std::string name;           ///< "stage2/layer0/kernel", "stage2/kernel" (tied), "stage2/filter_multiplier"
  DecisionKind kind = DecisionKind::kKernel;
  /// "ibn" | 3 | 6 | 0.75 | "relu" | true ...: block type names, kernel sizes, expansion ratios,
  /// filter multipliers (each giving a distinct filter count), activation names, SE on/off.
  std::vector<Json> choices;
  std::vector<int> layers;    ///< indices into SearchSpace::layers() that it sets (all in one stage)
};

/// A searchable layer position.
struct LayerSlot {
  int stage = 0;
  int index_in_stage = 0;
  int stride = 1;         ///< stride of this layer (the stage's stride for the first, else 1)
  int base_filters = 16;  ///< stage base filters before the multiplier
};

class SearchSpace {
 public:
  /// Parses and validates a space; errors name `origin` and the key
  /// ("tiny.json: stages[2].layers must be >= 1, but got 0").
  static SearchSpace from_json(const Json& json, const std::string& origin);
  /// A built-in name ("tiny") or a file path.
  static SearchSpace load(const std::string& name_or_path);

  const std::string& name() const { return name_; }
  const std::string& description() const { return description_; }
  const std::string& origin() const { return origin_; }  ///< file or "configs/spaces/<name>.json"
  graph::Shape input() const { return input_; }
  int classes() const { return classes_; }
  const StemSpec& stem() const { return stem_; }
  const HeadSpec& head() const { return head_; }
  const std::vector<Decision>& decisions() const { return decisions_; }
  const std::vector<LayerSlot>& layers() const { return layers_; }
  int num_stages() const { return num_stages_; }

  /// log10 of the number of distinct architectures: a skipped layer's other decisions do not
  /// multiply the count, and a tied decision counts once.
  double log10_size() const;
  /// log10 of the number of index vectors (the product of every decision's choice count). This
  /// is how TuNAS counts its spaces ("about 10^21" for ProxylessNAS), inactive decisions included.
  double log10_combinations() const;

  /// Choice indices (one per decision) -> ArchSpec. Throws on a wrong length or index. Inactive
  /// decisions are read as choice 0, so that the result is canonical.
  ArchSpec decode(const std::vector<int>& indices) const;
  /// ArchSpec -> choice indices; throws naming the first block / value not in this space.
  /// Inactive decisions (kernel of a skipped layer) encode as 0.
  std::vector<int> encode(const ArchSpec& arch) const;
  /// Which decisions matter for `indices` (false for the other decisions of a skipped layer, and
  /// for a tied decision all of whose layers are skipped).
  std::vector<bool> active(const std::vector<int>& indices) const;
  /// Uniformly random indices (each decision independently; the same on every platform).
  std::vector<int> sample(std::mt19937_64& rng) const;

  /// The choices layer `layer` has for `kind`: those of the decision that sets it, or the one
  /// fixed value. For sizing shared weights (largest kernel, expansion, filters of a layer).
  std::vector<Json> layer_choices(int layer, DecisionKind kind) const;
  /// Index of the decision that sets `kind` on `layer`, or -1 when the value is fixed.
  int decision_index(int layer, DecisionKind kind) const;
  /// Output channels of `layer` under filter multiplier `multiplier`: round_filters(base x m).
  int layer_filters(int layer, double multiplier) const;

  /// Sets the input size / classes (e.g. for a dataset); re-validates.
  void set_input(graph::Shape input, int classes);

  /// The space as JSON (as parsed, with the input and classes in force), for config.json of a run.
  const Json& json() const { return json_; }

 private:
  bool layer_skipped(const std::vector<int>& indices, int layer) const;
  double stage_count(int stage) const;
  void check_indices(const std::vector<int>& indices) const;

  std::string name_;
  std::string description_;
  std::string origin_;
  graph::Shape input_;
  int classes_ = 1000;
  StemSpec stem_;
  HeadSpec head_;
  int num_stages_ = 0;
  std::vector<LayerSlot> layers_;
  std::vector<Decision> decisions_;
  std::vector<BlockSpec> defaults_;  ///< per layer: values used where no decision sets them
  /// Per layer and kind: the deciding decision's index, or -1 with the fixed value in fixed_.
  std::vector<std::array<int, kNumDecisionKinds>> decision_of_;
  std::vector<std::array<Json, kNumDecisionKinds>> fixed_;
  Json json_;

  friend class SpaceParser;
};

}  // namespace nasctl::space
