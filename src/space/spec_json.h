#pragma once
// JSON field readers shared by the ArchSpec and search space parsers (errors name the key).

#include "nasctl/core/json.h"
#include "nasctl/space/arch_spec.h"

namespace nasctl::space::detail {

/// "[height, width, channels]", all > 0.
graph::Shape parse_shape(const JsonView& view, const std::string& key);
/// An integer >= `min`; `fallback` < 0 makes the key required.
int int_at_least(const JsonView& view, const std::string& key, int fallback, int min);
/// An odd kernel size >= 1; `fallback` < 0 makes the key required.
int odd_kernel(const JsonView& view, const std::string& key, int fallback);
/// 1 or 2.
int stride_value(const JsonView& view, const std::string& key, int fallback);
StemSpec parse_stem(const JsonView& view);
HeadSpec parse_head(const JsonView& view);

}  // namespace nasctl::space::detail
