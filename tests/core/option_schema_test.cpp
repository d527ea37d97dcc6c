// OptionSchema: one table gives reading, writing, flag parsing, validation and the layering of
// config, run config and flags; every error names the key and the flag.

#include "nasctl/core/option_schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "nasctl/core/files.h"
#include "support.h"

namespace nasctl {
namespace {

enum class Mode { kFast, kSlow };

struct Inner {
  double rate = 0.5;
  Mode mode = Mode::kFast;
};

struct Opts {
  std::string name = "x";
  int count = 3;
  double scale = 1.0;
  bool on = true;
  uint64_t seed = 0;
  std::vector<double> targets = {1.0};
  std::string left, right;
  double beta = std::numeric_limits<double>::quiet_NaN();
  Inner inner;
};

// The targets of a multi-target run: a comma list, kept sorted, duplicates refused.
OptionCodec<std::vector<double>> sorted_list_codec() {
  OptionCodec<std::vector<double>> c = default_codec<std::vector<double>>();
  auto read = c.read;
  c.read = [read](const JsonView& view, const std::string& key, std::vector<double>& value) {
    read(view, key, value);
    std::sort(value.begin(), value.end());
  };
  return c;
}

const OptionSchema<Opts>& schema() {
  static const OptionSchema<Opts> s = [] {
    OptionSchema<Opts> s("t");
    s.add("name", &Opts::name).flag("--name").help("A name").check("not empty", [](const std::string& v) {
      return !v.empty();
    });
    s.add("count", &Opts::count).flag("--count").help("How many").check("> 0", [](int v) { return v > 0; });
    s.add("scale", &Opts::scale).flag("--scale").check([](const double& v, const Opts& o) {
      return v <= o.count ? std::string() : "at most count (" + std::to_string(o.count) + ")";
    });
    s.add("on", &Opts::on).switch_flag("--on,!--off");
    s.add("seed", &Opts::seed).bound_elsewhere("--seed");
    s.add("targets", &Opts::targets, sorted_list_codec()).flag("--targets").may_change_on_resume()
        .check("without duplicates", [](const std::vector<double>& v) {
          return std::adjacent_find(v.begin(), v.end()) == v.end();
        });
    s.add("left", &Opts::left).flag("--left").omit_when_empty();
    s.add("right", &Opts::right).flag("--right").omit_when_empty();
    s.one_of({"left", "right"});
    s.add("inner.mode", &Opts::inner, &Inner::mode, enum_codec<Mode>({{"fast", Mode::kFast}, {"slow", Mode::kSlow}}))
        .flag("--mode")
        .after_read([](Opts& o) { o.beta = std::numeric_limits<double>::quiet_NaN(); });
    s.add("inner.rate", &Opts::inner, &Inner::rate).flag("--rate").check("in [0, 1]", [](double v) {
      return v >= 0 && v <= 1;
    });
    s.add("beta", &Opts::beta, nullable_double_codec());
    return s;
  }();
  return s;
}

Json parse(const char* text) { return parse_json(text, "test"); }

TEST(OptionSchema, ReadsNestedKeysAndKeepsTheRest) {
  Opts o = schema().read(parse(R"({"description": "ignored", "count": 7, "inner": {"mode": "slow"},
                                   "seed": 18446744073709551615, "targets": [0.8, 0.6]})"),
                         "cfg.json");
  EXPECT_EQ(o.count, 7);
  EXPECT_EQ(o.inner.mode, Mode::kSlow);
  EXPECT_DOUBLE_EQ(o.inner.rate, 0.5);  // absent: the default
  EXPECT_EQ(o.name, "x");
  EXPECT_EQ(o.seed, std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(o.targets, (std::vector<double>{0.6, 0.8}));
}

TEST(OptionSchema, UnknownKeysAndBadTypesNameTheFileAndKey) {
  EXPECT_THROW_MSG(schema().read(parse(R"({"cuont": 1})"), "cfg.json"),
                   "cfg.json: cuont is not a known key (known: description, name, count, scale, on, seed, targets, "
                   "left, right, inner, beta)");
  EXPECT_THROW_MSG(schema().read(parse(R"({"inner": {"rat": 1}})"), "cfg.json"),
                   "cfg.json: inner.rat is not a known key (known: mode, rate)");
  EXPECT_THROW_MSG(schema().read(parse(R"({"count": "many"})"), "cfg.json"), "cfg.json: count must be an integer");
  EXPECT_THROW_MSG(schema().read(parse(R"({"count": 3000000000})"), "cfg.json"), "cfg.json: count must be an integer");
  EXPECT_THROW_MSG(schema().read(parse(R"({"seed": -1})"), "cfg.json"), "cfg.json: seed must be an integer >= 0");
  EXPECT_THROW_MSG(schema().read(parse(R"({"inner": {"mode": "medium"}})"), "cfg.json"),
                   "cfg.json: inner.mode must be one of fast, slow, but got \"medium\"");
  EXPECT_THROW_MSG(schema().read(parse(R"({"inner": 3})"), "cfg.json"), "cfg.json: inner must be an object");
}

TEST(OptionSchema, WritesEveryKeyAndReadsItBack) {
  Opts o;
  o.count = 9;
  o.inner.mode = Mode::kSlow;
  o.seed = std::numeric_limits<uint64_t>::max();
  Json json = schema().write(o);
  EXPECT_EQ(json.dump(), R"({"name":"x","count":9,"scale":1.0,"on":true,"seed":18446744073709551615,)"
                         R"("targets":[1.0],"inner":{"mode":"slow","rate":0.5},"beta":null})");
  EXPECT_EQ(schema().write(schema().read(json, "config.json")), json);
  o.left = "l";
  EXPECT_EQ(schema().write(o)["left"], "l");
}

TEST(OptionSchema, ValidationNamesKeyFlagRequirementAndValue) {
  Opts o;
  EXPECT_NO_THROW(schema().validate(o));
  o.count = -1;
  EXPECT_THROW_MSG(schema().validate(o), "t.count (--count) must be > 0, but got -1");
  o = Opts();
  o.scale = 5;  // a check that reads another member
  EXPECT_THROW_MSG(schema().validate(o), "t.scale (--scale) must be at most count (3), but got 5.0");
  o = Opts();
  o.inner.rate = 2;
  EXPECT_THROW_MSG(schema().validate(o), "t.inner.rate (--rate) must be in [0, 1], but got 2.0");
  o = Opts();
  o.targets = {0.6, 0.6};
  EXPECT_THROW_MSG(schema().validate(o), "t.targets (--targets) must be without duplicates, but got [0.6,0.6]");
}

TEST(OptionSchema, FlagTextParsesPerTypeOrNamesKeyAndFlag) {
  auto flag = [](const std::string& key, const std::string& text) {
    for (const auto& row : schema().rows())
      if (row->key() == key) return row->parse_flag(text, schema().label(*row));
    throw std::logic_error("no row " + key);
  };
  EXPECT_EQ(flag("count", "12"), Json(12));
  EXPECT_EQ(flag("targets", "0.8, 0.6,0.7"), parse("[0.8, 0.6, 0.7]"));
  EXPECT_EQ(flag("inner.mode", "slow"), Json("slow"));
  EXPECT_THROW_MSG(flag("count", "12x"), "t.count (--count) must be an integer, but got \"12x\"");
  EXPECT_THROW_MSG(flag("count", "3000000000"), "t.count (--count) must be an integer");
  EXPECT_THROW_MSG(flag("targets", "0.6,,0.7"), "t.targets (--targets) must be a comma-separated list of numbers");
  EXPECT_THROW_MSG(flag("inner.mode", "medium"),
                   "t.inner.mode (--mode) must be one of fast, slow, but got \"medium\"");
  EXPECT_THROW_MSG(flag("seed", "-3"), "t.seed (--seed) must be an integer >= 0, but got \"-3\"");
}

TEST(OptionSchema, HooksAndGroups) {
  Opts o;
  o.beta = -0.5;
  o = schema().read(parse(R"({"inner": {"mode": "slow"}})"), "p", o);
  EXPECT_TRUE(std::isnan(o.beta));  // the mode's hook reset it
  o = schema().read(parse(R"({"inner": {"mode": "slow"}, "beta": -0.25})"), "p", o);
  EXPECT_DOUBLE_EQ(o.beta, -0.25);  // read after the mode
  EXPECT_EQ(schema().complete_patch(parse(R"({"right": "r"})")), parse(R"({"right": "r", "left": ""})"));
  EXPECT_EQ(schema().complete_patch(parse(R"({"count": 2})")), parse(R"({"count": 2})"));
}

class OptionLayersTest : public ::testing::Test {
 protected:
  testing::TempDir dir_;

