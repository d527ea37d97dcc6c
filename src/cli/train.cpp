// `nasctl train`: train a network (zoo, graph or ArchSpec) on an ImageFolder or IDX data set.
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <iostream>

#include "cli/app.h"
#include "cli/format.h"
#include "cli/option_flags.h"
#include "nasctl/core/configs.h"
#include "nasctl/core/error.h"
#include "nasctl/core/progress.h"
#include "nasctl/train/trainer.h"

namespace nasctl::cli {
namespace {

/// The flags of `nasctl train` that are not recipe options.
struct TrainCommand {
  std::string config;            ///< --config FILE|NAME; default none (the built-in defaults)
  bool resume = false;           ///< --resume
  int64_t stop_after_steps = 0;  ///< --stop-after-steps (hidden; tests of --resume)
  bool json = false;             ///< --json
  std::unique_ptr<OptionFlags<train::TrainOptions>> options;  ///< the rest: one flag per option
};

// Resuming without --config: the run's own resolved config is the recipe (none: the defaults).
Json run_recipe(const std::string& run_dir, std::string* origin) {
  *origin = run_dir + "/config.json";
  if (!std::filesystem::exists(*origin)) {
    throw Error("--resume: " + run_dir + " holds no training run (no config.json); pass --config or the network "
                "and data flags to start one");
  }
  Json config = load_json_file(*origin);
  config.erase("resolved");
  return config;
}

train::TrainOptions resolve(const TrainCommand& c, const CLI::App& cmd, const GlobalOptions& global) {
  OptionLayers layers;
  layers.kind = "train";
  layers.config = c.config;
  layers.config_given = !c.config.empty();
  layers.flags = c.options->patch(*cmd.get_parent(), global);
  layers.resume = c.resume;
  layers.load_run = run_recipe;
  layers.changes = ResumeChanges::kAllow;  // the trainer warns about what changed (docs/training.md)
  train::TrainOptions o = layer_options(train::train_option_schema(), layers);
  o.resume = c.resume;
  o.stop_after_steps = c.stop_after_steps;
  o.validate();
  return o;
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
  CLI::App* cmd = app.add_subcommand(
      "train", "Train a network (--model/--graph/--arch) on ImageFolder or IDX data; resumable, data parallel");
  cmd->add_option("--config", c->config,
                  "Training recipe: a JSON file or a built-in name (" + join_names(builtin_config_names("train")) +
                      "); flags override its fields");
  c->options = std::make_unique<OptionFlags<train::TrainOptions>>(cmd, train::train_option_schema(),
                                                                    train::TrainOptions());
  cmd->add_option("--stop-after-steps", c->stop_after_steps,
                  "Stop abruptly after N steps without a checkpoint, as a kill would (for testing --resume)")
      ->group("");
  cmd->add_flag("--resume", c->resume, "Continue the run in --out from its last checkpoint");
  cmd->add_flag("--json", c->json, "Print the run summary as JSON");
  cmd->callback([c, cmd, &global] {
    train::TrainOptions options = resolve(*c, *cmd, global);
    std::unique_ptr<RunLock> lock = lock_run_folder(options.out);
    print_summary(train::run_training(options), c->json);
  });
}

}  // namespace nasctl::cli
