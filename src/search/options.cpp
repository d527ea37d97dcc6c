#include "nasctl/search/options.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/runtime.h"

namespace nasctl::search {
namespace {

EdgeTpuOnly parse_edgetpu_only(const JsonView& view, const std::string& key) {
  const Json& v = view.raw().at(key);
  if (v.is_boolean()) return v.get<bool>() ? EdgeTpuOnly::kOn : EdgeTpuOnly::kOff;
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    if (s == "auto") return EdgeTpuOnly::kAuto;
    if (s == "on") return EdgeTpuOnly::kOn;
    if (s == "off") return EdgeTpuOnly::kOff;
  }
  view.fail(key, "one of \"auto\", \"on\", \"off\" (or true / false)");
}

Schedule parse_schedule(const JsonView& view, const std::string& key) {
  std::string s = view.get_string(key);
  if (s == "constant") return Schedule::kConstant;
  if (s == "cosine") return Schedule::kCosine;
  if (s == "linear") return Schedule::kLinear;
  view.fail(key, "one of \"constant\", \"cosine\", \"linear\"");
}

// targets_ms: positive finite numbers, returned ascending; a target given twice is an error.
std::vector<double> parse_targets(const JsonView& view, const std::string& key) {
  std::vector<double> targets = view.get_double_list(key);
  if (targets.empty()) view.fail(key, "a non-empty list of target latencies in ms");
  for (double t : targets) {
    if (!(std::isfinite(t) && t > 0)) view.fail(key, "a list of latencies > 0 in ms");
  }
  std::sort(targets.begin(), targets.end());
  for (size_t i = 1; i < targets.size(); ++i) {
    if (targets[i] == targets[i - 1]) {
      throw Error(view.path(key) + " lists the target " + Json(targets[i]).dump() +
                  " ms twice; give each target once");
    }
  }
  return targets;
}

uint64_t get_seed(const JsonView& view, const std::string& key) {
  const Json& v = view.raw().at(key);
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  view.fail(key, "a non-negative integer");
}

void read_supernet(const JsonView& v, SupernetOptions* o) {
  v.check_keys({"lr", "momentum", "nesterov", "weight_decay", "schedule", "warmup_steps", "grad_clip",
                "label_smoothing", "augment"});
  o->lr = v.get_double("lr", o->lr);
  o->momentum = v.get_double("momentum", o->momentum);
  o->nesterov = v.get_bool("nesterov", o->nesterov);
  o->weight_decay = v.get_double("weight_decay", o->weight_decay);
  if (v.has("schedule")) o->schedule = parse_schedule(v, "schedule");
  o->warmup_steps = v.get_int("warmup_steps", o->warmup_steps);
  o->grad_clip = v.get_double("grad_clip", o->grad_clip);
  o->label_smoothing = v.get_double("label_smoothing", o->label_smoothing);
  o->augment = v.get_bool("augment", o->augment);
}

void read_controller(const JsonView& v, ControllerSettings* o) {
  v.check_keys({"lr", "schedule", "start", "baseline_momentum", "adam_beta1", "adam_beta2", "reward", "beta"});
  o->lr = v.get_double("lr", o->lr);
  if (v.has("schedule")) o->schedule = parse_schedule(v, "schedule");
  o->start = v.get_double("start", o->start);
  o->baseline_momentum = v.get_double("baseline_momentum", o->baseline_momentum);
  o->adam_beta1 = v.get_double("adam_beta1", o->adam_beta1);
  o->adam_beta2 = v.get_double("adam_beta2", o->adam_beta2);
  // beta belongs to its reward: naming a reward without a beta (`--reward mnas_soft` over a config
  // that tunes the absolute reward's beta) brings that reward's usual beta.
  if (v.has("reward")) {
    o->reward = parse_reward_kind(v.get_string("reward"), v.path("reward"));
    o->beta = std::numeric_limits<double>::quiet_NaN();
  }
  o->beta = v.get_double("beta", o->beta);
}

void read_warmup(const JsonView& v, WarmupOptions* o) {
  v.check_keys({"op", "filter"});
  o->op = v.get_double("op", o->op);
  o->filter = v.get_double("filter", o->filter);
}

// Throws "search.<key> must be <requirement>, but got <value>".
template <typename T>
void require(bool ok, const std::string& key, const std::string& requirement, const T& value) {
  if (!ok) throw Error("search." + key + " must be " + requirement + ", but got " + json_excerpt(Json(value)));
}

}  // namespace

