#pragma once
/// OptionSchema<T>: one table per options struct. Each row names a JSON key, the command-line flag,
/// the member, its checks and its help text; from the table come reading a config (unknown keys
/// rejected with the list of known ones), writing it back (a run's config.json), the flag patch of
/// the command line (src/cli/option_flags.h binds the rows to CLI11), the defaults shown in --help
/// and validation. Errors name both the key and the flag:
///   search.target_ms (--target-ms) must be > 0, but got -1
/// No LibTorch and no CLI11 here.
///
/// A row is one line:
///   schema.add("steps", &SearchOptions::steps).flag("--steps").help("Search steps").check("> 0", positive);
///   schema.add("supernet.lr", &SearchOptions::supernet, &SupernetOptions::lr).flag("--lr");
/// Value types: int, int64_t, uint64_t (seeds), double, bool, std::string, std::vector<double>
/// (a JSON list or a comma-separated flag), enums (enum_codec) and any type with its own codec.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nasctl/core/configs.h"
#include "nasctl/core/error.h"
#include "nasctl/core/json.h"

namespace nasctl {

/// How values of one type read from JSON, write to JSON and parse from a flag's text.
template <typename V>
struct OptionCodec {
  /// What a valid flag text is, for errors ("an integer", "one of sgd, rmsprop, adamw").
  std::string requirement;
  /// The placeholder in --help ("INT", "NUMBER", "TEXT", "sgd|rmsprop|adamw").
  std::string metavar;
  /// Reads `key` of `view` into `value` (the key is present and not null); throws Error naming
  /// view.path(key).
  std::function<void(const JsonView& view, const std::string& key, V& value)> read;
  std::function<Json(const V& value)> write;
  /// A flag's text as the JSON value `read` accepts; nullopt when the text is not one.
  std::function<std::optional<Json>(const std::string& text)> parse;
};

/// The codec of the plain value types (int, int64_t, uint64_t, double, bool, std::string,
/// std::vector<double>).
template <typename V>
OptionCodec<V> default_codec();
template <> OptionCodec<int> default_codec<int>();
template <> OptionCodec<int64_t> default_codec<int64_t>();
template <> OptionCodec<uint64_t> default_codec<uint64_t>();
template <> OptionCodec<double> default_codec<double>();
template <> OptionCodec<bool> default_codec<bool>();
template <> OptionCodec<std::string> default_codec<std::string>();
template <> OptionCodec<std::vector<double>> default_codec<std::vector<double>>();

/// A double that may be unset: NaN is written as null, and null reads as "keep the value".
OptionCodec<double> nullable_double_codec();

/// A JSON object kept as JSON (e.g. a section another module reads); a config's object is merged
/// key by key into the value, after `check(view)` accepts it.
OptionCodec<Json> json_object_codec(std::function<void(const JsonView&)> check);

/// An enum named by strings: `names` in the order --help lists them.
template <typename E>
OptionCodec<E> enum_codec(std::vector<std::pair<std::string, E>> names);

/// "a, b, c" of the names of an enum codec's table.
std::string join_names(const std::vector<std::string>& names, const std::string& separator = ", ");

/// Type-independent part of a row, what the schema and the flag binding need.
template <typename T>
class OptionRowBase {
 public:
  virtual ~OptionRowBase() = default;
  const std::string& key() const { return key_; }            ///< dotted JSON path: "supernet.lr"
  const std::string& flag() const { return flag_; }          ///< "--lr"; "" = no flag
  const std::string& flag_names() const { return names_; }   ///< CLI11 names ("--x,!--no-x" for switches)
  const std::string& help() const { return help_; }
  bool is_switch() const { return switch_; }                 ///< a flag without a value (true/false)
  bool bound_elsewhere() const { return elsewhere_; }        ///< the flag is another row's or the root's
  bool may_change_on_resume() const { return resume_free_; }
  bool flag_only() const { return flag_only_; }              ///< only a flag: no member, no own JSON key
  /// Not written when its value is an empty string or list, or when omit_if says so.
  bool omitted(const T& options, const Json& value) const {
    if (omit_empty_ && ((value.is_string() && value.get<std::string>().empty()) || (value.is_array() && value.empty())))
      return true;
    return omit_if_ && omit_if_(options);
  }
  bool write_only() const { return write_only_; }             ///< written, never read

  virtual void read(const JsonView& parent, const std::string& leaf, T& options) const = 0;
  virtual Json write(const T& options) const = 0;
  /// The flag's text as JSON; throws Error "<label> must be <requirement>, but got "<text>"".
  virtual Json parse_flag(const std::string& text, const std::string& label) const = 0;
  /// "" when `options` passes this row's checks, else "must be <requirement>, but got <value>".
  virtual std::string problem(const T& options) const = 0;
  virtual std::string metavar() const = 0;

