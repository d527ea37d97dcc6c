// `nasctl search`: the TuNAS weight-sharing search with a REINFORCE controller. The embedded
// default (configs/search/default.json) is a quick search of the tiny space on Fashion-MNIST.
#include <cmath>
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "cli/format.h"
#include "cli/option_flags.h"
#include "nasctl/core/configs.h"
#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/progress.h"
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

void print_result(const search::SearchResult& r) {
  std::cout << "Searched " << r.steps << " steps in " << format_duration(r.seconds) << ".\n\n";
  std::cout << "Architecture (most likely under the final controller):\n";
  TextTable table({"block", "type", "kernel", "expansion", "filters", "stride", "activation", "se"},
                  {true, false, true, true, true, true, false, false});
  for (size_t i = 0; i < r.arch.blocks.size(); ++i) {
    const space::BlockSpec& b = r.arch.blocks[i];
    bool skip = b.type == space::BlockType::kSkip;
    table.add_row({std::to_string(i), space::block_type_name(b.type), skip ? "-" : std::to_string(b.kernel),
                   skip ? "-" : fixed(b.expansion, b.expansion == std::floor(b.expansion) ? 0 : 2),
                   std::to_string(b.filters), std::to_string(b.stride),
                   skip ? "-" : graph::activation_name(b.activation), skip ? "-" : (b.se ? "yes" : "no")});
  }
  std::cout << table.str() << "\n";
  double off = 100.0 * (r.latency_ms / r.target_ms - 1.0);
  std::cout << "Predicted Edge TPU latency: " << fixed(r.latency_ms, 3) << " ms on " << r.hardware << " (target "
            << fixed(r.target_ms, 3) << " ms, " << (off >= 0 ? "+" : "") << fixed(off, 1) << "%; the space spans "
            << fixed(r.min_latency_ms, 3) << " .. " << fixed(r.max_latency_ms, 3) << " ms)"
            << (r.on_edgetpu ? "; every op maps onto the Edge TPU" : "; some ops run on the host CPU") << "\n";
  std::cout << "Run files in " << r.run_dir << "/: arch.json (the architecture), search.svg, metrics.jsonl, "
            << "config.json, checkpoints/last.ckpt\n";
  std::cout << "Retrain it: nasctl train --arch " << r.run_dir << "/arch.json --data fashion-mnist --out "
            << r.run_dir << "/train\n";
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
  cmd->callback([cmd, c, &global, &app] {
    search::SearchOptions options = resolve_options(*cmd, *c, app, global);
    search::SearchControl control;
    control.stop_after_steps = c->stop_after_steps;
    search::SearchResult result = search::run_search(options, control);
    if (c->json) {
      std::cout << read_file(result.run_dir + "/arch.json");
    } else {
      print_result(result);
    }
  });
}

}  // namespace nasctl::cli
