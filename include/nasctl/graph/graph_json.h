#pragma once
/// graph v1 JSON: read and write a Graph (format in docs/formats.md).

#include <string>

#include "nasctl/core/json.h"
#include "nasctl/graph/graph.h"

namespace nasctl::graph {

/// Parses graph v1 JSON; `origin` (a file name) prefixes error messages. The result is finalized.
Graph graph_from_json(const Json& json, const std::string& origin);
/// Reads a graph v1 JSON file.
Graph load_graph_file(const std::string& path);
/// Writes graph v1 JSON (attributes only; inferred shapes are not stored). Needs no finalize.
Json graph_to_json(const Graph& graph);

}  // namespace nasctl::graph