 protected:
  std::string key_, flag_, names_, help_;
  bool switch_ = false, elsewhere_ = false, resume_free_ = false, flag_only_ = false, omit_empty_ = false,
       write_only_ = false;
  std::function<bool(const T&)> omit_if_;
};

/// One row: a member of T (reached by `access`) and its codec, checks and flag.
template <typename T, typename V>
class OptionRow : public OptionRowBase<T> {
 public:
  using Access = std::function<V&(T&)>;
  /// Requirement when `value` (in `options`) is bad, "" when it is fine.
  using Check = std::function<std::string(const V& value, const T& options)>;

  OptionRow(std::string key, Access access, OptionCodec<V> codec) : access_(std::move(access)), codec_(std::move(codec)) {
    this->key_ = std::move(key);
  }

  /// The command-line flag taking a value ("--target-ms").
  OptionRow& flag(std::string name) {
    this->flag_ = name;
    this->names_ = std::move(name);
    return *this;
  }
  /// A flag without a value: `names` in CLI11 form ("--edgetpu-only,!--no-edgetpu-only"); the
  /// patch holds true, or false for a "!" name. The codec must read true/false.
  OptionRow& switch_flag(std::string names) {
    this->names_ = names;
    this->flag_ = names.substr(0, names.find(','));
    this->switch_ = true;
    return *this;
  }
  /// A flag named in errors but bound elsewhere: the root command's (the global --seed) or
  /// another row's (--target-ms sets targets_ms, whose reading may set target_ms).
  OptionRow& bound_elsewhere(std::string name) {
    flag(std::move(name));
    this->elsewhere_ = true;
    return *this;
  }
  OptionRow& help(std::string text) {
    this->help_ = std::move(text);
    return *this;
  }
  /// Fails with "must be <requirement>" unless ok(value).
  OptionRow& check(std::string requirement, std::function<bool(const V&)> ok) {
    checks_.push_back([requirement, ok](const V& v, const T&) { return ok(v) ? std::string() : requirement; });
    return *this;
  }
  /// A check that needs the other members (returns the requirement when bad, "" when fine).
  OptionRow& check(Check check) {
    checks_.push_back(std::move(check));
    return *this;
  }
  /// A resumed run may differ in this value (it does not change what the run computes).
  OptionRow& may_change_on_resume() {
    this->resume_free_ = true;
    return *this;
  }
  /// Written only when not empty (a string or a list).
  OptionRow& omit_when_empty() {
    this->omit_empty_ = true;
    return *this;
  }
  /// Not written when `omit(options)` (another member makes it moot).
  OptionRow& omit_if(std::function<bool(const T&)> omit) {
    this->omit_if_ = std::move(omit);
    return *this;
  }
  /// Written to JSON but never read from it (a reader keeps its own value; the key is accepted).
  OptionRow& write_only() {
    this->write_only_ = true;
    return *this;
  }
  /// Runs after a config or flag sets this value (e.g. a reward resets its beta).
  OptionRow& after_read(std::function<void(T&)> hook) {
    after_read_ = std::move(hook);
    return *this;
  }
  /// How the value shows in a validation error; default: its JSON.
  OptionRow& show(std::function<std::string(const V&)> render) {
    show_ = std::move(render);
    return *this;
  }
  /// Marks a row that only builds the flag patch at `key` (another row reads it).
  OptionRow& only_flag() {
    this->flag_only_ = true;
    return *this;
  }

  void read(const JsonView& parent, const std::string& leaf, T& options) const override {
    codec_.read(parent, leaf, access_(options));
    if (after_read_) after_read_(options);
  }
  Json write(const T& options) const override { return codec_.write(get(options)); }
  Json parse_flag(const std::string& text, const std::string& label) const override {
    std::optional<Json> value = codec_.parse ? codec_.parse(text) : std::nullopt;
    if (!value) throw Error(label + " must be " + codec_.requirement + ", but got " + json_excerpt(Json(text)));
    return *value;
  }
  std::string problem(const T& options) const override {
    const V& value = get(options);
    for (const Check& c : checks_) {
      std::string requirement = c(value, options);
      if (!requirement.empty()) {
        return "must be " + requirement + ", but got " + (show_ ? show_(value) : json_excerpt(codec_.write(value)));
      }
    }
    return "";
  }
  std::string metavar() const override { return codec_.metavar; }

 private:
  const V& get(const T& options) const { return access_(const_cast<T&>(options)); }

  Access access_;
  OptionCodec<V> codec_;
  std::vector<Check> checks_;
  std::function<void(T&)> after_read_;
  std::function<std::string(const V&)> show_;
};

/// The table of one options struct. `name` prefixes keys in validation errors ("search").
template <typename T>
class OptionSchema {
 public:
  using Row = OptionRowBase<T>;

