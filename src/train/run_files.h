#pragma once
// The trainer's run-directory bookkeeping that needs no LibTorch: metrics files, epoch log lines,
// recipe comparison on resume.

#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/train/metrics.h"

namespace nasctl::train {

/// Lines of RUN_DIR/metrics.jsonl for epochs <= `epochs` (a resumed run repeats the rest).
std::vector<EpochMetrics> read_metrics_until(const std::string& run_dir, int64_t epochs);
/// RUN_DIR/metrics.jsonl and RUN_DIR/curves.svg.
void write_run_metrics(const std::string& run_dir, const std::vector<EpochMetrics>& metrics, const std::string& name);
/// One info line per epoch.
void log_epoch(const EpochMetrics& m, int epochs, bool ema);
/// Warns about recipe keys that differ between a checkpoint and the resuming run (except "out").
void warn_recipe_changes(const Json& saved, const Json& now, const std::string& origin);

}  // namespace nasctl::train
