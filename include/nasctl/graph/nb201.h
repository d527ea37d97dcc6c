#pragma once
/// NAS-Bench-201 architectures as Graphs: an arch string such as
/// "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
/// becomes the network that the LatBench Edge TPU measurements were taken on (as the calibration
/// file describes it): no batch norm, ReLU fused after each cell conv, dead edges pruned.
///
/// Network: stem conv 3x3 (3 -> 16, ReLU); three stacks of 5 cells at 16, 32, 64 channels (32x32,
/// 16x16, 8x8 at the default input), a residual reduction block between stacks (conv 3x3 s2 C->2C,
/// conv 3x3 2C->2C, shortcut avg-pool 2x2 s2 + conv 1x1 C->2C, add; no activations); global
/// average pool, flatten, fully connected with bias.
/// Cell: node_j = sum over i < j of op(i->j)(node_i), node 0 = cell input, node 3 = cell output.
/// Edges not on an input->output path of non-"none" edges are not built; a node with k live
/// inputs costs k-1 binary adds; skip_connect is the identity.

#include <string>
#include <vector>

#include "nasctl/graph/graph.h"

namespace nasctl::graph {

/// NAS-Bench-201 cell operations.
enum class Nb201Op { kNone, kSkip, kConv1x1, kConv3x3, kAvgPool3x3 };

/// One edge i -> j of a cell.
struct Nb201Edge {
  int from = 0;
  int to = 1;
  Nb201Op op = Nb201Op::kNone;
};

/// Network options; defaults reproduce the measured network.
struct Nb201Options {
  int input_size = 32;       ///< square input side; default 32
  int classes = 10;          ///< classifier outputs; default 10 (the model default)
  int stem_channels = 16;    ///< channels of the first stack; default 16
  int cells_per_stack = 5;   ///< default 5
};

/// Parses an arch string into its six edges (order 0->1 | 0->2 1->2 | 0->3 1->3 2->3). Throws Error
/// naming the string and the bad part.
std::vector<Nb201Edge> parse_nb201(const std::string& arch);
/// The live edges: those on an input->output path of non-"none" edges. Empty when the output is
/// not reachable from the input.
std::vector<Nb201Edge> nb201_live_edges(const std::vector<Nb201Edge>& edges);
/// The finalized network; throws Error when the string is malformed or the cell output is not
/// reachable from its input.
Graph nb201_graph(const std::string& arch, const Nb201Options& options = {});

}  // namespace nasctl::graph