  explicit OptionSchema(std::string name, std::vector<std::string> ignored_keys = {"description"})
      : name_(std::move(name)), ignored_(std::move(ignored_keys)) {}

  /// A top-level member.
  template <typename V>
  OptionRow<T, V>& add(std::string key, V T::*member, OptionCodec<V> codec = default_codec<V>()) {
    return emplace<V>(std::move(key), [member](T& o) -> V& { return o.*member; }, std::move(codec));
  }
  /// A member of a nested section (`key` "section.leaf").
  template <typename S, typename V>
  OptionRow<T, V>& add(std::string key, S T::*section, V S::*member, OptionCodec<V> codec = default_codec<V>()) {
    return emplace<V>(std::move(key), [section, member](T& o) -> V& { return (o.*section).*member; },
                      std::move(codec));
  }
  /// A flag that sets `key` inside a JSON-valued row (e.g. --augment -> transform.augment).
  template <typename V>
  OptionRow<T, V>& add_flag_only(std::string key, OptionCodec<V> codec) {
    auto row = std::make_unique<OptionRow<T, V>>(
        std::move(key), [](T&) -> V& { throw Error("internal: a flag-only option has no member"); }, std::move(codec));
    row->only_flag();
    OptionRow<T, V>& ref = *row;
    rows_.push_back(std::move(row));
    return ref;
  }
  /// Keys of which at most one is set: a flag patch that names one resets the others (e.g. the
  /// network of a recipe: model, graph, arch).
  void one_of(std::vector<std::string> keys) { groups_.push_back(std::move(keys)); }

  const std::string& name() const { return name_; }
  const std::vector<std::unique_ptr<Row>>& rows() const { return rows_; }
  const Row* find(const std::string& key) const {
    for (const auto& row : rows_)
      if (!row->flag_only() && row->key() == key) return row.get();
    return nullptr;
  }
  /// "search.target_ms (--target-ms)": how errors name a row.
  std::string label(const Row& row) const {
    return name_ + "." + row.key() + (row.flag().empty() ? "" : " (" + row.flag() + ")");
  }

  /// Reads a config: keys absent in `json` keep the values of `base`. Unknown keys (unless
  /// `check_keys` is false: the object holds other keys too), wrong types and bad values throw Error
  /// naming `origin` and the key. Values are not validated here.
  T read(const Json& json, const std::string& origin, T base = T(), bool check_keys = true) const;
  /// Every key (nested sections as objects), in table order: the form of config.json.
  Json write(const T& options) const;
  /// Throws Error "<name>.<key> (<flag>) must be <requirement>, but got <value>" for the first
  /// row whose checks fail.
  void validate(const T& options) const;
  /// Adds to a flag patch the resets its one_of groups imply.
  Json complete_patch(Json patch) const;

 private:
  template <typename V>
  OptionRow<T, V>& emplace(std::string key, typename OptionRow<T, V>::Access access, OptionCodec<V> codec) {
    auto row = std::make_unique<OptionRow<T, V>>(std::move(key), std::move(access), std::move(codec));
    OptionRow<T, V>& ref = *row;
    rows_.push_back(std::move(row));
    return ref;
  }
  std::vector<std::string> keys() const;