const char* edgetpu_only_name(EdgeTpuOnly value) {
  switch (value) {
    case EdgeTpuOnly::kAuto: return "auto";
    case EdgeTpuOnly::kOn: return "on";
    case EdgeTpuOnly::kOff: return "off";
  }
  return "?";
}

const char* schedule_name(Schedule schedule) {
  switch (schedule) {
    case Schedule::kConstant: return "constant";
    case Schedule::kCosine: return "cosine";
    case Schedule::kLinear: return "linear";
  }
  return "?";
}

std::vector<double> SearchOptions::targets() const {
  return targets_ms.empty() ? std::vector<double>{target_ms} : targets_ms;
}

double ControllerSettings::effective_beta() const { return std::isnan(beta) ? default_reward_beta(reward) : beta; }

void SearchOptions::validate() const {
  require(!space.empty(), "space", "a space name or file", space);
  require(!data.empty(), "data", "a data folder or \"fashion-mnist\"", data);
  require(!hardware.empty(), "hardware", "a hardware profile name or file", hardware);
  if (!targets_ms.empty()) {
    for (double t : targets_ms) require(std::isfinite(t) && t > 0, "targets_ms", "a list of latencies > 0 in ms", targets_ms);
    for (size_t i = 1; i < targets_ms.size(); ++i) {
      require(targets_ms[i] > targets_ms[i - 1], "targets_ms", "ascending and distinct", targets_ms);
    }
  }
  if (targets_ms.empty()) {
    require(std::isfinite(target_ms) && target_ms > 0, "target_ms", "> 0 (the target latency in ms)", target_ms);
  }
  require(steps > 0, "steps", "> 0", steps);
  require(batch_size > 0, "batch_size", "> 0", batch_size);
  require(val_batch_size >= 0, "val_batch_size", ">= 0 (0 = batch_size)", val_batch_size);
  require(val_fraction > 0 && val_fraction < 1, "val_fraction", "in (0, 1)", val_fraction);
  require(input_size >= 0, "input_size", ">= 0 (0 = the space's)", input_size);
  require(workers >= 0 && workers <= kMaxThreads, "workers", "in [0, " + std::to_string(kMaxThreads) + "]", workers);
  require(checkpoint_every > 0, "checkpoint_every", "> 0", checkpoint_every);
  require(std::isfinite(supernet.lr) && supernet.lr > 0, "supernet.lr", "> 0", supernet.lr);
  require(supernet.momentum >= 0 && supernet.momentum < 1, "supernet.momentum", "in [0, 1)", supernet.momentum);
  require(supernet.weight_decay >= 0, "supernet.weight_decay", ">= 0", supernet.weight_decay);
  require(supernet.warmup_steps >= 0, "supernet.warmup_steps", ">= 0", supernet.warmup_steps);
  require(supernet.grad_clip >= 0, "supernet.grad_clip", ">= 0 (0 = none)", supernet.grad_clip);
  require(supernet.label_smoothing >= 0 && supernet.label_smoothing < 1, "supernet.label_smoothing", "in [0, 1)",
          supernet.label_smoothing);
  require(std::isfinite(controller.lr) && controller.lr > 0, "controller.lr", "> 0", controller.lr);
  require(controller.start >= 0 && controller.start < 1, "controller.start", "in [0, 1)", controller.start);
  require(controller.baseline_momentum >= 0 && controller.baseline_momentum < 1, "controller.baseline_momentum",
          "in [0, 1)", controller.baseline_momentum);
  require(controller.adam_beta1 >= 0 && controller.adam_beta1 < 1, "controller.adam_beta1", "in [0, 1)",
          controller.adam_beta1);
  require(controller.adam_beta2 >= 0 && controller.adam_beta2 < 1, "controller.adam_beta2", "in [0, 1)",
          controller.adam_beta2);
  double beta = controller.effective_beta();
  require(std::isfinite(beta) && beta <= 0, "controller.beta", "<= 0 (a latency penalty)", beta);
  require(warmup.op >= 0 && warmup.op <= 1, "warmup.op", "in [0, 1]", warmup.op);
  require(warmup.filter >= 0 && warmup.filter <= 1, "warmup.filter", "in [0, 1]", warmup.filter);
}

