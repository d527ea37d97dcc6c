#include "nasctl/core/option_schema.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <type_traits>

namespace nasctl {
namespace {

// Whole-text number parsing (flags): "12x", "" and out-of-range values are not numbers.
std::optional<long long> parse_integer(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return std::nullopt;
  return value;
}

std::optional<double> parse_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (errno == ERANGE || *end != '\0') return std::nullopt;
  return value;
}

template <typename V>
OptionCodec<V> integer_codec(const char* requirement, V lo, V hi) {
  OptionCodec<V> c;
  c.requirement = requirement;
  c.metavar = "INT";
  c.read = [requirement, lo, hi](const JsonView& view, const std::string& key, V& value) {
    const Json& v = view.raw().at(key);
    if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<V>::max())) {
      value = static_cast<V>(v.get<uint64_t>());
      return;
    }
    if (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() >= static_cast<int64_t>(std::numeric_limits<V>::min()) &&
        (std::is_unsigned<V>::value || v.get<int64_t>() <= static_cast<int64_t>(std::numeric_limits<V>::max()))) {
      value = static_cast<V>(v.get<int64_t>());
      return;
    }
    if (v.is_number_float()) {
      double d = v.get<double>();
      if (std::floor(d) == d && d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) {
        value = static_cast<V>(d);
        return;
      }
    }
    view.fail(key, requirement);
  };
  c.write = [](const V& value) { return Json(value); };
  c.parse = [lo, hi](const std::string& text) -> std::optional<Json> {
    if (std::is_unsigned<V>::value) {
      if (text.empty() || text[0] == '-') return std::nullopt;
      errno = 0;
      char* end = nullptr;
      unsigned long long value = std::strtoull(text.c_str(), &end, 10);
      if (errno != 0 || *end != '\0') return std::nullopt;
      return Json(static_cast<uint64_t>(value));
    }
    std::optional<long long> value = parse_integer(text);
    if (!value || *value < static_cast<long long>(lo) || *value > static_cast<long long>(hi)) return std::nullopt;
    return Json(static_cast<int64_t>(*value));
  };
  return c;
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t"), end = text.find_last_not_of(" \t");
  return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

}  // namespace

std::string join_names(const std::vector<std::string>& names, const std::string& separator) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : separator) + n;
  return out;
}

template <>
OptionCodec<int> default_codec<int>() {
  // The same range as JsonView::get_int, so a config and a flag accept the same values.
  return integer_codec<int>("an integer", -2000000000, 2000000000);
}

template <>
OptionCodec<int64_t> default_codec<int64_t>() {
  return integer_codec<int64_t>("an integer", std::numeric_limits<int64_t>::min(),
                                std::numeric_limits<int64_t>::max());
}

template <>
OptionCodec<uint64_t> default_codec<uint64_t>() {
  return integer_codec<uint64_t>("an integer >= 0", 0, std::numeric_limits<uint64_t>::max());
}

template <>
OptionCodec<double> default_codec<double>() {
  OptionCodec<double> c;
  c.requirement = "a number";
  c.metavar = "NUMBER";
  c.read = [](const JsonView& view, const std::string& key, double& value) { value = view.get_double(key); };
  c.write = [](const double& value) { return Json(value); };
  c.parse = [](const std::string& text) -> std::optional<Json> {
    std::optional<double> v = parse_number(text);
    return v ? std::optional<Json>(Json(*v)) : std::nullopt;
  };
  return c;
}

template <>
OptionCodec<bool> default_codec<bool>() {
  OptionCodec<bool> c;
  c.requirement = "true or false";
  c.metavar = "BOOL";
  c.read = [](const JsonView& view, const std::string& key, bool& value) { value = view.get_bool(key, value); };
  c.write = [](const bool& value) { return Json(value); };
  c.parse = [](const std::string& text) -> std::optional<Json> {
    if (text == "true" || text == "on" || text == "1") return Json(true);
    if (text == "false" || text == "off" || text == "0") return Json(false);
    return std::nullopt;
  };
  return c;
}

template <>
OptionCodec<std::string> default_codec<std::string>() {
  OptionCodec<std::string> c;
  c.requirement = "a string";
  c.metavar = "TEXT";
  c.read = [](const JsonView& view, const std::string& key, std::string& value) { value = view.get_string(key); };
  c.write = [](const std::string& value) { return Json(value); };
  c.parse = [](const std::string& text) -> std::optional<Json> { return Json(text); };
  return c;
}