  std::string name_;
  std::vector<std::string> ignored_;
  std::vector<std::unique_ptr<Row>> rows_;
  std::vector<std::vector<std::string>> groups_;
};

// --- Helpers for the templates (src/core/option_schema.cpp) -------------------------------------

namespace option_detail {
/// Checks, for `json` and every section in it, that each key is a known one (the keys' prefixes
/// name the sections); throws "<origin>: <path> is not a known key (known: ...)".
void check_known_keys(const JsonView& view, const std::vector<std::string>& keys, const std::string& prefix,
                      const std::vector<std::string>& ignored);
/// The view of the section holding dotted `key` ("a.b.leaf" -> a.b), or nullopt when a section is
/// absent. `leaf` receives the last part.
std::optional<JsonView> section_of(const JsonView& root, const std::string& key, std::string* leaf);
/// Sets dotted `key` of `json` (creating sections).
void set_path(Json& json, const std::string& key, Json value);
/// The value at dotted `key`, or nullptr when absent.
const Json* get_path(const Json& json, const std::string& key);
}  // namespace option_detail

template <typename T>
std::vector<std::string> OptionSchema<T>::keys() const {
  std::vector<std::string> out;
  for (const auto& row : rows_)
    if (!row->flag_only()) out.push_back(row->key());
  return out;
}

template <typename T>
T OptionSchema<T>::read(const Json& json, const std::string& origin, T base, bool check_keys) const {
  JsonView root(json, origin);
  if (check_keys) option_detail::check_known_keys(root, keys(), "", ignored_);
  for (const auto& row : rows_) {
    if (row->flag_only() || row->write_only()) continue;
    std::string leaf;
    std::optional<JsonView> section = option_detail::section_of(root, row->key(), &leaf);
    if (section && section->has(leaf)) row->read(*section, leaf, base);
  }
  return base;
}

template <typename T>
Json OptionSchema<T>::write(const T& options) const {
  Json out = Json::object();
  for (const auto& row : rows_) {
    if (row->flag_only()) continue;
    Json value = row->write(options);
    if (row->omitted(options, value)) continue;
    option_detail::set_path(out, row->key(), std::move(value));
  }
  return out;
}

template <typename T>
void OptionSchema<T>::validate(const T& options) const {
  for (const auto& row : rows_) {
    if (row->flag_only()) continue;
    std::string problem = row->problem(options);
    if (!problem.empty()) throw Error(label(*row) + " " + problem);
  }
}

template <typename T>
Json OptionSchema<T>::complete_patch(Json patch) const {
  for (const auto& group : groups_) {
    bool named = false;
    for (const std::string& key : group) named = named || option_detail::get_path(patch, key) != nullptr;
    if (!named) continue;
    for (const std::string& key : group) {
      if (option_detail::get_path(patch, key) == nullptr) option_detail::set_path(patch, key, find(key)->write(T()));
    }
  }
  return patch;
}

template <typename E>
OptionCodec<E> enum_codec(std::vector<std::pair<std::string, E>> names) {
  std::vector<std::string> list;
  for (const auto& n : names) list.push_back(n.first);
  OptionCodec<E> c;
  c.requirement = "one of " + join_names(list);
  c.metavar = join_names(list, "|");
  c.read = [names, requirement = c.requirement](const JsonView& view, const std::string& key, E& value) {
    std::string text = view.get_string(key);
    for (const auto& n : names) {
      if (n.first == text) {
        value = n.second;
        return;
      }
    }
    view.fail(key, requirement);
  };
  c.write = [names](const E& value) {
    for (const auto& n : names)
      if (n.second == value) return Json(n.first);
    return Json("?");
  };
  c.parse = [names](const std::string& text) -> std::optional<Json> {
    for (const auto& n : names)
      if (n.first == text) return Json(text);
    return std::nullopt;
  };
  return c;
}

/// How --resume treats flags that would change the run's saved options.
enum class ResumeChanges {
  kRefuse,  ///< an error naming the key (rows marked may_change_on_resume excepted); --config refused
  kAllow,   ///< allowed (the caller warns); --config, when given, replaces the run's config
};

/// Where one run's options come from, lowest layer first: the struct's defaults, a config (a file
/// or a built-in name), or on --resume the run's own saved options; then the flags.
struct OptionLayers {
  std::string kind;             ///< configs/<kind>/ holds the built-in configs ("search", "train")
  std::string config;           ///< --config FILE|NAME; "" = the struct's defaults
  bool config_given = false;    ///< --config was on the command line
  Json flags = Json::object();  ///< the flags given, as a patch (src/cli/option_flags.h)
  bool resume = false;          ///< --resume: continue the run in the flags' "out"
  /// Reads a run's saved options (JSON of the schema's shape) from its folder; sets `origin` to
  /// the file. Used on --resume.
  std::function<Json(const std::string& run_dir, std::string* origin)> load_run;
  ResumeChanges changes = ResumeChanges::kRefuse;
};

/// The options of a run: the layers of `layers` read through `schema` (not yet validated).
template <typename T>
T layer_options(const OptionSchema<T>& schema, const OptionLayers& layers);

namespace option_detail {
/// The run folder a --resume continues (the patch's "out"); throws when there is none.
std::string resume_dir(const Json& patch);
/// Throws when `before` and `after` (written by a schema) differ in a row that may not change.
[[noreturn]] void refuse_change(const std::string& origin, const std::string& label, const Json& before,
                                const Json& after);
}  // namespace option_detail

template <typename T>
T layer_options(const OptionSchema<T>& schema, const OptionLayers& layers) {
  const Json patch = schema.complete_patch(layers.flags);
  std::string origin;
  T base;
  if (layers.resume && (layers.changes == ResumeChanges::kRefuse || !layers.config_given)) {
    if (layers.config_given) throw Error("--resume continues with the run's own config; drop --config");
    base = schema.read(layers.load_run(option_detail::resume_dir(patch), &origin), origin);
  } else if (!layers.config.empty()) {
    base = schema.read(load_config(layers.kind, layers.config, &origin), origin);
  }
  T options = schema.read(patch, "command line", base);
  if (layers.resume && layers.changes == ResumeChanges::kRefuse) {
    for (const auto& row : schema.rows()) {
      if (row->flag_only() || row->may_change_on_resume()) continue;
      Json before = row->write(base), after = row->write(options);
      if (before != after) option_detail::refuse_change(origin, schema.label(*row), before, after);
    }
  }
  return options;
}

}  // namespace nasctl
