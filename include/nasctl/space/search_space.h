#pragma once
/// SearchSpace: a TuNAS/MnasNet-style macro space parsed from configs/spaces/*.json, its decisions,
/// and the mapping between choice indices and ArchSpecs.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/space/arch_spec.h"

namespace nasctl::space {

/// What a decision sets.
enum class DecisionKind { kType, kKernel, kExpansion, kFilterMultiplier, kActivation, kSqueezeExcite };
const char* decision_kind_name(DecisionKind kind);  ///< "type", "kernel", "expansion", ...

/// One categorical decision. A tied decision sets the same value on several layers.
struct Decision {
  std::string name;           ///< "stage2/layer0/kernel", "stage2/filter_multiplier"
  DecisionKind kind = DecisionKind::kKernel;
  std::vector<Json> choices;  ///< "ibn" | 3 | 6.0 | 0.75 | "relu" | true ...
  std::vector<int> layers;    ///< indices into SearchSpace::layers() that it sets
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
  /// Parses and validates a space; errors name `origin` and the key.
  static SearchSpace from_json(const Json& json, const std::string& origin);
  /// A built-in name ("tiny") or a file path.
  static SearchSpace load(const std::string& name_or_path);

  const std::string& name() const { return name_; }
  graph::Shape input() const { return input_; }
  int classes() const { return classes_; }
  const std::vector<Decision>& decisions() const { return decisions_; }
  const std::vector<LayerSlot>& layers() const { return layers_; }

  /// log10 of the number of distinct architectures (a skipped layer's other decisions do not
  /// multiply the count).
  double log10_size() const;

  /// Choice indices (one per decision) -> ArchSpec. Throws on a wrong length or index.
  ArchSpec decode(const std::vector<int>& indices) const;
  /// ArchSpec -> choice indices; throws naming the first block / value not in this space.
  /// Inactive decisions (kernel of a skipped layer) encode as 0.
  std::vector<int> encode(const ArchSpec& arch) const;
  /// Which decisions matter for `indices` (false for the other decisions of a skipped layer).
  std::vector<bool> active(const std::vector<int>& indices) const;
  /// Uniformly random indices.
  std::vector<int> sample(std::mt19937_64& rng) const;

  /// Sets the input size / classes (e.g. for a dataset); re-validates.
  void set_input(graph::Shape input, int classes);

  /// The space as JSON (as parsed, normalised), for config.json of a run.
  const Json& json() const { return json_; }

 private:
  std::string name_;
  graph::Shape input_;
  int classes_ = 1000;
  StemSpec stem_;
  HeadSpec head_;
  std::vector<LayerSlot> layers_;
  std::vector<Decision> decisions_;
  std::vector<BlockSpec> defaults_;  ///< per layer: values used where no decision sets them
  Json json_;
};

}  // namespace nasctl::space
