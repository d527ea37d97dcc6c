// `nasctl models`: list the zoo, print a network as graph v1 JSON, or summarise it per node.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/app.h"
#include "cli/format.h"
#include "nasctl/core/error.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/graph/nb201.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/space/network_source.h"

namespace nasctl::cli {
namespace {

struct ModelsOptions {
  std::string show;                 ///< --show NAME: print graph v1 JSON
  std::string nb201;                ///< --nb201 ARCH_STR: print the NAS-Bench-201 network as graph v1 JSON
  bool summary = false;             ///< --summary [NAME]: per-node table
  space::NetworkSource source;      ///< NAME / --graph / --arch for --summary
  std::string positional;           ///< NAME given as a positional argument: implies --summary
  int input_size = 0;               ///< --input-size; default 0 = the network's own
  int classes = 1000;               ///< --classes; default 1000
  bool json = false;                ///< --json
};

Json node_summary_json(const graph::Node& n) {
  return {{"id", n.id},          {"op", graph::op_name(n.op)},
          {"output", {n.output.h, n.output.w, n.output.c}},
          {"macs", n.macs},      {"params", n.params},
          {"param_bytes_int8", n.param_bytes_int8}, {"activation_bytes", n.activation_bytes}};
}

Json totals_json(const graph::Graph& g) {
  graph::GraphStats s = g.stats();
  return {{"macs", s.macs},
          {"params", s.params},
          {"param_bytes_int8", s.param_bytes_int8},
          {"activation_bytes", s.activation_bytes},
          {"peak_activation_bytes", s.peak_activation_bytes}};
}

void print_summary(const graph::Graph& g, bool json) {
  if (json) {
    Json nodes = Json::array();
    for (const graph::Node& n : g.nodes) nodes.push_back(node_summary_json(n));
    Json out = {{"name", g.name}, {"input", {g.input.h, g.input.w, g.input.c}}, {"nodes", nodes}, {"totals", totals_json(g)}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  TextTable table({"id", "op", "output", "MACs", "params"}, {false, false, true, true, true});
  for (const graph::Node& n : g.nodes) {
    table.add_row({n.id, graph::op_name(n.op), n.output.str(), with_commas(n.macs), with_commas(n.params)});
  }
  graph::GraphStats s = g.stats();
  std::cout << g.name << " (input " << g.input.str() << ")\n" << table.str();
  std::cout << "nodes: " << g.nodes.size() << "\n"
            << "total MACs: " << with_commas(s.macs) << " (" << human_count(double(s.macs)) << ")\n"
            << "total params: " << with_commas(s.params) << " (" << human_count(double(s.params)) << ")\n"
            << "param bytes at int8: " << with_commas(s.param_bytes_int8) << "\n"
            << "activation bytes at int8: " << with_commas(s.activation_bytes)
            << " (peak op " << with_commas(s.peak_activation_bytes) << ")\n";
}

void print_list(const ModelsOptions& o) {
  Json list = Json::array();
  TextTable table({"name", "input", "params", "MACs", "description"}, {false, true, true, true, false});
  for (const graph::ZooEntry& e : graph::zoo_entries()) {
    if (o.input_size > 0 && o.input_size < e.min_input_size) {
      spdlog::info("{}: not listed, needs an input of at least {}", e.name, e.min_input_size);
      continue;
    }
    graph::ZooOptions zoo;
    zoo.input_size = o.input_size;
    zoo.classes = o.classes;
    graph::Graph g = graph::zoo_model(e.name, zoo);
    graph::GraphStats s = g.stats();
    table.add_row({e.name, std::to_string(g.input.h), human_count(double(s.params)), human_count(double(s.macs)),
                   e.description});
    list.push_back({{"name", e.name}, {"input", {g.input.h, g.input.w, g.input.c}}, {"params", s.params},
                    {"macs", s.macs}, {"description", e.description}});
  }
  if (o.json) {
    std::cout << list.dump(2) << "\n";
  } else {
    std::cout << table.str();
  }
}

void run_models(ModelsOptions o) {
  graph::check_zoo_request(o.input_size, o.classes, "--input-size", "--classes");
  o.source.zoo.input_size = o.input_size;
  o.source.zoo.classes = o.classes;
  if (!o.nb201.empty()) {
    graph::Nb201Options nb;  // the LatBench network: 32x32 input, 10 classes unless given
    if (o.input_size > 0) nb.input_size = o.input_size;
    if (o.classes != 1000) nb.classes = o.classes;
    std::cout << graph::graph_to_json(graph::nb201_graph(o.nb201, nb)).dump(2) << "\n";
    return;
  }
  if (!o.show.empty()) {
    space::NetworkSource source = o.source;
    source.model = o.show;
    std::cout << graph::graph_to_json(space::load_network(source)).dump(2) << "\n";
    return;
  }
  if (o.summary) {
    print_summary(space::load_network(o.source), o.json);
    return;
  }
  if (!o.source.graph_file.empty() || !o.source.arch_file.empty()) {
    throw Error("--graph / --arch are used with --summary: nasctl models --summary --graph FILE");
  }
  print_list(o);
}

}  // namespace

void add_models_command(CLI::App& app, const GlobalOptions& /*global*/) {
  auto options = std::make_shared<ModelsOptions>();
  CLI::App* cmd = app.add_subcommand("models", "List the model zoo, print a network as graph JSON, or summarise it");
  cmd->add_option("--show", options->show, "Print zoo network NAME as graph v1 JSON");
  cmd->add_option("--nb201", options->nb201, "Print a NAS-Bench-201 arch string's network (LatBench's, 10 classes) as graph v1 JSON");
  cmd->add_option("--summary", options->source.model,
                  "Per-node table (id, op, output shape, MACs, params) and totals of zoo network NAME, "
                  "or of --graph FILE / --arch FILE")
      ->expected(0, 1);
  cmd->add_option("model", options->positional, "Zoo network to summarise (same as --summary NAME)");
  cmd->add_option("--graph", options->source.graph_file, "graph v1 JSON file (with --summary)");
  cmd->add_option("--arch", options->source.arch_file, "ArchSpec JSON file (with --summary)");
  cmd->add_option("--input-size", options->input_size, "Square input size (default: the network's own)");
  cmd->add_option("--classes", options->classes, "Classifier outputs")->capture_default_str();
  cmd->add_flag("--json", options->json, "Machine-readable output");
  cmd->callback([options, cmd] {
    options->summary = cmd->get_option("--summary")->count() > 0 || !options->positional.empty();
    if (!options->positional.empty()) {
      if (!options->source.model.empty() && options->source.model != options->positional) {
        throw Error("models: two networks given: \"" + options->source.model + "\" and \"" + options->positional + "\"");
      }
      options->source.model = options->positional;
    }
    run_models(*options);
  });
}

}  // namespace nasctl::cli
