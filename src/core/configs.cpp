#include "nasctl/core/configs.h"

#include <algorithm>
#include <filesystem>

#include "core/embedded_configs.h"
#include "nasctl/core/error.h"
#include "nasctl/core/files.h"

namespace nasctl {

ConfigSource resolve_config(const std::string& kind, const std::string& name_or_path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name_or_path, ec)) return {name_or_path, read_file(name_or_path)};
  for (const EmbeddedConfig& config : embedded_configs()) {
    if (config.kind == kind && config.name == name_or_path) {
      return {"configs/" + kind + "/" + config.name + ".json", config.text};
    }
  }
  std::string names;
  for (const std::string& name : builtin_config_names(kind)) names += (names.empty() ? "" : ", ") + name;
  throw Error(name_or_path + ": no such file, and not a built-in " + kind + " config (built-in: " + names + ")");
}

Json load_config(const std::string& kind, const std::string& name_or_path, std::string* origin) {
  ConfigSource source = resolve_config(kind, name_or_path);
  if (origin) *origin = source.origin;
  return parse_json(source.text, source.origin);
}

std::vector<std::string> builtin_config_names(const std::string& kind) {
  std::vector<std::string> names;
  for (const EmbeddedConfig& config : embedded_configs()) {
    if (config.kind == kind) names.push_back(config.name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace nasctl
