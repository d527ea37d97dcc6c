#include "nasctl/graph/nb201.h"

#include "nasctl/core/error.h"
#include "nasctl/graph/builder.h"

namespace nasctl::graph {
namespace {

struct OpName {
  Nb201Op op;
  const char* name;
};
constexpr OpName kOpNames[] = {{Nb201Op::kNone, "none"},
                               {Nb201Op::kSkip, "skip_connect"},
                               {Nb201Op::kConv1x1, "nor_conv_1x1"},
                               {Nb201Op::kConv3x3, "nor_conv_3x3"},
                               {Nb201Op::kAvgPool3x3, "avg_pool_3x3"}};

Nb201Op parse_cell_op(const std::string& name, const std::string& arch) {
  for (const OpName& e : kOpNames)
    if (name == e.name) return e.op;
  throw Error("NAS-Bench-201 arch \"" + arch + "\": op \"" + name +
              "\" must be one of none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3");
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t pos; (pos = text.find(sep, start)) != std::string::npos; start = pos + 1) parts.push_back(text.substr(start, pos - start));
  parts.push_back(text.substr(start));
  return parts;
}

/// The tensor of each cell node, built edge by edge ("" = dead node).
std::string build_cell(GraphBuilder& b, const std::string& input, const std::vector<Nb201Edge>& live, int channels,
                       const std::string& prefix) {
  std::string node[4] = {input, "", "", ""};
  for (int j = 1; j <= 3; ++j) {
    std::vector<std::string> terms;
    for (const Nb201Edge& e : live) {
      if (e.to != j) continue;
      const std::string& x = node[e.from];
      std::string edge = prefix + "_e" + std::to_string(e.from) + std::to_string(j);
      switch (e.op) {
        case Nb201Op::kSkip: terms.push_back(x); break;
        case Nb201Op::kConv1x1:
          terms.push_back(b.conv(x, channels, 1, 1, Activation::kRelu, Padding::kSame, 1, false, edge + "_conv1x1"));
          break;
        case Nb201Op::kConv3x3:
          terms.push_back(b.conv(x, channels, 3, 1, Activation::kRelu, Padding::kSame, 1, false, edge + "_conv3x3"));
          break;
        case Nb201Op::kAvgPool3x3: terms.push_back(b.avg_pool(x, 3, 1, Padding::kSame, edge + "_avgpool")); break;
        case Nb201Op::kNone: break;
      }
    }
    if (terms.empty()) continue;
    std::string sum = terms[0];
    for (size_t t = 1; t < terms.size(); ++t) sum = b.add({sum, terms[t]}, Activation::kNone, prefix + "_n" + std::to_string(j) + "_add" + std::to_string(t));
    node[j] = sum;
  }
  return node[3];
}

std::string reduction_block(GraphBuilder& b, const std::string& x, int channels, const std::string& prefix) {
  std::string a = b.conv(x, channels, 3, 2, Activation::kNone, Padding::kSame, 1, false, prefix + "_conv_a");
  std::string main = b.conv(a, channels, 3, 1, Activation::kNone, Padding::kSame, 1, false, prefix + "_conv_b");
  std::string pooled = b.avg_pool(x, 2, 2, Padding::kValid, prefix + "_shortcut_pool");
  std::string shortcut = b.conv(pooled, channels, 1, 1, Activation::kNone, Padding::kSame, 1, false, prefix + "_shortcut_conv");
  return b.add({main, shortcut}, Activation::kNone, prefix + "_add");
}

}  // namespace

