// `nasctl train`: train a network (zoo, graph or ArchSpec) on an ImageFolder or IDX data set.
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>

#include "cli/app.h"
#include "cli/format.h"
#include "nasctl/core/configs.h"
#include "nasctl/core/error.h"
#include "nasctl/core/progress.h"
#include "nasctl/train/trainer.h"

namespace nasctl::cli {
namespace {

// Flags are parsed into `flags`; after parsing, those given on the command line are copied over the
// options read from --config (flags win), then validate() runs once.
struct TrainCommand {
  train::TrainOptions flags;
  std::string config;
  std::string optimizer;
  std::string schedule;
  std::string augment;
  bool json = false;
  std::vector<std::pair<CLI::Option*, std::function<void(train::TrainOptions&)>>> overrides;

  template <typename Get>
  CLI::Option* add(CLI::App* cmd, const std::string& name, Get get, const std::string& help) {
    auto& slot = get(flags);
    CLI::Option* option = cmd->add_option(name, slot, help);
    overrides.emplace_back(option, [this, get](train::TrainOptions& o) { get(o) = get(flags); });
    return option;
  }
};

Json strip_resolved(Json config) {
  config.erase("resolved");
  return config;
}

train::TrainOptions resolve(const TrainCommand& c, const CLI::App& app, const GlobalOptions& global) {
  train::TrainOptions o;
  if (!c.config.empty()) {
    std::string origin;
    Json recipe = load_config("train", c.config, &origin);
    train::read_train_json(recipe, origin, &o);
  } else if (c.flags.resume && !c.flags.out.empty()) {
    // Resuming without --config: the run's own resolved config is the recipe.
    std::string path = c.flags.out + "/config.json";
    if (!std::filesystem::exists(path)) {
      throw Error("--resume: " + c.flags.out + " holds no training run (no config.json); pass --config or the network "
                  "and data flags to start one");
    }
    train::read_train_json(strip_resolved(load_json_file(path)), path, &o);
  }
  for (const auto& [option, apply] : c.overrides) {
    if (option->count() > 0) apply(o);
  }
  if (!c.optimizer.empty()) o.optimizer.kind = train::parse_optimizer(c.optimizer, "--optimizer");
  if (!c.schedule.empty()) o.schedule.decay = train::parse_decay(c.schedule, "--schedule");
  if (!c.augment.empty()) o.transform["augment"] = c.augment;
  // A network flag replaces the recipe's network.
  if (!c.flags.model.empty() || !c.flags.graph_file.empty() || !c.flags.arch_file.empty()) {
    o.model = c.flags.model;
    o.graph_file = c.flags.graph_file;
    o.arch_file = c.flags.arch_file;
  }
  if (app.get_parent()->get_option("--seed")->count() > 0) o.seed = global.seed;
  o.validate();
  return o;
}

std::string percent(double fraction) {
  if (!std::isfinite(fraction)) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.2f%%", 100 * fraction);
  return text;
}

void print_summary(const train::TrainSummary& s, bool json) {
  if (s.rank != 0) return;  // rank 0 reports for the job
  const train::EpochMetrics* last = s.metrics.empty() ? nullptr : &s.metrics.back();
  if (json) {
    Json out = {{"run_dir", s.run_dir},
                {"last_checkpoint", s.last_checkpoint},
                {"best_checkpoint", s.best_checkpoint},
                {"epochs", s.epochs_done},
                {"steps", s.steps},
                {"seconds", s.seconds},
                {"weights", s.weights},
                {"best_top1", std::isfinite(s.best_top1) ? Json(s.best_top1) : Json(nullptr)},
                {"unreadable_files", s.unreadable_files},
                {"stopped_early", s.stopped_early},
                {"last_epoch", last ? train::metrics_to_json(*last) : Json(nullptr)}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "run: " << s.run_dir << "\n"
            << "epochs: " << s.epochs_done << ", steps: " << s.steps << ", time: " << format_duration(s.seconds)
            << (s.world_size > 1 ? ", processes: " + std::to_string(s.world_size) : "") << "\n";
  if (last) {
    bool ema = s.weights == "ema";
    std::cout << "val top-1: " << percent(ema ? last->ema_val_top1 : last->val_top1)
              << "  top-5: " << percent(ema ? last->ema_val_top5 : last->val_top5) << "  ("
              << (ema ? "EMA weights" : "model weights") << ", last epoch)\n";
  }
  std::cout << "best val top-1: " << percent(s.best_top1) << (s.best_checkpoint.empty() ? "" : "  (" + s.best_checkpoint + ")")
            << "\n"
            << "checkpoint: " << s.last_checkpoint << "\n";
  if (s.unreadable_files > 0) std::cout << "unreadable images skipped: " << s.unreadable_files << "\n";
  if (s.stopped_early) std::cout << "stopped early (--stop-after-steps): continue with --resume\n";
}

}  // namespace

void add_train_command(CLI::App& app, const GlobalOptions& global) {
  auto c = std::make_shared<TrainCommand>();
  using O = train::TrainOptions;
  CLI::App* cmd = app.add_subcommand(
      "train", "Train a network (--model/--graph/--arch) on ImageFolder or IDX data; resumable, data parallel");
  cmd->add_option("--config", c->config,
                  "Training recipe: a JSON file or a built-in name (" +
                      [] {
                        std::string names;
                        for (const auto& n : builtin_config_names("train")) names += (names.empty() ? "" : ", ") + n;
                        return names;
                      }() +
                      "); flags override its fields");
  c->add(cmd, "--model", [](O& o) -> std::string& { return o.model; }, "Zoo network NAME (see nasctl models)");
  c->add(cmd, "--graph", [](O& o) -> std::string& { return o.graph_file; }, "Network as graph v1 JSON FILE");
  c->add(cmd, "--arch", [](O& o) -> std::string& { return o.arch_file; }, "Network as ArchSpec JSON FILE (e.g. a search's arch.json)");
  c->add(cmd, "--width", [](O& o) -> double& { return o.width; }, "Width multiplier of zoo MobileNets (default 1.0)");
  c->add(cmd, "--data", [](O& o) -> std::string& { return o.data; },
         "ImageFolder root (train/, val/), IDX folder, or fashion-mnist (default)");
  c->add(cmd, "--labels", [](O& o) -> std::string& { return o.labels_file; }, "Class-name FILE mapping folder names");
  c->add(cmd, "--classes", [](O& o) -> int& { return o.classes; }, "Expected number of classes (checked against the data)");
  c->add(cmd, "--input-size", [](O& o) -> int& { return o.input_size; },
         "Input side in pixels (default: 32 for IDX data, else the network's)");
  c->add(cmd, "--workers", [](O& o) -> int& { return o.workers; }, "Data loading threads (default 2)");
  c->add(cmd, "--out", [](O& o) -> std::string& { return o.out; }, "Run directory RUN_DIR (required)");
  c->add(cmd, "--epochs", [](O& o) -> int& { return o.epochs; }, "Epochs (default 10)");
  c->add(cmd, "--batch-size", [](O& o) -> int& { return o.batch_size; }, "Images per step and process (default 128)");
  c->add(cmd, "--lr", [](O& o) -> double& { return o.optimizer.lr; },
         "Peak learning rate at batch 256, scaled linearly with the global batch (default 0.1)");
  c->add(cmd, "--weight-decay", [](O& o) -> double& { return o.optimizer.weight_decay; },
         "Weight decay, not on BN and biases (default 4e-5)");
  c->add(cmd, "--momentum", [](O& o) -> double& { return o.optimizer.momentum; }, "Momentum (default 0.9)");
  cmd->add_option("--optimizer", c->optimizer, "sgd (Nesterov) | rmsprop (TensorFlow's) | adamw (default sgd)");
  cmd->add_option("--schedule", c->schedule, "LR decay after warm-up: cosine | exponential | constant (default cosine)");
  c->add(cmd, "--warmup-epochs", [](O& o) -> double& { return o.schedule.warmup_epochs; },
         "Linear LR warm-up epochs (default 1)");
  c->add(cmd, "--label-smoothing", [](O& o) -> double& { return o.label_smoothing; }, "Label smoothing (default 0.1)");
  c->add(cmd, "--ema-decay", [](O& o) -> double& { return o.ema_decay; },
         "EMA of the weights, e.g. 0.9999 (default 0 = off); evaluated and saved");
  c->add(cmd, "--dropout", [](O& o) -> double& { return o.dropout; }, "Dropout before the classifier (default 0.2)");
  cmd->add_option("--augment", c->augment, "Training augmentation: rrc | crop_flip | none (default: by data)");
  c->add(cmd, "--device", [](O& o) -> std::string& { return o.device; }, "cpu | cuda | cuda:N (default cpu)");
  c->add(cmd, "--checkpoint-every-steps", [](O& o) -> int64_t& { return o.checkpoint_every_steps; },
         "Also checkpoint every N steps (default: epoch ends and every 15 minutes)");
  c->add(cmd, "--eval-every", [](O& o) -> int& { return o.eval_every_epochs; }, "Evaluate every N epochs (default 1)");
  c->add(cmd, "--stop-after-steps", [](O& o) -> int64_t& { return o.stop_after_steps; },
         "Stop abruptly after N steps without a checkpoint, as a kill would (for testing --resume)")
      ->group("");
  CLI::Option* resume = cmd->add_flag("--resume", c->flags.resume, "Continue the run in --out from its last checkpoint");
  c->overrides.emplace_back(resume, [c](O& o) { o.resume = c->flags.resume; });
  CLI::Option* deterministic =
      cmd->add_flag("--deterministic", c->flags.deterministic, "Deterministic algorithms only (repeatable runs)");
  c->overrides.emplace_back(deterministic, [c](O& o) { o.deterministic = c->flags.deterministic; });
  cmd->add_flag("--json", c->json, "Print the run summary as JSON");
  cmd->callback([c, cmd, &global] {
    train::TrainOptions options = resolve(*c, *cmd, global);
    std::unique_ptr<RunLock> lock = lock_run_folder(options.out);
    print_summary(train::run_training(options), c->json);
  });
}

}  // namespace nasctl::cli
