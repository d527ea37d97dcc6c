#include "nasctl/core/json.h"

#include <algorithm>
#include <cmath>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"

namespace nasctl {

Json parse_json(const std::string& text, const std::string& origin) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // nlohmann's message starts with "[json.exception.parse_error.101] "; keep the human part.
    auto pos = what.find("] ");
    throw Error(origin + ": invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
  }
}

Json load_json_file(const std::string& path) { return parse_json(read_file(path), path); }

std::string json_excerpt(const Json& value) {
  std::string text = value.dump();
  constexpr size_t kMax = 60;
  if (text.size() > kMax) text = text.substr(0, kMax - 3) + "...";
  return text;
}

JsonView::JsonView(const Json& value, std::string where) : value_(value), where_(std::move(where)) {
  if (!value_.is_object()) throw Error(where_ + " must be a JSON object, but got " + json_excerpt(value_));
}

bool JsonView::has(const std::string& key) const { return value_.contains(key) && !value_.at(key).is_null(); }

std::string JsonView::path(const std::string& key) const {
  if (where_.empty()) return key;
  // "file.json: stages[2]" + "filters" -> "file.json: stages[2].filters"; "file.json" + "x" -> "file.json: x"
  bool ends_with_colon_part = where_.find(": ") != std::string::npos;
  return where_ + (ends_with_colon_part ? "." : ": ") + key;
}

void JsonView::fail(const std::string& key, const std::string& requirement) const {
  std::string got = value_.contains(key) ? json_excerpt(value_.at(key)) : std::string("nothing (missing)");
  throw Error(path(key) + " must be " + requirement + ", but got " + got);
}

const Json& JsonView::at(const std::string& key) const {
  if (!value_.contains(key)) throw Error(path(key) + " is required but missing");
  return value_.at(key);
}

int JsonView::get_int(const std::string& key) const {
  const Json& v = at(key);
  if (v.is_number_integer()) return v.get<int>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::abs(d) < 2e9) return static_cast<int>(d);
  }
  fail(key, "an integer");
}

int JsonView::get_int(const std::string& key, int fallback) const { return has(key) ? get_int(key) : fallback; }

double JsonView::get_double(const std::string& key) const {
  const Json& v = at(key);
  if (!v.is_number()) fail(key, "a number");
  return v.get<double>();
}

double JsonView::get_double(const std::string& key, double fallback) const {
  return has(key) ? get_double(key) : fallback;
}

bool JsonView::get_bool(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  const Json& v = at(key);
  if (!v.is_boolean()) fail(key, "true or false");
  return v.get<bool>();
}

std::string JsonView::get_string(const std::string& key) const {
  const Json& v = at(key);
  if (!v.is_string()) fail(key, "a string");
  return v.get<std::string>();
}

std::string JsonView::get_string(const std::string& key, const std::string& fallback) const {
  return has(key) ? get_string(key) : fallback;
}

std::vector<int> JsonView::get_int_list(const std::string& key) const {
  const Json& v = at(key);
  if (v.is_number_integer()) return {v.get<int>()};
  if (!v.is_array()) fail(key, "an integer or a list of integers");
  std::vector<int> out;
  for (const Json& e : v) {
    if (!e.is_number_integer()) fail(key, "a list of integers");
    out.push_back(e.get<int>());
  }
  return out;
}

std::vector<double> JsonView::get_double_list(const std::string& key) const {
  const Json& v = at(key);
  if (v.is_number()) return {v.get<double>()};
  if (!v.is_array()) fail(key, "a number or a list of numbers");
  std::vector<double> out;
  for (const Json& e : v) {
    if (!e.is_number()) fail(key, "a list of numbers");
    out.push_back(e.get<double>());
  }
  return out;
}

std::vector<std::string> JsonView::get_string_list(const std::string& key) const {
  const Json& v = at(key);
  if (v.is_string()) return {v.get<std::string>()};
  if (!v.is_array()) fail(key, "a string or a list of strings");
  std::vector<std::string> out;
  for (const Json& e : v) {
    if (!e.is_string()) fail(key, "a list of strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

JsonView JsonView::child(const std::string& key) const {
  const Json& v = at(key);
  if (!v.is_object()) fail(key, "an object");
  return JsonView(v, path(key));
}

std::vector<JsonView> JsonView::array(const std::string& key) const {
  const Json& v = at(key);
  if (!v.is_array()) fail(key, "a list");
  std::vector<JsonView> out;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string where = path(key) + "[" + std::to_string(i) + "]";
    if (!v[i].is_object()) throw Error(where + " must be an object, but got " + json_excerpt(v[i]));
    out.emplace_back(v[i], where);
  }
  return out;
}

void JsonView::check_keys(std::initializer_list<const char*> known) const {
  check_keys(std::vector<std::string>(known.begin(), known.end()));
}

void JsonView::check_keys(const std::vector<std::string>& known) const {
  for (auto it = value_.begin(); it != value_.end(); ++it) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      throw Error(path(it.key()) + " is not a known key (known: " + list + ")");
    }
  }
}

}  // namespace nasctl
