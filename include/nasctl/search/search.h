#pragma once
/// The TuNAS search loop behind `nasctl search`.
///
/// Each step, on every rank:
///   1. a shared-weights step: an architecture sampled from the controller (or, during the op
///      warm-up, uniformly; during the filter warm-up with the largest filters) is trained on a
///      training batch through the supernet; gradients are averaged over ranks;
///   2. a controller step: a freshly sampled architecture is evaluated on a batch of the held-out
///      validation split (carved from the training data; never the test set) for its accuracy Q,
///      its latency T comes from the Edge TPU model, R = reward(Q, T, T0); once RL has started
///      (after controller.start of the steps) the REINFORCE gradient with advantage R - baseline
///      is averaged over ranks and applied with Adam, and the baseline moves to the ranks' mean R.
/// Rank 0 writes RUN_DIR: config.json, metrics.jsonl (one line per step), checkpoints/last.ckpt
/// (atomic, every checkpoint_every steps and at the end), arch.json and search.svg.
///
/// Several targets (a family, SearchOptions::targets_ms) share one supernet and one run: each
/// target has its own controller, reward baseline and Adam state. Each step trains the shared
/// weights once, on an architecture sampled from the controllers in turn (round robin), and every
/// controller takes its REINFORCE step on its own sample, all Q's measured on the same validation
/// batch, each reward against its own target. A family writes arch-<T0>.json per target and
/// family.json instead of arch.json; with one target the run is exactly the single search.

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/core/progress.h"
#include "nasctl/search/controller.h"
#include "nasctl/search/options.h"
#include "nasctl/space/arch_spec.h"

namespace nasctl::search {

/// Knobs of a run that are not part of its config (tests, the CLI).
struct SearchControl {
  /// How progress shows; default auto (a bar on a terminal, log lines otherwise).
  ProgressMode progress = ProgressMode::kAuto;
  /// Stop abruptly after this many steps in total, without a checkpoint, as a kill would (tests of
  /// --resume); default 0 = never.
  int64_t stop_after_steps = 0;
};

/// What a search found for one latency target: the most likely architecture under that target's
/// final controller.
struct TargetResult {
  double target_ms = 0;
  space::ArchSpec arch;
  std::vector<int> indices;
  double latency_ms = 0;          ///< predicted on the run's hardware profile
  bool on_edgetpu = true;         ///< every op maps onto the Edge TPU
  LogitTable probabilities;       ///< per decision, per choice
  std::string arch_file;          ///< "arch.json" (single target) or "arch-<T0>.json" (a family)
};

/// The outcome of a search: one TargetResult per target, ascending (one for a single target).
struct SearchResult {
  std::string run_dir;
  std::vector<TargetResult> targets;
  std::string hardware;           ///< profile name
  int64_t steps = 0;              ///< steps completed
  double seconds = 0;             ///< wall time of this process's part of the run
  double min_latency_ms = 0;      ///< fastest architecture the (masked) space allows
  double max_latency_ms = 0;      ///< slowest

  /// The first (for a single-target search, the only) target's result.
  const TargetResult& first() const { return targets.at(0); }
};

/// The name of a family member's architecture file: "arch-0.6.json" for T0 = 0.6 ms (the shortest
/// decimal that reads back as T0).
std::string family_arch_file(double target_ms);

/// Runs a search (or resumes the one in options.out with options.resume). Throws Error for bad
/// options, data, space or hardware profile, for a target below the space's fastest architecture
/// (before any training), and a runtime Error when the run diverges (non-finite loss; the last
/// good checkpoint stays) or is interrupted (SIGINT/SIGTERM; a checkpoint is written first).
SearchResult run_search(const SearchOptions& options, const SearchControl& control = {});

/// The path of a run's checkpoint: RUN_DIR/checkpoints/last.ckpt.
std::string search_checkpoint_path(const std::string& run_dir);

/// Reads RUN_DIR/config.json of a search run and returns its options (for --resume).
SearchOptions load_run_options(const std::string& run_dir);

}  // namespace nasctl::search
