#pragma once
// Reading and writing one decision's value on a BlockSpec (shared by decoding, encoding and the
// space parser, so that the three agree on what a choice means).

#include <string>

#include "nasctl/core/json.h"
#include "nasctl/space/search_space.h"

namespace nasctl::space::detail {

/// Sets what `value` (a choice of a `kind` decision) means on `block`; `base_filters` is the
/// stage's base width (filter multipliers scale it).
void apply_choice(DecisionKind kind, const Json& value, int base_filters, BlockSpec& block);

/// True when `block` has the value `value` for `kind`.
bool choice_matches(DecisionKind kind, const Json& value, int base_filters, const BlockSpec& block);

/// The value `block` has for `kind`, as a choice would be written (filters for a multiplier).
std::string block_value_text(DecisionKind kind, const BlockSpec& block);

}  // namespace nasctl::space::detail
