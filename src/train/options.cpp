#include "nasctl/train/options.h"

#include <cmath>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/runtime.h"
#include "nasctl/data/transform.h"

namespace nasctl::train {
namespace {

struct Named {
  const char* name;
  int value;
};
const Named kOptimizers[] = {{"sgd", int(OptimizerKind::kSgd)},
                             {"rmsprop", int(OptimizerKind::kRmsProp)},
                             {"adamw", int(OptimizerKind::kAdamW)}};
const Named kDecays[] = {{"cosine", int(DecayKind::kCosine)},
                         {"exponential", int(DecayKind::kExponential)},
                         {"constant", int(DecayKind::kConstant)}};

template <size_t N>
int parse_named(const Named (&table)[N], const std::string& name, const std::string& where) {
  std::string names;
  for (const Named& n : table) {
    if (name == n.name) return n.value;
    names += std::string(names.empty() ? "" : ", ") + n.name;
  }
  throw Error(where + " must be one of " + names + ", but got \"" + name + "\"");
}

template <size_t N>
const char* name_of(const Named (&table)[N], int value) {
  for (const Named& n : table) {
    if (n.value == value) return n.name;
  }
  return "?";
}

[[noreturn]] void bad(const std::string& key, const std::string& requirement, const std::string& got) {
  throw Error("train." + key + " must be " + requirement + ", but got " + got);
}

std::string num(double v) { return json_excerpt(Json(v)); }  // nan / inf rather than JSON's null

void read_optimizer(const JsonView& v, OptimizerOptions* o) {
  v.check_keys({"name", "lr", "lr_reference_batch", "momentum", "nesterov", "weight_decay", "rmsprop_decay",
                "rmsprop_epsilon", "adam_epsilon", "beta1", "beta2"});
  if (v.has("name")) o->kind = parse_optimizer(v.get_string("name"), v.path("name"));
  o->lr = v.get_double("lr", o->lr);
  o->lr_reference_batch = v.get_int("lr_reference_batch", o->lr_reference_batch);
  o->momentum = v.get_double("momentum", o->momentum);
  o->nesterov = v.get_bool("nesterov", o->nesterov);
  o->weight_decay = v.get_double("weight_decay", o->weight_decay);
  o->rmsprop_decay = v.get_double("rmsprop_decay", o->rmsprop_decay);
  o->rmsprop_epsilon = v.get_double("rmsprop_epsilon", o->rmsprop_epsilon);
  o->adam_epsilon = v.get_double("adam_epsilon", o->adam_epsilon);
  o->beta1 = v.get_double("beta1", o->beta1);
  o->beta2 = v.get_double("beta2", o->beta2);
}

void read_schedule(const JsonView& v, ScheduleOptions* s) {
  v.check_keys({"decay", "warmup_epochs", "decay_rate", "decay_epochs", "staircase", "min_lr_fraction"});
  if (v.has("decay")) s->decay = parse_decay(v.get_string("decay"), v.path("decay"));
  s->warmup_epochs = v.get_double("warmup_epochs", s->warmup_epochs);
  s->decay_rate = v.get_double("decay_rate", s->decay_rate);
  s->decay_epochs = v.get_double("decay_epochs", s->decay_epochs);
  s->staircase = v.get_bool("staircase", s->staircase);
  s->min_lr_fraction = v.get_double("min_lr_fraction", s->min_lr_fraction);
}

// The transform keys a recipe may set; input size and channels come from the network.
void check_transform(const Json& json, const std::string& where) {
  JsonView v(json, where);
  v.check_keys({"augment", "min_scale", "max_scale", "min_ratio", "max_ratio", "flip", "pad", "crop_ratio", "mean",
                "std"});
  data::TransformOptions probe;
  data::read_transform_json(v, &probe);
  probe.validate();
}

}  // namespace

const char* optimizer_name(OptimizerKind kind) { return name_of(kOptimizers, int(kind)); }
OptimizerKind parse_optimizer(const std::string& name, const std::string& where) {
  return OptimizerKind(parse_named(kOptimizers, name, where));
}
const char* decay_name(DecayKind kind) { return name_of(kDecays, int(kind)); }
DecayKind parse_decay(const std::string& name, const std::string& where) {
  return DecayKind(parse_named(kDecays, name, where));
}

void TrainOptions::validate() const {
  int sources = int(!model.empty()) + int(!graph_file.empty()) + int(!arch_file.empty());
  if (sources != 1) {
    throw Error("train needs exactly one network: --model NAME, --graph FILE or --arch FILE (got " +
                std::to_string(sources) + ")");
  }
  if (out.empty()) throw Error("train needs --out RUN_DIR (the run directory)");
  if (data.empty()) throw Error("train needs --data DIR|fashion-mnist");
  if (!(width > 0)) bad("width", "> 0", num(width));
  if (classes < 0) bad("classes", ">= 0 (0 = the data's)", std::to_string(classes));
  if (input_size < 0) bad("input_size", ">= 0 (0 = the network's)", std::to_string(input_size));
  if (workers < 0 || workers > kMaxThreads)
    bad("workers", "in [0, " + std::to_string(kMaxThreads) + "]", std::to_string(workers));
  if (epochs <= 0) bad("epochs", "> 0", std::to_string(epochs));
  if (batch_size <= 0) bad("batch_size", "> 0", std::to_string(batch_size));
  const OptimizerOptions& o = optimizer;
  if (!(o.lr > 0) || !std::isfinite(o.lr)) bad("optimizer.lr", "> 0", num(o.lr));
  if (o.lr_reference_batch < 0) bad("optimizer.lr_reference_batch", ">= 0", std::to_string(o.lr_reference_batch));
  if (!(o.momentum >= 0 && o.momentum < 1)) bad("optimizer.momentum", "in [0, 1)", num(o.momentum));
  if (!(o.weight_decay >= 0)) bad("optimizer.weight_decay", ">= 0", num(o.weight_decay));
  if (!(o.rmsprop_decay > 0 && o.rmsprop_decay < 1)) bad("optimizer.rmsprop_decay", "in (0, 1)", num(o.rmsprop_decay));
  if (!(o.rmsprop_epsilon > 0)) bad("optimizer.rmsprop_epsilon", "> 0", num(o.rmsprop_epsilon));
  if (!(o.adam_epsilon > 0)) bad("optimizer.adam_epsilon", "> 0", num(o.adam_epsilon));
  if (!(o.beta1 >= 0 && o.beta1 < 1)) bad("optimizer.beta1", "in [0, 1)", num(o.beta1));
  if (!(o.beta2 >= 0 && o.beta2 < 1)) bad("optimizer.beta2", "in [0, 1)", num(o.beta2));
  const ScheduleOptions& s = schedule;
  if (!(s.warmup_epochs >= 0)) bad("schedule.warmup_epochs", ">= 0", num(s.warmup_epochs));
  if (!(s.warmup_epochs <= epochs)) {
    bad("schedule.warmup_epochs", "at most the epochs (" + std::to_string(epochs) + ")", num(s.warmup_epochs));
  }
  if (!(s.decay_rate > 0 && s.decay_rate <= 1)) bad("schedule.decay_rate", "in (0, 1]", num(s.decay_rate));
  if (!(s.decay_epochs > 0)) bad("schedule.decay_epochs", "> 0", num(s.decay_epochs));
  if (!(s.min_lr_fraction >= 0 && s.min_lr_fraction <= 1)) {
    bad("schedule.min_lr_fraction", "in [0, 1]", num(s.min_lr_fraction));
  }
  if (!(label_smoothing >= 0 && label_smoothing < 1)) bad("label_smoothing", "in [0, 1)", num(label_smoothing));
  if (!(ema_decay >= 0 && ema_decay < 1)) bad("ema_decay", "in [0, 1) (0 = off)", num(ema_decay));
  if (!(dropout >= 0 && dropout < 1)) bad("dropout", "in [0, 1)", num(dropout));
  if (!(bn_momentum > 0 && bn_momentum <= 1)) bad("bn_momentum", "in (0, 1]", num(bn_momentum));
  if (device != "cpu" && device != "cuda" && device.rfind("cuda:", 0) != 0) {
    bad("device", "cpu, cuda or cuda:N", "\"" + device + "\"");
  }
  if (checkpoint_every_steps < 0) bad("checkpoint_every_steps", ">= 0", std::to_string(checkpoint_every_steps));
  if (!(checkpoint_minutes > 0)) bad("checkpoint_minutes", "> 0", num(checkpoint_minutes));
  if (eval_every_epochs <= 0) bad("eval_every_epochs", "> 0", std::to_string(eval_every_epochs));
  if (stop_after_steps < 0) bad("stop_after_steps", ">= 0", std::to_string(stop_after_steps));
  check_transform(transform, "train.transform");
}

void read_train_json(const Json& json, const std::string& origin, TrainOptions* o) {
  JsonView v(json, origin);
  v.check_keys({"description", "model", "graph", "arch", "width", "data", "labels", "classes", "input_size",
                "transform", "workers", "epochs", "batch_size", "optimizer", "schedule", "label_smoothing",
                "ema_decay", "dropout", "bn_momentum", "channels_last", "out", "device", "checkpoint_every_steps",
                "checkpoint_minutes", "eval_every_epochs", "seed", "deterministic"});
  o->model = v.get_string("model", o->model);
  o->graph_file = v.get_string("graph", o->graph_file);
  o->arch_file = v.get_string("arch", o->arch_file);
  o->width = v.get_double("width", o->width);
  o->data = v.get_string("data", o->data);
  o->labels_file = v.get_string("labels", o->labels_file);
  o->classes = v.get_int("classes", o->classes);
  o->input_size = v.get_int("input_size", o->input_size);
  if (v.has("transform")) {
    JsonView t = v.child("transform");
    check_transform(t.raw(), t.where());
    for (const auto& [key, value] : t.raw().items()) o->transform[key] = value;
  }
  o->workers = v.get_int("workers", o->workers);
  o->epochs = v.get_int("epochs", o->epochs);
  o->batch_size = v.get_int("batch_size", o->batch_size);
  if (v.has("optimizer")) read_optimizer(v.child("optimizer"), &o->optimizer);
  if (v.has("schedule")) read_schedule(v.child("schedule"), &o->schedule);
  o->label_smoothing = v.get_double("label_smoothing", o->label_smoothing);
  o->ema_decay = v.get_double("ema_decay", o->ema_decay);
  o->dropout = v.get_double("dropout", o->dropout);
  o->bn_momentum = v.get_double("bn_momentum", o->bn_momentum);
  o->channels_last = v.get_bool("channels_last", o->channels_last);
  o->out = v.get_string("out", o->out);
  o->device = v.get_string("device", o->device);
  if (v.has("checkpoint_every_steps")) o->checkpoint_every_steps = v.get_int("checkpoint_every_steps");
  o->checkpoint_minutes = v.get_double("checkpoint_minutes", o->checkpoint_minutes);
  o->eval_every_epochs = v.get_int("eval_every_epochs", o->eval_every_epochs);
  if (v.has("seed")) {
    const Json& seed = json.at("seed");
    if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<int64_t>() >= 0)) {
      v.fail("seed", "an integer >= 0");
    }
    o->seed = seed.get<uint64_t>();
  }
  o->deterministic = v.get_bool("deterministic", o->deterministic);
}

