#include "nasctl/search/options.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/limits.h"
#include "nasctl/core/option_schema.h"

namespace nasctl::search {
namespace {

const std::vector<std::pair<std::string, Schedule>> kSchedules = {
    {"constant", Schedule::kConstant}, {"cosine", Schedule::kCosine}, {"linear", Schedule::kLinear}};

// "auto" / "on" / "off", or true / false (the --edgetpu-only / --no-edgetpu-only switch).
OptionCodec<EdgeTpuOnly> edgetpu_only_codec() {
  OptionCodec<EdgeTpuOnly> c = enum_codec<EdgeTpuOnly>(
      {{"auto", EdgeTpuOnly::kAuto}, {"on", EdgeTpuOnly::kOn}, {"off", EdgeTpuOnly::kOff}});
  c.read = [](const JsonView& view, const std::string& key, EdgeTpuOnly& value) {
    const Json& v = view.raw().at(key);
    std::string name = v.is_string() ? v.get<std::string>() : "";
    if (v.is_boolean()) {
      value = v.get<bool>() ? EdgeTpuOnly::kOn : EdgeTpuOnly::kOff;
    } else if (name == "auto" || name == "on" || name == "off") {
      value = name == "auto" ? EdgeTpuOnly::kAuto : name == "on" ? EdgeTpuOnly::kOn : EdgeTpuOnly::kOff;
    } else {
      view.fail(key, "one of \"auto\", \"on\", \"off\" (or true / false)");
    }
  };
  return c;
}

bool positive(double v) { return std::isfinite(v) && v > 0; }
bool unit_open(double v) { return v >= 0 && v < 1; }  // [0, 1)
bool unit_closed(double v) { return v >= 0 && v <= 1; }

// targets_ms: positive finite numbers, kept ascending; a target given twice is an error, and so is
// a config that gives target_ms too.
OptionCodec<std::vector<double>> targets_codec() {
  OptionCodec<std::vector<double>> c = default_codec<std::vector<double>>();
  c.read = [](const JsonView& view, const std::string& key, std::vector<double>& value) {
    if (view.has("target_ms")) {
      throw Error(view.where() + ": give target_ms (one target) or targets_ms (several), not both");
    }
    std::vector<double> targets = view.get_double_list(key);
    if (targets.empty()) view.fail(key, "a non-empty list of target latencies in ms");
    if (!std::all_of(targets.begin(), targets.end(), positive)) view.fail(key, "a list of latencies > 0 in ms");
    std::sort(targets.begin(), targets.end());
    auto twice = std::adjacent_find(targets.begin(), targets.end());
    if (twice != targets.end()) {
      throw Error(view.path(key) + " lists the target " + Json(*twice).dump() + " ms twice; give each target once");
    }
    value = targets;
  };
  return c;
}

OptionSchema<SearchOptions> make_schema() {
  using O = SearchOptions;
  OptionSchema<O> s("search");
  s.add("space", &O::space).flag("--space").help("Search space: a built-in name (tiny, proxylessnas, ...) or a JSON file")
      .check("a space name or file", [](const std::string& v) { return !v.empty(); });
  s.add("data", &O::data).flag("--data").help("Training data: an ImageFolder/IDX folder or fashion-mnist")
      .check("a data folder or \"fashion-mnist\"", [](const std::string& v) { return !v.empty(); });
  s.add("hardware", &O::hardware).flag("--hardware").help("Hardware profile: coral-usb3, coral-devboard or a JSON file")
      .check("a hardware profile name or file", [](const std::string& v) { return !v.empty(); });
  // One target (target_ms) or a family (targets_ms); --target-ms takes either, through targets_ms.
  s.add("target_ms", &O::target_ms).bound_elsewhere("--target-ms")
      .after_read([](O& o) { o.targets_ms.clear(); })
      .omit_if([](const O& o) { return !o.targets_ms.empty(); })
      .check([](const double& v, const O& o) {
        return !o.targets_ms.empty() || positive(v) ? "" : "> 0 (the target latency in ms)";
      });
  s.add("targets_ms", &O::targets_ms, targets_codec()).flag("--target-ms").omit_when_empty()
      .help("Target latency T0 in ms on the hardware profile; several (0.6,0.7,0.8) search a family: one controller "
            "per target over one supernet")
      .after_read([](O& o) {  // a list of one target is the single search
        o.target_ms = o.targets_ms.size() == 1 ? o.targets_ms[0] : 0.0;
        if (o.targets_ms.size() == 1) o.targets_ms.clear();
      })
      .check("a list of latencies > 0 in ms", [](const std::vector<double>& v) {
        return std::all_of(v.begin(), v.end(), positive);
      })
      .check("ascending and distinct", [](const std::vector<double>& v) {
        return std::adjacent_find(v.begin(), v.end(), std::greater_equal<double>()) == v.end();
      });
  s.add("edgetpu_only", &O::edgetpu_only, edgetpu_only_codec())
      .switch_flag("--edgetpu-only,!--no-edgetpu-only")
      .help("Forbid choices whose ops the Edge TPU compiler cannot map (default: on for Edge TPU profiles)");
  s.add("steps", &O::steps).flag("--steps").help("Search steps").check("> 0", [](int v) { return v > 0; });
  s.add("batch_size", &O::batch_size).flag("--batch-size").help("Training (and validation) batch per process")
      .check("> 0", [](int v) { return v > 0; });
  s.add("val_batch_size", &O::val_batch_size).check(">= 0 (0 = batch_size)", [](int v) { return v >= 0; });
  s.add("val_fraction", &O::val_fraction).check("in (0, 1)", [](double v) { return v > 0 && v < 1; });
  s.add("input_size", &O::input_size).flag("--input-size").help("Image size (0 = the space's)")
      .check(">= 0 (0 = the space's)", [](int v) { return v >= 0; });
  s.add("workers", &O::workers).flag("--workers").help("Data decoding threads").may_change_on_resume()
      .check("in [0, " + std::to_string(kMaxThreads) + "]", [](int v) { return v >= 0 && v <= kMaxThreads; });
  s.add("out", &O::out).flag("--out").help("Run folder (default runs/search-<date>-<time>)").may_change_on_resume();
  s.add("seed", &O::seed).bound_elsewhere("--seed");
  s.add("deterministic", &O::deterministic);
  s.add("checkpoint_every", &O::checkpoint_every).flag("--checkpoint-every").help("Steps between checkpoints")
      .may_change_on_resume().check("> 0", [](int v) { return v > 0; });
  using S = SupernetOptions;
  s.add("supernet.lr", &O::supernet, &S::lr).flag("--lr").help("Peak learning rate of the shared weights")
      .check("> 0", positive);
  s.add("supernet.momentum", &O::supernet, &S::momentum).check("in [0, 1)", unit_open);
  s.add("supernet.nesterov", &O::supernet, &S::nesterov);
  s.add("supernet.weight_decay", &O::supernet, &S::weight_decay).check(">= 0", [](double v) { return v >= 0; });
  s.add("supernet.schedule", &O::supernet, &S::schedule, enum_codec(kSchedules));
  s.add("supernet.warmup_steps", &O::supernet, &S::warmup_steps).check(">= 0", [](int v) { return v >= 0; });
  s.add("supernet.grad_clip", &O::supernet, &S::grad_clip).check(">= 0 (0 = none)", [](double v) { return v >= 0; });
  s.add("supernet.label_smoothing", &O::supernet, &S::label_smoothing).check("in [0, 1)", unit_open);
  s.add("supernet.augment", &O::supernet, &S::augment);
  using C = ControllerSettings;
  s.add("controller.lr", &O::controller, &C::lr).flag("--rl-lr").help("Learning rate of the controller (Adam)")
      .check("> 0", positive);
  s.add("controller.schedule", &O::controller, &C::schedule, enum_codec(kSchedules));
  s.add("controller.start", &O::controller, &C::start).check("in [0, 1)", unit_open);
  s.add("controller.baseline_momentum", &O::controller, &C::baseline_momentum).check("in [0, 1)", unit_open);
  s.add("controller.adam_beta1", &O::controller, &C::adam_beta1).check("in [0, 1)", unit_open);
  s.add("controller.adam_beta2", &O::controller, &C::adam_beta2).check("in [0, 1)", unit_open);
  // beta belongs to its reward: naming a reward without a beta (`--reward mnas_soft` over a config
  // that tunes the absolute reward's beta) brings that reward's usual beta.
  s.add("controller.reward", &O::controller, &C::reward,
        enum_codec<RewardKind>({{"absolute", RewardKind::kAbsolute},
                                {"mnas_soft", RewardKind::kMnasSoft},
                                {"mnas_hard", RewardKind::kMnasHard}}))
      .flag("--reward").help("Reward: absolute (TuNAS), mnas_soft or mnas_hard")
      .after_read([](O& o) { o.controller.beta = std::numeric_limits<double>::quiet_NaN(); });
  s.add("controller.beta", &O::controller, &C::beta, nullable_double_codec())
      .flag("--beta").help("Latency weight/exponent of the reward (default per reward: -0.10 / -0.07 / -1)")
      .check([](const double&, const O& o) {
        double beta = o.controller.effective_beta();
        return std::isfinite(beta) && beta <= 0 ? "" : "<= 0 (a latency penalty)";
      });
  using W = WarmupOptions;
  s.add("warmup.op", &O::warmup, &W::op).check("in [0, 1]", unit_closed);
  s.add("warmup.filter", &O::warmup, &W::filter).check("in [0, 1]", unit_closed);
  return s;
}

}  // namespace

const OptionSchema<SearchOptions>& search_option_schema() {
  static const OptionSchema<SearchOptions> schema = make_schema();
  return schema;
}

const char* edgetpu_only_name(EdgeTpuOnly value) {
  switch (value) {
    case EdgeTpuOnly::kAuto: return "auto";
    case EdgeTpuOnly::kOn: return "on";
    case EdgeTpuOnly::kOff: return "off";
  }
  return "?";
}

const char* schedule_name(Schedule schedule) {
  for (const auto& [name, value] : kSchedules)
    if (value == schedule) return name.c_str();
  return "?";
}

double ControllerSettings::effective_beta() const { return std::isnan(beta) ? default_reward_beta(reward) : beta; }

std::vector<double> SearchOptions::targets() const {
  return targets_ms.empty() ? std::vector<double>{target_ms} : targets_ms;
}

void SearchOptions::validate() const {
  if (targets_ms.empty() && target_ms == 0.0) {
    throw Error("search.target_ms is required: the target latency in ms (set it in the config or with --target-ms)");
  }
  search_option_schema().validate(*this);
}

Json SearchOptions::to_json() const {
  Json json = search_option_schema().write(*this);
  // Paths absolute: a resume may run from another folder.
  for (const char* key : {"space", "data", "hardware"}) json[key] = absolute_if_exists(json[key].get<std::string>());
  return json;
}

SearchOptions search_options_from_json(const Json& json, const std::string& origin, SearchOptions base) {
  return search_option_schema().read(json, origin, std::move(base));
}

Json merge_json(Json base, const Json& patch) {
  if (!base.is_object() || !patch.is_object()) return patch;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (base.contains(it.key()) && base[it.key()].is_object() && it.value().is_object()) {
      base[it.key()] = merge_json(base[it.key()], it.value());
    } else {
      base[it.key()] = it.value();
    }
  }
  return base;
}

}  // namespace nasctl::search
