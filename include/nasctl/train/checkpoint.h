#pragma once
/// Checkpoints: a TensorArchive (nn/tensor_archive.h) following one convention, documented in
/// docs/formats.md ("Checkpoints"), which the trainer writes and eval, export and search read.
///
/// meta: {"format": "nasctl.checkpoint", "version": 1,
///        "graph": <graph v1 JSON of the network>, "arch": <ArchSpec JSON or null>,
///        "preprocess": {"input_size", "channels", "mean": [...], "std": [...], "crop_ratio", "resize"},
///        "transform": <data::transform_to_json of the evaluation transform>,
///        "classes": N, "class_names": [...], "epoch", "step", "recipe": {...}, "state": {...}}
/// tensors: "model.<name>" (GraphNet parameters and buffers), "ema.<name>" (EMA weights, when EMA is
/// on), "optimizer.<...>", "rng.<...>".

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/data/transform.h"
#include "nasctl/graph/graph.h"
#include "nasctl/nn/graph_net.h"
#include "nasctl/nn/tensor_archive.h"

namespace nasctl::train {

inline constexpr const char* kCheckpointFormat = "nasctl.checkpoint";
inline constexpr int kCheckpointVersion = 1;

/// What a checkpoint says about its network and data, beyond the tensors.
struct CheckpointInfo {
  graph::Graph graph;                    ///< the trained network
  Json arch = nullptr;                   ///< ArchSpec JSON when the network came from one
  data::TransformOptions transform;      ///< evaluation preprocessing (input size, channels, mean/std, crop)
  int classes = 0;
  std::vector<std::string> class_names;
  int64_t epoch = 0;                     ///< completed epochs
  int64_t step = 0;                      ///< completed optimizer steps
  Json recipe = Json::object();          ///< the resolved training options
  Json state = Json::object();           ///< trainer state to resume (loader position, partial sums)
};

/// The checkpoint meta for `info` (the convention above).
Json checkpoint_meta(const CheckpointInfo& info);

/// The "preprocess" object of a checkpoint or model card: input_size, channels, mean, std,
/// crop_ratio and resize (the shorter side before the center crop, round(input_size / crop_ratio)).
Json preprocess_json(const data::TransformOptions& transform);

/// A checkpoint read from disk.
struct Checkpoint {
  std::string path;
  CheckpointInfo info;
  nn::TensorArchive archive;
  /// True when it holds EMA weights ("ema.*").
  bool has_ema() const;
};

/// Reads and checks a checkpoint: format and version, a valid graph. Throws Error naming the file
/// and the key at fault.
Checkpoint load_checkpoint(const std::string& path);

/// Which weights to take from a checkpoint.
enum class Weights {
  kAuto,   ///< EMA when present, else the model's
  kModel,  ///< "model.*"
  kEma,    ///< "ema.*" (an error when absent)
};
/// Parses "auto" | "model" | "ema"; throws naming `where`.
Weights parse_weights(const std::string& name, const std::string& where);

/// A GraphNet of the checkpoint's graph with its weights (eval mode). A checkpoint whose tensors do
/// not fit the graph throws Error naming the first mismatching tensor.
nn::GraphNet network_from_checkpoint(const Checkpoint& checkpoint, Weights weights = Weights::kAuto);

/// Loads the checkpoint's weights into `net` (another GraphNet of the same architecture, e.g. one
/// built from --arch); throws Error naming the first tensor that does not fit.
void load_weights(const Checkpoint& checkpoint, nn::GraphNet& net, Weights weights = Weights::kAuto);

/// Saves the state of LibTorch's default CPU generator (dropout's randomness) as "rng.torch_cpu",
/// and restores it.
void save_rng_state(nn::TensorArchive& archive);
void load_rng_state(const nn::TensorArchive& archive, const std::string& origin);

}  // namespace nasctl::train
