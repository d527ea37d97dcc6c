#include "nasctl/space/network_source.h"

#include "nasctl/core/error.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/lower.h"

namespace nasctl::space {

graph::Graph load_network(const NetworkSource& source) {
  int given = !source.model.empty() + !source.graph_file.empty() + !source.arch_file.empty();
  if (given != 1) {
    throw Error(std::string(given == 0 ? "no network given" : "several networks given") +
                ": pass exactly one of --model NAME, --graph FILE, --arch FILE");
  }
  if (!source.model.empty()) return graph::zoo_model(source.model, source.zoo);
  if (!source.graph_file.empty()) {
    Json json = load_json_file(source.graph_file);
    if (is_arch_json(json)) {
      throw Error(source.graph_file + ": this is an ArchSpec (it has \"blocks\"), not a graph: pass it with --arch");
    }
    graph::Graph g = graph::graph_from_json(json, source.graph_file);
    int size = source.zoo.input_size;
    if (size > 0 && (g.input.h != size || g.input.w != size)) {
      throw Error("--input-size " + std::to_string(size) + " disagrees with " + source.graph_file + ", whose input is " +
                  g.input.str() + " (a graph's input size is fixed)");
    }
    return g;
  }
  Json json = load_json_file(source.arch_file);
  if (json.is_object() && json.contains("nodes")) {
    throw Error(source.arch_file + ": this is a graph (it has \"nodes\"), not an ArchSpec: pass it with --graph");
  }
  ArchSpec arch = arch_from_json(json, source.arch_file);
  if (source.zoo.input_size > 0) arch.input.h = arch.input.w = source.zoo.input_size;
  try {
    return lower(arch);
  } catch (const Error& e) {
    // Lowering knows the architecture, not the file or the flag that sized it.
    std::string at = source.arch_file +
                     (source.zoo.input_size > 0 ? " at --input-size " + std::to_string(source.zoo.input_size) : "");
    throw Error(at + ": " + e.what());
  }
}

}  // namespace nasctl::space
