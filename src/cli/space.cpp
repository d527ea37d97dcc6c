// `nasctl space`: show a search space (decisions, choices, size) or sample architectures from it.
#include <iostream>
#include <map>
#include <random>

#include "cli/app.h"
#include "cli/format.h"
#include "nasctl/core/configs.h"
#include "nasctl/core/error.h"
#include "nasctl/space/search_space.h"

namespace nasctl::cli {
namespace {

struct SpaceOptions {
  std::string space = "tiny";  ///< --space NAME|FILE; default tiny
  int sample = 0;              ///< --sample N: print N random architectures; default 0 = show the space
  bool list = false;           ///< --list: the built-in spaces
  bool json = false;           ///< --json
  uint64_t seed = 0;           ///< the global --seed

  void validate() const {
    if (sample < 0) throw Error("--sample must be >= 0, but got " + std::to_string(sample));
  }
};

std::string choices_text(const space::Decision& d) {
  std::string out;
  for (const Json& c : d.choices) out += (out.empty() ? "" : " | ") + space::choice_text(c);
  return out;
}

// Output channels each filter multiplier gives (the stage's first layer stands for all).
std::vector<int> multiplier_filters(const space::SearchSpace& sp, const space::Decision& d) {
  std::vector<int> filters;
  for (const Json& c : d.choices) filters.push_back(sp.layer_filters(d.layers.front(), c.get<double>()));
  return filters;
}

struct StageInfo {
  int filters = 0, stride = 1, layers = 0;
  std::string fixed;  // settings that are the same fixed value on every layer of the stage
};

std::vector<StageInfo> stage_infos(const space::SearchSpace& sp) {
  std::vector<StageInfo> stages(sp.num_stages());
  for (size_t id = 0; id < sp.layers().size(); ++id) {
    const space::LayerSlot& slot = sp.layers()[id];
    StageInfo& s = stages[slot.stage];
    if (slot.index_in_stage == 0) s.filters = slot.base_filters, s.stride = slot.stride;
    ++s.layers;
  }
  for (int s = 0; s < sp.num_stages(); ++s) {
    for (int k = 0; k < space::kNumDecisionKinds; ++k) {
      auto kind = static_cast<space::DecisionKind>(k);
      std::map<std::string, int> values;
      bool all_fixed = true;
      for (size_t id = 0; id < sp.layers().size(); ++id) {
        if (sp.layers()[id].stage != s) continue;
        std::vector<Json> choices = sp.layer_choices(static_cast<int>(id), kind);
        all_fixed = all_fixed && choices.size() == 1;
        ++values[space::choice_text(choices.front())];
      }
      if (all_fixed && values.size() == 1) {
        stages[s].fixed += (stages[s].fixed.empty() ? "" : ", ") + std::string(space::decision_kind_name(kind)) + " " +
                           values.begin()->first;
      }
    }
  }
  return stages;
}

Json space_json(const space::SearchSpace& sp) {
  Json decisions = Json::array();
  for (const space::Decision& d : sp.decisions()) {
    Json j = {{"name", d.name}, {"kind", space::decision_kind_name(d.kind)}, {"choices", d.choices}, {"layers", d.layers}};
    if (d.kind == space::DecisionKind::kFilterMultiplier) j["filters"] = multiplier_filters(sp, d);
    decisions.push_back(std::move(j));
  }
  Json stages = Json::array();
  for (const StageInfo& s : stage_infos(sp)) {
    stages.push_back({{"filters", s.filters}, {"stride", s.stride}, {"layers", s.layers}});
  }
  const space::StemSpec& stem = sp.stem();
  return {{"name", sp.name()},
          {"description", sp.description()},
          {"origin", sp.origin()},
          {"input", {sp.input().h, sp.input().w, sp.input().c}},
          {"classes", sp.classes()},
          {"stem", {{"filters", stem.filters}, {"kernel", stem.kernel}, {"stride", stem.stride},
                    {"activation", graph::activation_name(stem.activation)}}},
          {"stages", stages},
          {"head", {{"filters", sp.head().filters}, {"activation", graph::activation_name(sp.head().activation)},
                    {"hidden", sp.head().hidden}}},
          {"decisions", decisions},
          {"log10_size", sp.log10_size()},
          {"log10_combinations", sp.log10_combinations()}};
}

void print_space(const space::SearchSpace& sp) {
  const space::StemSpec& stem = sp.stem();
  const space::HeadSpec& head = sp.head();
  std::cout << "space: " << sp.name() << " (" << sp.origin() << ")\n";
  if (!sp.description().empty()) std::cout << "  " << sp.description() << "\n";
  std::cout << "input: " << sp.input().str() << ", " << sp.classes() << " classes\n"
            << "stem: " << stem.filters << " filters, " << stem.kernel << "x" << stem.kernel << " stride " << stem.stride
            << ", " << graph::activation_name(stem.activation) << "\n\n";
  TextTable stages({"stage", "filters", "stride", "layers", "fixed"}, {false, true, true, true, false});
  std::vector<StageInfo> infos = stage_infos(sp);
  for (size_t s = 0; s < infos.size(); ++s) {
    stages.add_row({std::to_string(s), std::to_string(infos[s].filters), std::to_string(infos[s].stride),
                    std::to_string(infos[s].layers), infos[s].fixed});
  }
  std::cout << stages.str() << "\n";
  std::cout << "head: " << (head.filters > 0 ? "1x1 conv " + std::to_string(head.filters) + " " +
                                                   graph::activation_name(head.activation) + ", "
                                             : std::string())
            << "global average pool, "
            << (head.hidden > 0 ? "fully connected " + std::to_string(head.hidden) + " " +
                                      graph::activation_name(head.activation) + ", "
                                : std::string())
            << "classifier " << sp.classes() << "\n\n";
  TextTable decisions({"decision", "choices"}, {false, false});
  for (const space::Decision& d : sp.decisions()) {
    std::string choices = choices_text(d);
    if (d.kind == space::DecisionKind::kFilterMultiplier) {
      std::string filters;
      for (int f : multiplier_filters(sp, d)) filters += (filters.empty() ? "" : " | ") + std::to_string(f);
      choices += "  (" + filters + " filters)";
    }
    decisions.add_row({d.name, choices});
  }
  std::cout << sp.decisions().size() << " decisions:\n" << decisions.str() << "\n";
  std::cout << "architectures: 10^" << fixed(sp.log10_size(), 2) << " distinct (10^" << fixed(sp.log10_combinations(), 2)
            << " choice combinations, counting the decisions of skipped layers as TuNAS does)\n";
}

void print_list(bool json) {
  Json out = Json::array();
  TextTable table({"space", "input", "decisions", "log10 size", "description"}, {false, false, true, true, false});
  for (const std::string& name : builtin_config_names("spaces")) {
    space::SearchSpace sp = space::SearchSpace::load(name);
    out.push_back({{"name", name}, {"decisions", sp.decisions().size()}, {"log10_size", sp.log10_size()}});
    std::string description = sp.description().substr(0, sp.description().find(':'));
    table.add_row({name, sp.input().str(), std::to_string(sp.decisions().size()), fixed(sp.log10_size(), 2), description});
  }
  std::cout << (json ? out.dump(2) + "\n" : table.str());
}

void run_space(const SpaceOptions& o) {
  o.validate();
  if (o.list) return print_list(o.json);
  space::SearchSpace sp = space::SearchSpace::load(o.space);
  if (o.sample > 0) {
    std::mt19937_64 rng(o.seed);
    for (int i = 0; i < o.sample; ++i) {
      space::ArchSpec arch = sp.decode(sp.sample(rng));
      arch.name = sp.name() + "_sample" + std::to_string(i);
      std::cout << space::arch_to_json(arch).dump() << "\n";
    }
    return;
  }
  if (o.json) {
    std::cout << space_json(sp).dump(2) << "\n";
  } else {
    print_space(sp);
  }
}

}  // namespace

void add_space_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<SpaceOptions>();
  std::string builtin;
  for (const std::string& name : builtin_config_names("spaces")) builtin += (builtin.empty() ? "" : ", ") + name;
  CLI::App* cmd = app.add_subcommand("space", "Show a search space's decisions and size, or sample architectures from it");
  cmd->add_option("--space", options->space, "Built-in space (" + builtin + ") or a space JSON file")
      ->capture_default_str();
  cmd->add_option("--sample", options->sample,
                  "Print N uniformly sampled architectures as ArchSpec JSON, one per line (seeded by --seed)");
  cmd->add_flag("--list", options->list, "List the built-in spaces");
  cmd->add_flag("--json", options->json, "The decision table as JSON");
  cmd->callback([options, &global] {
    options->seed = global.seed;
    run_space(*options);
  });
}

}  // namespace nasctl::cli
