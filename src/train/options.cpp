#include "nasctl/train/options.h"

#include <cmath>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/limits.h"
#include "nasctl/core/option_schema.h"
#include "nasctl/data/transform.h"

namespace nasctl::train {
namespace {

const std::vector<std::pair<std::string, OptimizerKind>> kOptimizers = {
    {"sgd", OptimizerKind::kSgd}, {"rmsprop", OptimizerKind::kRmsProp}, {"adamw", OptimizerKind::kAdamW}};
const std::vector<std::pair<std::string, DecayKind>> kDecays = {
    {"cosine", DecayKind::kCosine}, {"exponential", DecayKind::kExponential}, {"constant", DecayKind::kConstant}};

template <typename E>
E parse_named(const std::vector<std::pair<std::string, E>>& table, const std::string& name, const std::string& where) {
  std::vector<std::string> names;
  for (const auto& [n, value] : table) {
    if (name == n) return value;
    names.push_back(n);
  }
  throw Error(where + " must be one of " + join_names(names) + ", but got \"" + name + "\"");
}

template <typename E>
const char* name_of(const std::vector<std::pair<std::string, E>>& table, E value) {
  for (const auto& [n, v] : table)
    if (v == value) return n.c_str();
  return "?";
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

bool positive(double v) { return std::isfinite(v) && v > 0; }
bool unit_open(double v) { return v >= 0 && v < 1; }  // [0, 1)
bool non_negative(int v) { return v >= 0; }

OptionSchema<TrainOptions> make_schema() {
  using O = TrainOptions;
  OptionSchema<O> s("train");
  s.add("model", &O::model).flag("--model").help("Zoo network NAME (see nasctl models)").omit_when_empty();
  s.add("graph", &O::graph_file).flag("--graph").help("Network as graph v1 JSON FILE").omit_when_empty();
  s.add("arch", &O::arch_file).flag("--arch").help("Network as ArchSpec JSON FILE (e.g. a search's arch.json)")
      .omit_when_empty();
  s.one_of({"model", "graph", "arch"});  // a network flag replaces the recipe's network
  s.add("width", &O::width).flag("--width").help("Width multiplier of zoo MobileNets").check("> 0", [](double v) {
    return v > 0;
  });
  s.add("data", &O::data).flag("--data").help("ImageFolder root (train/, val/), IDX folder, or fashion-mnist");
  s.add("labels", &O::labels_file).flag("--labels").help("Class-name FILE mapping folder names").omit_when_empty();
  s.add("classes", &O::classes).flag("--classes").help("Expected number of classes (checked against the data; 0 = the data's)")
      .check(">= 0 (0 = the data's)", non_negative);
  s.add("input_size", &O::input_size).flag("--input-size")
      .help("Input side in pixels (0 = 32 for IDX data, else the network's)")
      .check(">= 0 (0 = the network's)", non_negative);
  s.add("transform", &O::transform, json_object_codec([](const JsonView& t) { check_transform(t.raw(), t.where()); }))
      .check([](const Json& t, const O&) {
        check_transform(t, "train.transform");
        return std::string();
      });
  s.add_flag_only("transform.augment", default_codec<std::string>())
      .flag("--augment").help("Training augmentation: rrc | crop_flip | none (default: by data)");
  s.add("workers", &O::workers).flag("--workers").help("Data loading threads")
      .check("in [0, " + std::to_string(kMaxThreads) + "]", [](int v) { return v >= 0 && v <= kMaxThreads; });
  s.add("epochs", &O::epochs).flag("--epochs").help("Epochs").check("> 0", [](int v) { return v > 0; });
  s.add("batch_size", &O::batch_size).flag("--batch-size").help("Images per step and process")
      .check("> 0", [](int v) { return v > 0; });
  using P = OptimizerOptions;
  s.add("optimizer.name", &O::optimizer, &P::kind, enum_codec(kOptimizers)).flag("--optimizer")
      .help("sgd (Nesterov) | rmsprop (TensorFlow's) | adamw");
  s.add("optimizer.lr", &O::optimizer, &P::lr).flag("--lr")
      .help("Peak learning rate at batch 256, scaled linearly with the global batch").check("> 0", positive);
  s.add("optimizer.lr_reference_batch", &O::optimizer, &P::lr_reference_batch).check(">= 0", non_negative);
  s.add("optimizer.momentum", &O::optimizer, &P::momentum).flag("--momentum").help("Momentum")
      .check("in [0, 1)", unit_open);
  s.add("optimizer.nesterov", &O::optimizer, &P::nesterov);
  s.add("optimizer.weight_decay", &O::optimizer, &P::weight_decay).flag("--weight-decay")
      .help("Weight decay, not on BN and biases").check(">= 0", [](double v) { return v >= 0; });
  s.add("optimizer.rmsprop_decay", &O::optimizer, &P::rmsprop_decay).check("in (0, 1)", [](double v) {
    return v > 0 && v < 1;
  });
  s.add("optimizer.rmsprop_epsilon", &O::optimizer, &P::rmsprop_epsilon).check("> 0", [](double v) { return v > 0; });
  s.add("optimizer.adam_epsilon", &O::optimizer, &P::adam_epsilon).check("> 0", [](double v) { return v > 0; });
  s.add("optimizer.beta1", &O::optimizer, &P::beta1).check("in [0, 1)", unit_open);
  s.add("optimizer.beta2", &O::optimizer, &P::beta2).check("in [0, 1)", unit_open);
  using S = ScheduleOptions;
  s.add("schedule.decay", &O::schedule, &S::decay, enum_codec(kDecays)).flag("--schedule")
      .help("LR decay after warm-up: cosine | exponential | constant");
  s.add("schedule.warmup_epochs", &O::schedule, &S::warmup_epochs).flag("--warmup-epochs")
      .help("Linear LR warm-up epochs")
      .check(">= 0", [](double v) { return v >= 0; })
      .check([](const double& v, const O& o) {
        return v <= o.epochs ? std::string() : "at most the epochs (" + std::to_string(o.epochs) + ")";
      });
  s.add("schedule.decay_rate", &O::schedule, &S::decay_rate).check("in (0, 1]", [](double v) { return v > 0 && v <= 1; });
  s.add("schedule.decay_epochs", &O::schedule, &S::decay_epochs).check("> 0", [](double v) { return v > 0; });
  s.add("schedule.staircase", &O::schedule, &S::staircase);
  s.add("schedule.min_lr_fraction", &O::schedule, &S::min_lr_fraction).check("in [0, 1]", [](double v) {
    return v >= 0 && v <= 1;
  });
  s.add("label_smoothing", &O::label_smoothing).flag("--label-smoothing").help("Label smoothing")
      .check("in [0, 1)", unit_open);
  s.add("ema_decay", &O::ema_decay).flag("--ema-decay")
      .help("EMA of the weights, e.g. 0.9999 (0 = off); evaluated and saved").check("in [0, 1) (0 = off)", unit_open);
  s.add("dropout", &O::dropout).flag("--dropout").help("Dropout before the classifier").check("in [0, 1)", unit_open);
  s.add("bn_momentum", &O::bn_momentum).check("in (0, 1]", [](double v) { return v > 0 && v <= 1; });
  s.add("channels_last", &O::channels_last);
  s.add("out", &O::out).flag("--out").help("Run directory RUN_DIR (required)");
  s.add("device", &O::device).flag("--device").help("cpu | cuda | cuda:N").check("cpu, cuda or cuda:N", [](const std::string& d) {
    return d == "cpu" || d == "cuda" || d.rfind("cuda:", 0) == 0;
  });
  s.add("checkpoint_every_steps", &O::checkpoint_every_steps).flag("--checkpoint-every-steps")
      .help("Also checkpoint every N steps (0: at epoch ends and every 15 minutes)")
      .check(">= 0", [](int64_t v) { return v >= 0; });
  s.add("checkpoint_minutes", &O::checkpoint_minutes).check("> 0", [](double v) { return v > 0; });
  s.add("eval_every_epochs", &O::eval_every_epochs).flag("--eval-every").help("Evaluate every N epochs")
      .check("> 0", [](int v) { return v > 0; });
  s.add("seed", &O::seed).bound_elsewhere("--seed");
  s.add("deterministic", &O::deterministic).switch_flag("--deterministic")
      .help("Deterministic algorithms only (repeatable runs)");
  return s;
}

}  // namespace

const OptionSchema<TrainOptions>& train_option_schema() {
  static const OptionSchema<TrainOptions> schema = make_schema();
  return schema;
}

const char* optimizer_name(OptimizerKind kind) { return name_of(kOptimizers, kind); }
OptimizerKind parse_optimizer(const std::string& name, const std::string& where) {
  return parse_named(kOptimizers, name, where);
}
const char* decay_name(DecayKind kind) { return name_of(kDecays, kind); }
DecayKind parse_decay(const std::string& name, const std::string& where) { return parse_named(kDecays, name, where); }

void TrainOptions::validate() const {
  int sources = int(!model.empty()) + int(!graph_file.empty()) + int(!arch_file.empty());
  if (sources != 1) {
    throw Error("train needs exactly one network: --model NAME, --graph FILE or --arch FILE (got " +
                std::to_string(sources) + ")");
  }
  if (out.empty()) throw Error("train needs --out RUN_DIR (the run directory)");
  if (data.empty()) throw Error("train needs --data DIR|fashion-mnist");
  train_option_schema().validate(*this);
  if (stop_after_steps < 0) {
    throw Error("train.stop_after_steps (--stop-after-steps) must be >= 0, but got " + std::to_string(stop_after_steps));
  }
}

void read_train_json(const Json& json, const std::string& origin, TrainOptions* o) {
  *o = train_option_schema().read(json, origin, std::move(*o));
}

Json train_options_to_json(const TrainOptions& o) {
  Json json = train_option_schema().write(o);
  // Paths absolute: a run's config.json must still find them when resumed from another folder.
  for (const char* key : {"graph", "arch", "data", "labels"}) {
    if (json.contains(key) && json[key].is_string()) json[key] = absolute_if_exists(json[key].get<std::string>());
  }
  return json;
}

}  // namespace nasctl::train
