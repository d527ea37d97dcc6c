#pragma once
/// Resolving the network a command takes: --model NAME, --graph FILE or --arch FILE.

#include <string>

#include "nasctl/graph/graph.h"
#include "nasctl/graph/zoo.h"

namespace nasctl::space {

/// Where a command's network comes from; exactly one of model / graph_file / arch_file is set.
struct NetworkSource {
  std::string model;       ///< zoo name (--model)
  std::string graph_file;  ///< graph v1 JSON (--graph)
  std::string arch_file;   ///< ArchSpec JSON (--arch)
  graph::ZooOptions zoo;   ///< --input-size / --classes for zoo networks; input_size also resizes an
                           ///< ArchSpec's input and must match a graph file's
};

/// Builds the Graph; throws Error when none or several sources are given, or the source is bad.
graph::Graph load_network(const NetworkSource& source);

}  // namespace nasctl::space