  OptionLayers layers(const char* flags, bool resume = false) {
    OptionLayers l;
    l.kind = "test-nothing-built-in";
    l.flags = parse(flags);
    l.resume = resume;
    l.load_run = [this](const std::string& run_dir, std::string* origin) {
      *origin = run_dir + "/config.json";
      return load_json_file(*origin);
    };
    return l;
  }
};

TEST_F(OptionLayersTest, ConfigThenFlags) {
  write_file_atomic(dir_.file("cfg.json"), R"({"count": 5, "scale": 2})");
  OptionLayers l = layers(R"({"count": 6})");
  l.config = dir_.file("cfg.json");
  Opts o = layer_options(schema(), l);
  EXPECT_EQ(o.count, 6);           // the flag wins
  EXPECT_DOUBLE_EQ(o.scale, 2.0);  // the file
  EXPECT_EQ(layer_options(schema(), layers(R"({})")).count, 3);  // no config: the defaults
}

// A schema with an "out" key, as the search and train options have.
struct RunOpts {
  std::string out;
  int steps = 10;
  int workers = 1;
};

const OptionSchema<RunOpts>& run_schema() {
  static const OptionSchema<RunOpts> s = [] {
    OptionSchema<RunOpts> s("run");
    s.add("out", &RunOpts::out).flag("--out").may_change_on_resume();
    s.add("steps", &RunOpts::steps).flag("--steps");
    s.add("workers", &RunOpts::workers).flag("--workers").may_change_on_resume();
    return s;
  }();
  return s;
}

TEST_F(OptionLayersTest, ResumeKeepsTheRunsConfig) {
  RunOpts saved;
  saved.out = dir_.file("run");
  saved.steps = 50;
  std::filesystem::create_directories(dir_.file("run"));
  write_file_atomic(dir_.file("run/config.json"), run_schema().write(saved).dump());
  write_file_atomic(dir_.file("other.json"), R"({"steps": 70})");
  auto resume = [&](Json flags) {
    OptionLayers l = layers("{}", true);
    l.flags = std::move(flags);
    l.flags["out"] = dir_.file("run");
    return l;
  };
  RunOpts o = layer_options(run_schema(), resume(parse(R"({"workers": 4})")));
  EXPECT_EQ(o.steps, 50);   // the run's
  EXPECT_EQ(o.workers, 4);  // may change
  EXPECT_THROW_MSG(layer_options(run_schema(), resume(parse(R"({"steps": 60})"))),
                   "--resume continues with the run's own config (" + dir_.file("run/config.json") +
                       "): run.steps (--steps) would change from 50 to 60; drop the flag");
  OptionLayers with_config = resume(Json::object());
  with_config.config = dir_.file("other.json");
  with_config.config_given = true;
  EXPECT_THROW_MSG(layer_options(run_schema(), with_config), "drop --config");
  // Where changes are allowed, a resumed run takes --config, else its own config, and the flags.
  with_config.changes = ResumeChanges::kAllow;
  EXPECT_EQ(layer_options(run_schema(), with_config).steps, 70);
  OptionLayers allowed = resume(parse(R"({"steps": 60})"));
  allowed.changes = ResumeChanges::kAllow;
  EXPECT_EQ(layer_options(run_schema(), allowed).steps, 60);
  OptionLayers nowhere = layers("{}", true);
  EXPECT_THROW_MSG(layer_options(run_schema(), nowhere), "--resume needs --out RUN_DIR: the run to continue");
}

}  // namespace
}  // namespace nasctl
