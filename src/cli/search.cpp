// `nasctl search`: the TuNAS weight-sharing search with a REINFORCE controller. The embedded
// default (configs/search/default.json) is a quick search of the tiny space on Fashion-MNIST.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <vector>

#include "cli/app.h"
#include "cli/format.h"
#include "nasctl/core/configs.h"
#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/progress.h"
#include "nasctl/search/score.h"
#include "nasctl/search/search.h"
#include "nasctl/space/arch_spec.h"

namespace nasctl::cli {
namespace {

/// The flags of `nasctl search`; each one given overrides the config file's value.
struct SearchFlags {
  std::string config = "default";  ///< --config FILE|NAME; default the embedded quick search
  std::string space;               ///< --space FILE|NAME
  std::string data;                ///< --data DIR|fashion-mnist
  std::string hardware;            ///< --hardware NAME|FILE
  std::vector<double> target_ms;   ///< --target-ms T0[,T1,...]
  int steps = 0;                   ///< --steps N
  int batch_size = 0;              ///< --batch-size B
  std::string out;                 ///< --out RUN_DIR
  bool resume = false;             ///< --resume
  bool edgetpu_only = true;        ///< --edgetpu-only / --no-edgetpu-only
  std::string reward;              ///< --reward absolute|mnas_soft|mnas_hard
  double beta = 0;                 ///< --beta
  double lr = 0;                   ///< --lr (supernet)
  double rl_lr = 0;                ///< --rl-lr
  int workers = 0;                 ///< --workers
  int input_size = 0;              ///< --input-size
  int checkpoint_every = 0;        ///< --checkpoint-every
  int64_t stop_after_steps = 0;    ///< --stop-after-steps (hidden; tests of --resume)
  bool json = false;               ///< --json
};

// The flags given on the command line, as a patch over the config's JSON.
Json flag_patch(const CLI::App& cmd, const SearchFlags& f, const CLI::App& root, const GlobalOptions& global) {
  Json patch = Json::object();
  auto given = [&](const char* name) { return cmd.get_option(name)->count() > 0; };
  if (given("--space")) patch["space"] = f.space;
  if (given("--data")) patch["data"] = f.data;
  if (given("--hardware")) patch["hardware"] = f.hardware;
  if (given("--target-ms")) {
    // One target is the single search; several make a family (the flag replaces the config's).
    if (f.target_ms.size() == 1) {
      patch["target_ms"] = f.target_ms[0];
    } else {
      patch["targets_ms"] = f.target_ms;
    }
  }
  if (given("--steps")) patch["steps"] = f.steps;
  if (given("--batch-size")) patch["batch_size"] = f.batch_size;
  if (given("--out")) patch["out"] = f.out;
  if (given("--edgetpu-only") || given("--no-edgetpu-only")) patch["edgetpu_only"] = f.edgetpu_only ? "on" : "off";
  if (given("--reward")) patch["controller"]["reward"] = f.reward;
  if (given("--beta")) patch["controller"]["beta"] = f.beta;
  if (given("--lr")) patch["supernet"]["lr"] = f.lr;
  if (given("--rl-lr")) patch["controller"]["lr"] = f.rl_lr;
  if (given("--workers")) patch["workers"] = f.workers;
  if (given("--input-size")) patch["input_size"] = f.input_size;
  if (given("--checkpoint-every")) patch["checkpoint_every"] = f.checkpoint_every;
  if (root.get_option("--seed")->count() > 0) patch["seed"] = global.seed;
  return patch;
}

search::SearchOptions resolve_options(const CLI::App& cmd, const SearchFlags& f, const CLI::App& root,
                                      const GlobalOptions& global) {
  Json patch = flag_patch(cmd, f, root, global);
  if (f.resume) {
    if (f.out.empty()) throw Error("--resume needs --out RUN_DIR: the run to continue");
    if (cmd.get_option("--config")->count() > 0) throw Error("--resume continues with the run's own config; drop --config");
    // The run's config.json, with the flags given now over it (the checkpoint rejects changes).
    search::SearchOptions saved = search::load_run_options(f.out);
    search::SearchOptions o = search::search_options_from_json(patch, "command line", saved);
    o.out = f.out;
    o.resume = true;
    return o;
  }
  std::string origin;
  Json config = load_config("search", f.config, &origin);
  search::SearchOptions o = search::search_options_from_json(config, origin);
  o = search::search_options_from_json(patch, "command line", o);
  return o;
}

std::string fixed(double v, int digits) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

void print_architecture(const space::ArchSpec& arch) {
  TextTable table({"block", "type", "kernel", "expansion", "filters", "stride", "activation", "se"},
                  {true, false, true, true, true, true, false, false});
  for (size_t i = 0; i < arch.blocks.size(); ++i) {
    const space::BlockSpec& b = arch.blocks[i];
    bool skip = b.type == space::BlockType::kSkip;
    table.add_row({std::to_string(i), space::block_type_name(b.type), skip ? "-" : std::to_string(b.kernel),
                   skip ? "-" : fixed(b.expansion, b.expansion == std::floor(b.expansion) ? 0 : 2),
                   std::to_string(b.filters), std::to_string(b.stride),
                   skip ? "-" : graph::activation_name(b.activation), skip ? "-" : (b.se ? "yes" : "no")});
  }
  std::cout << table.str() << "\n";
}

std::string latency_line(const search::TargetResult& t, const search::SearchResult& r) {
  double off = 100.0 * (t.latency_ms / t.target_ms - 1.0);
  return "Predicted Edge TPU latency: " + fixed(t.latency_ms, 3) + " ms on " + r.hardware + " (target " +
         fixed(t.target_ms, 3) + " ms, " + (off >= 0 ? "+" : "") + fixed(off, 1) + "%; the space spans " +
         fixed(r.min_latency_ms, 3) + " .. " + fixed(r.max_latency_ms, 3) + " ms)" +
         (t.on_edgetpu ? "; every op maps onto the Edge TPU" : "; some ops run on the host CPU");
}

void print_result(const search::SearchResult& r) {
  std::cout << "Searched " << r.steps << " steps in " << format_duration(r.seconds) << ".\n\n";
  const bool family = r.targets.size() > 1;
  for (const search::TargetResult& t : r.targets) {
    if (family) std::cout << "Target " << fixed(t.target_ms, 3) << " ms (" << t.arch_file << "):\n";
    std::cout << "Architecture (most likely under the final controller):\n";
    print_architecture(t.arch);
    std::cout << latency_line(t, r) << "\n\n";
  }
  const std::string archs = family ? "arch-<T0>.json (one per target), family.json" : "arch.json (the architecture)";
  std::cout << "Run files in " << r.run_dir << "/: " << archs << ", search.svg, metrics.jsonl, "
            << "config.json, checkpoints/last.ckpt\n";
  std::cout << "Retrain it: nasctl train --arch " << r.run_dir << "/" << r.first().arch_file
            << " --data fashion-mnist --out " << r.run_dir << "/train\n";
}

/// `nasctl search score RUN_DIR ARCH...`: architectures scored with a search's shared weights.
struct ScoreFlags {
  std::string run_dir;
  std::vector<std::string> archs;
  search::ScoreOptions options;
  bool json = false;
};

void run_score(const ScoreFlags& f) {
  std::vector<search::NamedArch> archs;
  for (const std::string& path : f.archs) archs.push_back({path, space::load_arch_file(path)});
  std::vector<search::ArchScore> scores = search::score_architectures(f.run_dir, archs, f.options);
  if (f.json) {
    Json out = Json::array();
    for (const search::ArchScore& s : scores) {
      out.push_back({{"arch", s.name}, {"accuracy", s.accuracy}, {"images", s.images},
                     {"latency_ms", s.latency_ms}, {"indices", s.indices}});
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  TextTable table({"architecture", "supernet top-1 %", "images", "latency ms"}, {false, true, true, true});
  for (const search::ArchScore& s : scores) {
    table.add_row({s.name, fixed(100.0 * s.accuracy, 2), std::to_string(s.images), fixed(s.latency_ms, 3)});
  }
  std::cout << table.str();
}

void add_score_command(CLI::App& search_cmd) {
  auto f = std::make_shared<ScoreFlags>();
  CLI::App* cmd = search_cmd.add_subcommand(
      "score", "Score architectures with a finished search's shared weights (top-1 on its validation split)");
  cmd->add_option("run", f->run_dir, "The search's run folder")->required();
  cmd->add_option("arch", f->archs, "ArchSpec files (e.g. arch.json of searches or samples) of the run's space")
      ->required();
  cmd->add_option("--batches", f->options.batches, "Validation batches per architecture (default: all)");
  cmd->add_option("--batch-size", f->options.batch_size, "Batch size (default: the search's validation batch)");
  cmd->add_option("--workers", f->options.workers, "Data decoding threads (default 1)");
  cmd->add_flag("--json", f->json, "Print the scores as JSON");
  cmd->callback([f] { run_score(*f); });
}

}  // namespace

void add_search_command(CLI::App& app, const GlobalOptions& global) {
  auto flags = std::make_shared<SearchFlags>();
  CLI::App* cmd = app.add_subcommand(
      "search", "Search a space for an accurate network that meets a latency target on the Edge TPU (TuNAS)");
  cmd->add_option("--config", flags->config,
                  "Search config: a JSON file or a built-in name (default = the embedded quick search of the tiny "
                  "space on Fashion-MNIST)");
  cmd->add_option("--space", flags->space, "Search space: a built-in name (tiny, proxylessnas, ...) or a JSON file");
  cmd->add_option("--data", flags->data, "Training data: an ImageFolder/IDX folder or fashion-mnist");
  cmd->add_option("--hardware", flags->hardware, "Hardware profile: coral-usb3, coral-devboard or a JSON file");
  cmd->add_option("--target-ms", flags->target_ms,
                  "Target latency T0 in ms on the hardware profile; several (0.6,0.7,0.8) search a family: one "
                  "controller per target over one supernet")
      ->delimiter(',');
  cmd->add_option("--steps", flags->steps, "Search steps");
  cmd->add_option("--batch-size", flags->batch_size, "Training (and validation) batch per process");
  cmd->add_option("--out", flags->out, "Run folder (default runs/search-<date>-<time>)");
  cmd->add_flag("--resume", flags->resume, "Continue the search in --out from its checkpoint");
  cmd->add_flag("--edgetpu-only,!--no-edgetpu-only", flags->edgetpu_only,
                "Forbid choices whose ops the Edge TPU compiler cannot map (default: on for Edge TPU profiles)");
  cmd->add_option("--reward", flags->reward, "Reward: absolute (TuNAS, default), mnas_soft or mnas_hard");
  cmd->add_option("--beta", flags->beta, "Latency weight/exponent of the reward (default -0.10 / -0.07 / -1)");
  cmd->add_option("--lr", flags->lr, "Peak learning rate of the shared weights");
  cmd->add_option("--rl-lr", flags->rl_lr, "Learning rate of the controller (Adam)");
  cmd->add_option("--input-size", flags->input_size, "Image size (default: the space's)");
  cmd->add_option("--workers", flags->workers, "Data decoding threads");
  cmd->add_option("--checkpoint-every", flags->checkpoint_every, "Steps between checkpoints");
  cmd->add_option("--stop-after-steps", flags->stop_after_steps, "Stop abruptly after N steps (for tests)")
      ->group("");
  cmd->add_flag("--json", flags->json, "Print arch.json to stdout instead of the summary");
  add_score_command(*cmd);
  cmd->require_subcommand(0, 1);
  cmd->callback([cmd, flags, &global, &app] {
    if (!cmd->get_subcommands().empty()) return;
    search::SearchOptions options = resolve_options(*cmd, *flags, app, global);
    std::unique_ptr<RunLock> lock = lock_run_folder(options.out);
    search::SearchControl control;
    control.stop_after_steps = flags->stop_after_steps;
    search::SearchResult result = search::run_search(options, control);
    if (flags->json) {
      const bool family = result.targets.size() > 1;
      std::cout << read_file(result.run_dir + "/" + (family ? "family.json" : result.first().arch_file));
    } else {
      print_result(result);
    }
  });
}

}  // namespace nasctl::cli
