#include "nasctl/latency/measurements.h"

#include <cctype>
#include <cmath>
#include <filesystem>

#include "nasctl/core/error.h"
#include "nasctl/core/json.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/graph/nb201.h"
#include "nasctl/graph/zoo.h"

namespace nasctl::latency {
namespace {

/// NAS-Bench-201 options from the file's "network" description (LatBench's format), checking the
/// parts the converter relies on.
graph::Nb201Options nb201_options(const JsonView& root) {
  graph::Nb201Options o;
  if (!root.has("network")) return o;
  JsonView net = root.child("network");
  if (net.has("input")) {
    std::vector<int> input = net.get_int_list("input");
    if (input.size() != 3 || input[0] != input[1] || input[2] != 3) net.fail("input", "[N, N, 3]");
    o.input_size = input[0];
  }
  if (net.has("stem")) o.stem_channels = net.child("stem").get_int("cout", o.stem_channels);
  if (net.has("stacks")) {
    std::vector<JsonView> stacks = net.array("stacks");
    if (stacks.size() != 3) net.fail("stacks", "3 stacks");
    for (size_t i = 0; i < stacks.size(); ++i) {
      int channels = stacks[i].get_int("channels");
      if (channels != o.stem_channels << i) stacks[i].fail("channels", std::to_string(o.stem_channels << i) + " (doubling from the stem)");
      if (i == 0) o.cells_per_stack = stacks[i].get_int("cells");
      else if (stacks[i].get_int("cells") != o.cells_per_stack) stacks[i].fail("cells", std::to_string(o.cells_per_stack));
    }
  }
  if (net.has("num_classes") && net.raw().at("num_classes").is_number_integer()) o.classes = net.get_int("num_classes");
  return o;
}

double latency_of(const JsonView& entry, const std::string& device) {
  std::string column = device + "_ms";
  std::string key = entry.has(column) ? column : "latency_ms";
  if (!entry.has(key)) throw Error(entry.where() + " has neither \"" + column + "\" nor \"latency_ms\"");
  double ms = entry.get_double(key);
  if (!std::isfinite(ms) || ms <= 0) entry.fail(key, "a latency > 0 (ms)");
  return ms;
}

}  // namespace

std::string network_family(const std::string& model) {
  std::string family;
  for (char c : model.substr(0, model.find('_'))) {
    if (!std::isdigit(static_cast<unsigned char>(c))) family.push_back(c);
  }
  return family.empty() ? model : family;
}

std::string topology_signature(const graph::Graph& graph) {
  std::string sig = std::to_string(graph.input.h) + "x" + std::to_string(graph.input.w) + "x" + std::to_string(graph.input.c);
  for (const graph::Node& n : graph.nodes) {
    sig += ";" + std::to_string(int(n.op)) + "," + std::to_string(n.filters) + "," + std::to_string(n.kernel_h) +
           std::to_string(n.kernel_w) + "," + std::to_string(n.stride_h) + std::to_string(n.stride_w) + "," +
           std::to_string(n.groups) + "," + std::to_string(n.units) + "," + std::to_string(int(n.activation)) + "," + std::to_string(int(n.padding)) + ",";
    for (int p : n.input_index) sig += std::to_string(p) + ".";
  }
  return sig;
}

std::string zoo_name_for(const std::string& model, const std::string& where) {
  if (graph::is_zoo_model(model)) return model;
  std::string names;
  for (const graph::ZooEntry& e : graph::zoo_entries()) names += (names.empty() ? "" : ", ") + e.name;
  throw Error(where + ": model \"" + model + "\" is not in the zoo (" + names +
              "); give that network as an inline \"graph\" (graph v1) instead");
}

std::vector<Measurement> load_measurements(const std::string& path, const std::string& device) {
  Json json = load_json_file(path);
  const std::string file = std::filesystem::path(path).filename().string();
  JsonView root(json, path);
  graph::Nb201Options nb201 = nb201_options(root);
  std::vector<Measurement> out;
  for (const JsonView& entry : root.array("measurements")) {
    Measurement m;
    m.file = file;
    m.latency_ms = latency_of(entry, device);
    try {
      if (entry.has("arch_str")) {
        m.name = entry.get_string("arch_str");
        m.graph = graph::nb201_graph(m.name, nb201);
      } else if (entry.has("model")) {
        graph::ZooOptions zoo;
        zoo.input_size = entry.get_int("input", 0);
        zoo.classes = entry.get_int("classes", zoo.classes);
        std::string model = entry.get_string("model");
        m.graph = graph::zoo_model(zoo_name_for(model, entry.path("model")), zoo);
        m.name = model + "@" + std::to_string(m.graph.input.h);
        m.group = "family:" + network_family(model);
      } else if (entry.has("graph")) {
        m.graph = graph::graph_from_json(entry.raw().at("graph"), entry.path("graph"));
        m.name = entry.get_string("name", m.graph.name);
      } else {
        throw Error(entry.where() + " must name its network by \"model\", \"arch_str\" or \"graph\"");
      }
    } catch (const Error& e) {
      std::string what = e.what();
      // Errors from the zoo or the converter do not know where they were called from.
      if (what.rfind(path, 0) == 0) throw;
      throw Error(entry.where() + ": " + what);
    }
    if (m.group.empty()) m.group = "topology:" + topology_signature(m.graph);
    out.push_back(std::move(m));
  }
  if (out.empty()) throw Error(path + ": measurements must list at least one measurement, but the list is empty");
  return out;
}

}  // namespace nasctl::latency