template <>
OptionCodec<std::vector<double>> default_codec<std::vector<double>>() {
  OptionCodec<std::vector<double>> c;
  c.requirement = "a comma-separated list of numbers";
  c.metavar = "X[,X...]";
  c.read = [](const JsonView& view, const std::string& key, std::vector<double>& value) {
    value = view.get_double_list(key);
  };
  c.write = [](const std::vector<double>& value) { return Json(value); };
  c.parse = [](const std::string& text) -> std::optional<Json> {
    Json list = Json::array();
    size_t start = 0;
    while (true) {
      size_t comma = text.find(',', start);
      std::optional<double> v = parse_number(trim(text.substr(start, comma - start)));
      if (!v) return std::nullopt;
      list.push_back(*v);
      if (comma == std::string::npos) return list;
      start = comma + 1;
    }
  };
  return c;
}

OptionCodec<double> nullable_double_codec() {
  OptionCodec<double> c = default_codec<double>();
  c.write = [](const double& value) { return std::isnan(value) ? Json(nullptr) : Json(value); };
  return c;
}

OptionCodec<Json> json_object_codec(std::function<void(const JsonView&)> check) {
  OptionCodec<Json> c;
  c.requirement = "a JSON object";
  c.metavar = "JSON";
  c.read = [check](const JsonView& view, const std::string& key, Json& value) {
    JsonView object = view.child(key);
    check(object);
    for (const auto& [k, v] : object.raw().items()) value[k] = v;
  };
  c.write = [](const Json& value) { return value; };
  return c;
}

namespace option_detail {

void check_known_keys(const JsonView& view, const std::vector<std::string>& keys, const std::string& prefix,
                      const std::vector<std::string>& ignored) {
  // The names known at this level, in table order: leaves and sections.
  std::vector<std::string> known = ignored;
  std::vector<std::string> sections;
  for (const std::string& key : keys) {
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = key.substr(prefix.size());
    size_t dot = rest.find('.');
    std::string name = rest.substr(0, dot);
    if (std::find(known.begin(), known.end(), name) == known.end()) known.push_back(name);
    if (dot != std::string::npos && std::find(sections.begin(), sections.end(), name) == sections.end()) {
      sections.push_back(name);
    }
  }
  view.check_keys(known);
  for (const std::string& section : sections) {
    if (view.has(section)) check_known_keys(view.child(section), keys, prefix + section + ".", {});
  }
}

std::optional<JsonView> section_of(const JsonView& root, const std::string& key, std::string* leaf) {
  std::optional<JsonView> view = root;
  size_t start = 0;
  for (size_t dot = key.find('.'); dot != std::string::npos; start = dot + 1, dot = key.find('.', start)) {
    std::string name = key.substr(start, dot - start);
    if (!view->has(name)) return std::nullopt;
    JsonView next = view->child(name);
    view.emplace(next);
  }
  *leaf = key.substr(start);
  return view;
}

void set_path(Json& json, const std::string& key, Json value) {
  Json* node = &json;
  size_t start = 0;
  for (size_t dot = key.find('.'); dot != std::string::npos; start = dot + 1, dot = key.find('.', start)) {
    node = &(*node)[key.substr(start, dot - start)];
  }
  (*node)[key.substr(start)] = std::move(value);
}

const Json* get_path(const Json& json, const std::string& key) {
  const Json* node = &json;
  size_t start = 0;
  while (true) {
    size_t dot = key.find('.', start);
    std::string name = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object() || !node->contains(name)) return nullptr;
    node = &node->at(name);
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
}

std::string resume_dir(const Json& patch) {
  const Json* out = get_path(patch, "out");
  if (out == nullptr || !out->is_string() || out->get<std::string>().empty()) {
    throw Error("--resume needs --out RUN_DIR: the run to continue");
  }
  return out->get<std::string>();
}

void refuse_change(const std::string& origin, const std::string& label, const Json& before, const Json& after) {
  throw Error("--resume continues with the run's own config (" + origin + "): " + label + " would change from " +
              json_excerpt(before) + " to " + json_excerpt(after) + "; drop the flag");
}

}  // namespace option_detail
}  // namespace nasctl
