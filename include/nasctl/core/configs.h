#pragma once
/// Built-in configuration files (configs/ compiled into the binary) and name-or-path resolution.

#include <string>
#include <vector>

#include "nasctl/core/json.h"

namespace nasctl {

/// A configuration document and where it came from ("configs/spaces/tiny.json" or a user path).
struct ConfigSource {
  std::string origin;  ///< shown in error messages
  std::string text;    ///< the JSON text
};

/// Resolves `name_or_path` within `kind` ("spaces", "hardware", "train", "search"): an existing
/// file path wins; otherwise a built-in name such as "tiny" or "coral-usb3". Throws naming both.
ConfigSource resolve_config(const std::string& kind, const std::string& name_or_path);

/// Parsed form of resolve_config.
Json load_config(const std::string& kind, const std::string& name_or_path, std::string* origin = nullptr);

/// Names of the built-in configs of `kind`, sorted.
std::vector<std::string> builtin_config_names(const std::string& kind);

}  // namespace nasctl