Json train_options_to_json(const TrainOptions& o) {
  Json j = Json::object();
  if (!o.model.empty()) j["model"] = o.model;
  // Paths absolute: a run's config.json must still find them when resumed from another folder.
  if (!o.graph_file.empty()) j["graph"] = absolute_if_exists(o.graph_file);
  if (!o.arch_file.empty()) j["arch"] = absolute_if_exists(o.arch_file);
  j["width"] = o.width;
  j["data"] = absolute_if_exists(o.data);
  if (!o.labels_file.empty()) j["labels"] = absolute_if_exists(o.labels_file);
  j["classes"] = o.classes;
  j["input_size"] = o.input_size;
  j["transform"] = o.transform;
  j["workers"] = o.workers;
  j["epochs"] = o.epochs;
  j["batch_size"] = o.batch_size;
  const OptimizerOptions& p = o.optimizer;
  j["optimizer"] = {{"name", optimizer_name(p.kind)},     {"lr", p.lr},
                    {"lr_reference_batch", p.lr_reference_batch}, {"momentum", p.momentum},
                    {"nesterov", p.nesterov},             {"weight_decay", p.weight_decay},
                    {"rmsprop_decay", p.rmsprop_decay},   {"rmsprop_epsilon", p.rmsprop_epsilon},
                    {"adam_epsilon", p.adam_epsilon},     {"beta1", p.beta1},
                    {"beta2", p.beta2}};
  const ScheduleOptions& s = o.schedule;
  j["schedule"] = {{"decay", decay_name(s.decay)},   {"warmup_epochs", s.warmup_epochs},
                   {"decay_rate", s.decay_rate},     {"decay_epochs", s.decay_epochs},
                   {"staircase", s.staircase},       {"min_lr_fraction", s.min_lr_fraction}};
  j["label_smoothing"] = o.label_smoothing;
  j["ema_decay"] = o.ema_decay;
  j["dropout"] = o.dropout;
  j["bn_momentum"] = o.bn_momentum;
  j["channels_last"] = o.channels_last;
  j["out"] = o.out;
  j["device"] = o.device;
  j["checkpoint_every_steps"] = o.checkpoint_every_steps;
  j["checkpoint_minutes"] = o.checkpoint_minutes;
  j["eval_every_epochs"] = o.eval_every_epochs;
  j["seed"] = o.seed;
  j["deterministic"] = o.deterministic;
  return j;
}

}  // namespace nasctl::train