std::vector<Nb201Edge> parse_nb201(const std::string& arch) {
  // "|a~0|+|b~0|c~1|+|d~0|e~1|f~2|"
  std::vector<std::string> nodes = split(arch, '+');
  if (nodes.size() != 3) {
    throw Error("NAS-Bench-201 arch \"" + arch + "\" must have 3 nodes separated by '+', but has " +
                std::to_string(nodes.size()));
  }
  std::vector<Nb201Edge> edges;
  for (int j = 1; j <= 3; ++j) {
    const std::string& text = nodes[size_t(j - 1)];
    if (text.size() < 2 || text.front() != '|' || text.back() != '|') {
      throw Error("NAS-Bench-201 arch \"" + arch + "\": node " + std::to_string(j) + " \"" + text +
                  "\" must be written |op~i|...|");
    }
    std::vector<std::string> items = split(text.substr(1, text.size() - 2), '|');
    if (int(items.size()) != j) {
      throw Error("NAS-Bench-201 arch \"" + arch + "\": node " + std::to_string(j) + " must have " + std::to_string(j) +
                  " input edge(s), but has " + std::to_string(items.size()));
    }
    for (int i = 0; i < j; ++i) {
      const std::string& item = items[size_t(i)];
      size_t tilde = item.find('~');
      if (tilde == std::string::npos || item.substr(tilde + 1) != std::to_string(i)) {
        throw Error("NAS-Bench-201 arch \"" + arch + "\": edge \"" + item + "\" must be written op~" + std::to_string(i));
      }
      edges.push_back({i, j, parse_cell_op(item.substr(0, tilde), arch)});
    }
  }
  return edges;
}

std::vector<Nb201Edge> nb201_live_edges(const std::vector<Nb201Edge>& edges) {
  bool from_input[4] = {true, false, false, false}, to_output[4] = {false, false, false, true};
  for (int j = 1; j <= 3; ++j)
    for (const Nb201Edge& e : edges)
      if (e.to == j && e.op != Nb201Op::kNone && from_input[e.from]) from_input[j] = true;
  for (int i = 2; i >= 0; --i)
    for (const Nb201Edge& e : edges)
      if (e.from == i && e.op != Nb201Op::kNone && to_output[e.to]) to_output[i] = true;
  std::vector<Nb201Edge> live;
  if (!from_input[3]) return live;
  for (const Nb201Edge& e : edges)
    if (e.op != Nb201Op::kNone && from_input[e.from] && to_output[e.to]) live.push_back(e);
  return live;
}

Graph nb201_graph(const std::string& arch, const Nb201Options& options) {
  if (options.input_size < 4) throw Error("NAS-Bench-201: input size must be >= 4, but got " + std::to_string(options.input_size));
  if (options.classes < 1) throw Error("NAS-Bench-201: classes must be >= 1, but got " + std::to_string(options.classes));
  if (options.stem_channels < 1 || options.cells_per_stack < 0) {
    throw Error("NAS-Bench-201: stem channels must be >= 1 and cells per stack >= 0, but got " +
                std::to_string(options.stem_channels) + " and " + std::to_string(options.cells_per_stack));
  }
  std::vector<Nb201Edge> live = nb201_live_edges(parse_nb201(arch));
  if (live.empty()) {
    throw Error("NAS-Bench-201 arch \"" + arch + "\": the cell output is not reachable from its input (no path of non-none edges)");
  }
  GraphBuilder b("nb201", {options.input_size, options.input_size, 3});
  b.set_exact_ids(true);  // ids name the place in the network: "s1c0_e01_conv3x3"
  std::string x = b.conv(GraphBuilder::kInput, options.stem_channels, 3, 1, Activation::kRelu, Padding::kSame, 1, false, "stem");
  int channels = options.stem_channels;
  for (int stack = 0; stack < 3; ++stack) {
    if (stack > 0) {
      channels *= 2;
      x = reduction_block(b, x, channels, "reduce" + std::to_string(stack));
    }
    for (int cell = 0; cell < options.cells_per_stack; ++cell)
      x = build_cell(b, x, live, channels, "s" + std::to_string(stack) + "c" + std::to_string(cell));
  }
  x = b.global_avg_pool(x, "gap");
  x = b.flatten(x, "flatten");
  x = b.fully_connected(x, options.classes, Activation::kNone, true, "classifier");
  Graph g = b.build(x);
  g.name = "nb201:" + arch;
  return g;
}

}  // namespace nasctl::graph
