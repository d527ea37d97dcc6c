#pragma once
/// Reading JSON with errors that name the file, the key and the bad value.

#include <nlohmann/json.hpp>

#include <initializer_list>
#include <string>
#include <vector>

namespace nasctl {

using Json = nlohmann::ordered_json;  // keeps keys in the order written

/// The deepest nesting of arrays and objects any nasctl JSON reader accepts. nasctl's own formats
/// need at most 6 levels; a limit keeps every later walk over a parsed value shallow.
constexpr int kMaxJsonDepth = 64;

/// Parses `path` as JSON; a missing file or a syntax error throws Error naming the file.
Json load_json_file(const std::string& path);

/// Parses `text` as JSON; `origin` names where it came from in error messages. Rejects, with an
/// Error naming `origin` and the place: syntax errors, numbers beyond a double's range (1e999),
/// nesting deeper than kMaxJsonDepth and a key written twice in one object.
Json parse_json(const std::string& text, const std::string& origin);

/// A read-only view of a JSON object that knows where it sits ("tiny.json: stages[2]"), so every
/// error can say "tiny.json: stages[2].filters must be > 0, but got -3".
class JsonView {
 public:
  JsonView(const Json& value, std::string where);

  const Json& raw() const { return value_; }
  const std::string& where() const { return where_; }
  bool has(const std::string& key) const;

  /// "where.key", the name used in messages.
  std::string path(const std::string& key) const;

  /// An integer (an integral float such as 3.0 is accepted) within int's range; anything else
  /// fails naming the key and the value as written.
  int get_int(const std::string& key) const;
  int get_int(const std::string& key, int fallback) const;
  /// An integer in [min, max]; a missing key with fallback given returns the fallback unchecked.
  int get_int_in(const std::string& key, int min, int max) const;
  int get_int_in(const std::string& key, int min, int max, int fallback) const;
  double get_double(const std::string& key) const;
  double get_double(const std::string& key, double fallback) const;
  /// A number in [min, max].
  double get_double_in(const std::string& key, double min, double max) const;
  double get_double_in(const std::string& key, double min, double max, double fallback) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::string get_string(const std::string& key) const;
  std::string get_string(const std::string& key, const std::string& fallback) const;
  std::vector<int> get_int_list(const std::string& key) const;
  std::vector<double> get_double_list(const std::string& key) const;
  std::vector<std::string> get_string_list(const std::string& key) const;
  /// Like get_string_list, but a single string is refused: the key must hold a list.
  std::vector<std::string> get_strict_string_list(const std::string& key) const;

  /// The object under `key` (must be an object).
  JsonView child(const std::string& key) const;
  /// The elements of the array under `key`, each with its index in `where`.
  std::vector<JsonView> array(const std::string& key) const;

  /// Throws naming the first key of this object that is not in `known`.
  void check_keys(std::initializer_list<const char*> known) const;
  void check_keys(const std::vector<std::string>& known) const;

  /// Throws "where.key must be <requirement>, but got <value>".
  [[noreturn]] void fail(const std::string& key, const std::string& requirement) const;

 private:
  const Json& at(const std::string& key) const;

  const Json& value_;
  std::string where_;
};

/// A JSON value rendered compactly for an error message: at most about 60 characters, nested
/// values cut off a few levels down, so that any value (however deep or large) renders in bounded
/// time and stack. Non-finite numbers render as nan / inf rather than JSON's null.
std::string json_excerpt(const Json& value);

/// Converts a JSON number to an int when it is integral and within int's range.
bool json_to_int(const Json& value, int* out);

}  // namespace nasctl
