// `nasctl search`: the TuNAS weight-sharing search with a REINFORCE controller. The embedded
// default (configs/search/default.json) is a quick search of the tiny space on Fashion-MNIST.
#include <cmath>
#include <iostream>
#include <memory>
#include <vector>

#include "cli/app.h"
#include "cli/format.h"
#include "cli/option_flags.h"
#include "nasctl/core/configs.h"
#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/progress.h"
#include "nasctl/search/score.h"
#include "nasctl/search/search.h"
#include "nasctl/space/arch_spec.h"

namespace nasctl::cli {
namespace {

/// The flags of `nasctl search` that are not search options.
struct SearchCommand {
  std::string config = "default";  ///< --config FILE|NAME; default the embedded quick search
  bool resume = false;             ///< --resume
  int64_t stop_after_steps = 0;    ///< --stop-after-steps (hidden; tests of --resume)
  bool json = false;               ///< --json
  std::unique_ptr<OptionFlags<search::SearchOptions>> options;  ///< the rest: one flag per option
};

search::SearchOptions embedded_default() {
  std::string origin;
  return search::search_options_from_json(load_config("search", "default", &origin), origin);
}

search::SearchOptions resolve_options(const CLI::App& cmd, const SearchCommand& c, const CLI::App& root,
                                      const GlobalOptions& global) {
  OptionLayers layers;
  layers.kind = "search";
  layers.config = c.config;
  layers.config_given = cmd.get_option("--config")->count() > 0;
  layers.flags = c.options->patch(root, global);
  layers.resume = c.resume;
  layers.load_run = [](const std::string& run_dir, std::string* origin) {
    *origin = run_dir + "/config.json";
    return search::load_run_options(run_dir).to_json();
  };
  search::SearchOptions o = layer_options(search::search_option_schema(), layers);
  o.resume = c.resume;
  return o;
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
  auto c = std::make_shared<SearchCommand>();
  CLI::App* cmd = app.add_subcommand(
      "search", "Search a space for an accurate network that meets a latency target on the Edge TPU (TuNAS)");
  cmd->add_option("--config", c->config,
                  "Search config: a JSON file or a built-in name (default = the embedded quick search of the tiny "
                  "space on Fashion-MNIST)");
  c->options = std::make_unique<OptionFlags<search::SearchOptions>>(cmd, search::search_option_schema(),
                                                                      embedded_default());
  cmd->add_flag("--resume", c->resume, "Continue the search in --out from its checkpoint");
  cmd->add_option("--stop-after-steps", c->stop_after_steps, "Stop abruptly after N steps (for tests)")
      ->group("");
  cmd->add_flag("--json", c->json, "Print arch.json to stdout instead of the summary");
  add_score_command(*cmd);
  cmd->require_subcommand(0, 1);
  cmd->callback([cmd, c, &global, &app] {
    if (!cmd->get_subcommands().empty()) return;
    search::SearchOptions options = resolve_options(*cmd, *c, app, global);
    std::unique_ptr<RunLock> lock = lock_run_folder(options.out);
    search::SearchControl control;
    control.stop_after_steps = c->stop_after_steps;
    search::SearchResult result = search::run_search(options, control);
    if (c->json) {
      const bool family = result.targets.size() > 1;
      std::cout << read_file(result.run_dir + "/" + (family ? "family.json" : result.first().arch_file));
    } else {
      print_result(result);
    }
  });
}

}  // namespace nasctl::cli
