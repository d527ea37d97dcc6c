#include "nasctl/core/json.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"

namespace nasctl {

namespace {

/// Watches nlohmann's parse events to enforce what its parser does not: a depth limit and unique
/// keys. It also knows where the parser is ("stages[2].filters"), for messages.
class ParseWatch {
 public:
  explicit ParseWatch(const std::string& origin) : origin_(origin) {}

  bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (frames_.size() >= size_t(kMaxJsonDepth)) {
          throw Error(origin_ + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels (at " +
                      place() + ")");
        }
        frames_.push_back({event == Json::parse_event_t::object_start, 0, {}});
        break;
      case Json::parse_event_t::key:
        frames_.back().keys.push_back(parsed.get<std::string>());
        break;
      case Json::parse_event_t::object_end:
        check_unique_keys(parsed);
        close_frame();
        break;
      case Json::parse_event_t::array_end:
        close_frame();
        break;
      case Json::parse_event_t::value:
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().count;
        break;
    }
    return true;
  }

  /// Where the parser is: "top level", "stages[2].filters", ...
  std::string place() const { return place(frames_.size()); }

 private:
  // The place given by the outermost `levels` frames (each frame names the position inside it).
  std::string place(size_t levels) const {
    std::string out;
    constexpr size_t kShown = 12;  // a deep place is cut short: the first levels locate it
    for (size_t i = 0; i < levels && i < kShown; ++i) {
      const Frame& f = frames_[i];
      if (f.object && !f.keys.empty()) out += (out.empty() ? "" : ".") + f.keys.back();
      if (!f.object) out += "[" + std::to_string(f.count) + "]";
    }
    if (levels > kShown) out += "...";
    return out.empty() ? "top level" : out;
  }

  struct Frame {
    bool object;
    size_t count;                   // arrays: elements completed so far
    std::vector<std::string> keys;  // objects: keys in the order read
  };

  void close_frame() {
    frames_.pop_back();
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().count;
  }

  // nlohmann keeps the last of repeated keys; a repeated key is almost always a mistake.
  void check_unique_keys(const Json& object) const {
    const std::vector<std::string>& keys = frames_.back().keys;
    if (keys.size() == object.size()) return;
    std::vector<std::string> sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    auto twice = std::adjacent_find(sorted.begin(), sorted.end());
    std::string key = twice == sorted.end() ? std::string("?") : *twice;
    throw Error(origin_ + ": key \"" + key + "\" appears twice in one object (at " + place(frames_.size() - 1) + ")");
  }

  const std::string& origin_;
  std::vector<Frame> frames_;
};

}  // namespace

Json parse_json(const std::string& text, const std::string& origin) {
  ParseWatch watch(origin);
  try {
    return Json::parse(text, std::ref(watch));
  } catch (const Json::parse_error& e) {
    std::string what = e.what();
    // nlohmann's message starts with "[json.exception.parse_error.101] "; keep the human part.
    auto pos = what.find("] ");
    throw Error(origin + ": invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
  } catch (const Json::exception& e) {
    // 406: a number beyond a double's range ("1e999").
    std::string what = e.what();
    auto pos = what.find("] ");
    throw Error(origin + ": invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)) + " (at " +
                watch.place() + ")");
  }
}

Json load_json_file(const std::string& path) { return parse_json(read_file(path), path); }

namespace {

constexpr size_t kExcerptMax = 60;
constexpr int kExcerptDepth = 4;

// Renders `v` into `out`, stopping once `out` is long enough and a few levels down, so the
// rendering is bounded whatever the value.
void render_excerpt(const Json& v, int depth, std::string& out) {
  const auto plain = [&](const Json& j) { out += j.dump(-1, ' ', false, Json::error_handler_t::replace); };
  switch (v.type()) {
    case Json::value_t::object:
    case Json::value_t::array: {
      const bool object = v.is_object();
      if (depth >= kExcerptDepth && !v.empty()) {
        out += object ? "{...}" : "[...]";
        return;
      }
      out += object ? '{' : '[';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (out.size() > kExcerptMax) break;
        if (!first) out += ',';
        first = false;
        if (object) {
          plain(Json(it.key()));
          out += ':';
        }
        render_excerpt(it.value(), depth + 1, out);
      }
      out += object ? '}' : ']';
      return;
    }
    case Json::value_t::number_float: {
      double d = v.get<double>();
      if (std::isnan(d)) out += "nan";
      else if (std::isinf(d)) out += d > 0 ? "inf" : "-inf";
      else plain(v);
      return;
    }
    case Json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      plain(s.size() > kExcerptMax ? Json(s.substr(0, kExcerptMax)) : v);
      return;
    }
    default:
      plain(v);
  }
}

}  // namespace

std::string json_excerpt(const Json& value) {
  std::string text;
  render_excerpt(value, 0, text);
  if (text.size() > kExcerptMax) text = text.substr(0, kExcerptMax - 3) + "...";
  return text;
}

bool json_to_int(const Json& v, int* out) {
  constexpr double kMin = std::numeric_limits<int>::min(), kMax = std::numeric_limits<int>::max();
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > uint64_t(kMax)) return false;
    *out = int(u);
    return true;
  }
  if (v.is_number_integer()) {
    int64_t i = v.get<int64_t>();
    if (i < int64_t(kMin) || i > int64_t(kMax)) return false;
    *out = int(i);
    return true;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!(std::floor(d) == d && d >= kMin && d <= kMax)) return false;
    *out = int(d);
    return true;
  }
  return false;
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
  int out = 0;
  if (json_to_int(v, &out)) return out;
  if (v.is_number() && std::floor(v.get<double>()) == v.get<double>()) fail(key, "an integer in [-2147483648, 2147483647]");
  fail(key, "an integer");
}

int JsonView::get_int(const std::string& key, int fallback) const { return has(key) ? get_int(key) : fallback; }

int JsonView::get_int_in(const std::string& key, int min, int max) const {
  int value = get_int(key);
  if (value < min || value > max) fail(key, "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  return value;
}

int JsonView::get_int_in(const std::string& key, int min, int max, int fallback) const {
  return has(key) ? get_int_in(key, min, max) : fallback;
}

double JsonView::get_double_in(const std::string& key, double min, double max) const {
  double value = get_double(key);
  if (!(value >= min && value <= max)) fail(key, "a number in [" + json_excerpt(min) + ", " + json_excerpt(max) + "]");
  return value;
}

double JsonView::get_double_in(const std::string& key, double min, double max, double fallback) const {
  return has(key) ? get_double_in(key, min, max) : fallback;
}

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
  int one = 0;
  if (v.is_number_integer() && json_to_int(v, &one)) return {one};
  if (!v.is_array()) fail(key, "an integer or a list of integers in [-2147483648, 2147483647]");
  std::vector<int> out;
  for (const Json& e : v) {
    if (!e.is_number_integer() || !json_to_int(e, &one)) fail(key, "a list of integers in [-2147483648, 2147483647]");
    out.push_back(one);
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

std::vector<std::string> JsonView::get_strict_string_list(const std::string& key) const {
  if (!at(key).is_array()) fail(key, "a list of strings");
  return get_string_list(key);
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
