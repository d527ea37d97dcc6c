#include "space/choice.h"

#include <cmath>

#include "nasctl/core/error.h"

namespace nasctl::space::detail {

void apply_choice(DecisionKind kind, const Json& value, int base_filters, BlockSpec& block) {
  switch (kind) {
    case DecisionKind::kType:
      block.type = parse_block_type(value.get<std::string>(), "type");
      if (block.type == BlockType::kSkip) block.stride = 1;
      break;
    case DecisionKind::kKernel:
      block.kernel = value.get<int>();
      break;
    case DecisionKind::kExpansion:
      block.expansion = value.get<double>();
      break;
    case DecisionKind::kFilterMultiplier:
      block.filters = round_filters(base_filters * value.get<double>());
      break;
    case DecisionKind::kActivation:
      block.activation = parse_block_activation(value.get<std::string>(), "activation");
      break;
    case DecisionKind::kSqueezeExcite:
      block.se = value.get<bool>();
      break;
  }
}

bool choice_matches(DecisionKind kind, const Json& value, int base_filters, const BlockSpec& block) {
  switch (kind) {
    case DecisionKind::kType:
      return value.get<std::string>() == block_type_name(block.type);
    case DecisionKind::kKernel:
      return value.get<int>() == block.kernel;
    case DecisionKind::kExpansion:
      return std::abs(value.get<double>() - block.expansion) < 1e-9;
    case DecisionKind::kFilterMultiplier:
      return round_filters(base_filters * value.get<double>()) == block.filters;
    case DecisionKind::kActivation:
      return value.get<std::string>() == graph::activation_name(block.activation);
    case DecisionKind::kSqueezeExcite:
      return value.get<bool>() == block.se;
  }
  return false;
}

std::string block_value_text(DecisionKind kind, const BlockSpec& block) {
  switch (kind) {
    case DecisionKind::kType:
      return block_type_name(block.type);
    case DecisionKind::kKernel:
      return std::to_string(block.kernel);
    case DecisionKind::kExpansion:
      return space::choice_text(Json(block.expansion));
    case DecisionKind::kFilterMultiplier:
      return std::to_string(block.filters) + " filters";
    case DecisionKind::kActivation:
      return graph::activation_name(block.activation);
    case DecisionKind::kSqueezeExcite:
      return block.se ? "true" : "false";
  }
  return "?";
}

}  // namespace nasctl::space::detail

namespace nasctl::space {

std::string choice_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::floor(d) == d && std::abs(d) < 1e9) return std::to_string(static_cast<int64_t>(d));
  }
  return value.dump();
}

}  // namespace nasctl::space
