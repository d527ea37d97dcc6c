#pragma once
/// `nasctl train`: the whole training run. Resolves the data and the network, trains with the
/// recipe, evaluates every epoch, writes RUN_DIR/{config.json, metrics.jsonl, curves.svg,
/// checkpoints/last.ckpt, checkpoints/best.ckpt}, resumes a killed run exactly (CPU), and runs data
/// parallel over processes started by a torchrun-style launcher (see distributed.h).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/data/dataset.h"
#include "nasctl/data/transform.h"
#include "nasctl/graph/graph.h"
#include "nasctl/train/metrics.h"
#include "nasctl/train/options.h"

namespace nasctl::train {

/// The data, network and preprocessing of a run, resolved from the options:
///  - zoo networks (--model) are built for the data: its classes, its channels (1 for IDX, so
///    Fashion-MNIST trains a 1-channel network), input_size or 32 for small fixed-size images
///    (IDX) or the network's own size otherwise;
///  - ArchSpec networks (--arch) keep their blocks but take the data's classes and channels, and
///    --input-size when given;
///  - graph networks (--graph) are used as they are; their classes must equal the data's, their
///    input must be square, and a different --input-size is an error. The data is converted to
///    the graph's channels.
struct TrainSetup {
  std::shared_ptr<data::Dataset> train_data;
  std::shared_ptr<data::Dataset> val_data;
  graph::Graph graph;
  Json arch = nullptr;                      ///< ArchSpec JSON for --arch networks
  data::TransformOptions train_transform;   ///< resolved (channels, mean/std)
  data::TransformOptions eval_transform;
  int classes = 0;
  std::vector<std::string> class_names;
};

/// Opens the data and builds the network; throws Error (naming the flag, file and value) for a
/// missing or empty data folder, --classes that disagree with the data, a graph whose outputs or
/// input do not fit, and the like.
TrainSetup resolve_setup(const TrainOptions& options);

/// What a finished (or stopped) run reports.
struct TrainSummary {
  std::string run_dir;
  std::string last_checkpoint;   ///< RUN_DIR/checkpoints/last.ckpt
  std::string best_checkpoint;   ///< RUN_DIR/checkpoints/best.ckpt ("" before any evaluation)
  std::vector<EpochMetrics> metrics;
  int64_t steps = 0;
  int64_t epochs_done = 0;
  double best_top1 = kNaN;       ///< best evaluated top-1 (EMA weights when EMA is on)
  std::string weights = "model"; ///< "ema" or "model": the weights evaluated and kept as best
  int64_t unreadable_files = 0;
  double seconds = 0;
  bool stopped_early = false;    ///< ended by stop_after_steps (no final checkpoint)
  int world_size = 1;
  int rank = 0;                  ///< this process's rank (only rank 0 writes the run directory)
};

/// Runs the training described by `options` (validated here). Progress on stderr, logs through
/// spdlog; rank 0 writes the run directory. Throws Error for bad input and a runtime Error when
/// the loss becomes NaN or infinite (the last good checkpoint stays), when a checkpoint cannot be
/// written (the previous one stays), or when interrupted by SIGINT/SIGTERM (after writing a
/// checkpoint to resume from).
TrainSummary run_training(const TrainOptions& options);

/// RUN_DIR/checkpoints/last.ckpt.
std::string last_checkpoint_path(const std::string& run_dir);

}  // namespace nasctl::train