Json SearchOptions::to_json() const {
  Json beta = std::isnan(controller.beta) ? Json(nullptr) : Json(controller.beta);
  Json json{
      {"space", absolute_if_exists(space)},  // paths absolute: a resume may run from elsewhere
      {"data", absolute_if_exists(data)},
      {"hardware", absolute_if_exists(hardware)},
      {"target_ms", target_ms},
      {"edgetpu_only", edgetpu_only_name(edgetpu_only)},
      {"steps", steps},
      {"batch_size", batch_size},
      {"val_batch_size", val_batch_size},
      {"val_fraction", val_fraction},
      {"input_size", input_size},
      {"workers", workers},
      {"out", out},
      {"seed", seed},
      {"deterministic", deterministic},
      {"checkpoint_every", checkpoint_every},
      {"supernet",
       {{"lr", supernet.lr},
        {"momentum", supernet.momentum},
        {"nesterov", supernet.nesterov},
        {"weight_decay", supernet.weight_decay},
        {"schedule", schedule_name(supernet.schedule)},
        {"warmup_steps", supernet.warmup_steps},
        {"grad_clip", supernet.grad_clip},
        {"label_smoothing", supernet.label_smoothing},
        {"augment", supernet.augment}}},
      {"controller",
       {{"lr", controller.lr},
        {"schedule", schedule_name(controller.schedule)},
        {"start", controller.start},
        {"baseline_momentum", controller.baseline_momentum},
        {"adam_beta1", controller.adam_beta1},
        {"adam_beta2", controller.adam_beta2},
        {"reward", reward_kind_name(controller.reward)},
        {"beta", beta}}},
      {"warmup", {{"op", warmup.op}, {"filter", warmup.filter}}},
  };
  // A single-target search writes exactly what it always did; a family names its targets instead.
  if (!targets_ms.empty()) {
    json.erase("target_ms");
    json["targets_ms"] = targets_ms;
  }
  return json;
}

SearchOptions search_options_from_json(const Json& json, const std::string& origin, SearchOptions base) {
  JsonView v(json, origin);
  v.check_keys({"description", "space", "data", "hardware", "target_ms", "targets_ms", "edgetpu_only", "steps", "batch_size",
                "val_batch_size", "val_fraction", "input_size", "workers", "out", "seed", "deterministic",
                "checkpoint_every", "supernet", "controller", "warmup"});
  SearchOptions o = std::move(base);
  o.space = v.get_string("space", o.space);
  o.data = v.get_string("data", o.data);
  o.hardware = v.get_string("hardware", o.hardware);
  if (v.has("target_ms") && v.has("targets_ms")) {
    throw Error(origin + ": give target_ms (one target) or targets_ms (several), not both");
  }
  if (v.has("target_ms")) {
    o.target_ms = v.get_double("target_ms");
    o.targets_ms.clear();
  }
  if (v.has("targets_ms")) {
    o.targets_ms = parse_targets(v, "targets_ms");
    o.target_ms = 0.0;
    if (o.targets_ms.size() == 1) {
      o.target_ms = o.targets_ms[0];
      o.targets_ms.clear();
    }
  }
  if (v.has("edgetpu_only")) o.edgetpu_only = parse_edgetpu_only(v, "edgetpu_only");
  o.steps = v.get_int("steps", o.steps);
  o.batch_size = v.get_int("batch_size", o.batch_size);
  o.val_batch_size = v.get_int("val_batch_size", o.val_batch_size);
  o.val_fraction = v.get_double("val_fraction", o.val_fraction);
  o.input_size = v.get_int("input_size", o.input_size);
  o.workers = v.get_int("workers", o.workers);
  o.out = v.get_string("out", o.out);
  if (v.has("seed")) o.seed = get_seed(v, "seed");
  o.deterministic = v.get_bool("deterministic", o.deterministic);
  o.checkpoint_every = v.get_int("checkpoint_every", o.checkpoint_every);
  if (v.has("supernet")) read_supernet(v.child("supernet"), &o.supernet);
  if (v.has("controller")) read_controller(v.child("controller"), &o.controller);
  if (v.has("warmup")) read_warmup(v.child("warmup"), &o.warmup);
  return o;
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
