#pragma once
/// The trained parameters the exporter reads, keyed by graph node, without LibTorch in the header:
/// a checkpoint (TensorArchive, nasctl.checkpoint convention) or a live GraphNet become a
/// NodeWeights map that lowering folds and converts.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/graph/graph.h"

namespace nasctl::exporter {

/// A float tensor on the host, in LibTorch's layout (conv [O, I/groups, kh, kw], linear [out, in]).
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;
};

/// Per node id, its parameters and buffers by GraphNet's names: conv "weight" (+ "bias"); BN
/// "weight", "bias", "running_mean", "running_var"; fully_connected "weight" [units, inputs] with
/// inputs in NHWC order (+ "bias").
using NodeWeights = std::map<std::string, std::map<std::string, HostTensor>>;

/// Which weights of a checkpoint to export.
enum class WeightSet { kAuto, kModel, kEma };

struct CheckpointOptions {
  /// kAuto (default): the EMA weights when the checkpoint has them, else the model's; kModel /
  /// kEma force one (kEma fails when there are none).
  WeightSet weights = WeightSet::kAuto;
};

/// A checkpoint read for export: the network it holds, its weights and metadata.
struct Checkpoint {
  graph::Graph graph;         ///< from the checkpoint's "graph" (or the caller's network)
  NodeWeights weights;
  Json meta = Json::object(); ///< the archive's metadata (preprocess, classes, class_names, arch, ...)
  std::string weight_set;     ///< "ema" or "model": which ones were taken
};

/// Reads `path` (a TensorArchive). The network is `network` when given (finalized graph, e.g. from
/// --model / --graph / --arch), else the checkpoint's own "graph". Loads the weights into a GraphNet
/// of that network, so a checkpoint of another architecture fails with an Error naming the first
/// mismatching tensor (missing, or of another shape).
Checkpoint load_checkpoint(const std::string& path, const graph::Graph* network, const CheckpointOptions& options = {});

/// GraphNet's deterministic initialisation of `graph` from `seed` (no training), as NodeWeights;
/// for exporting an untrained architecture (e.g. to compile it and measure its latency).
NodeWeights initial_weights(const graph::Graph& graph, uint64_t seed);

}  // namespace nasctl::exporter
