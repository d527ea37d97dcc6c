#pragma once
/// Per-epoch training metrics: RUN_DIR/metrics.jsonl (one JSON object per line) and
/// RUN_DIR/curves.svg (loss and accuracy against epoch). No LibTorch here.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "nasctl/core/json.h"

namespace nasctl::train {

/// A metric that was not measured (written as null).
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// One line of metrics.jsonl. Fractions are in [0, 1]; NaN = not measured (written as null).
struct EpochMetrics {
  int64_t epoch = 0;             ///< 1-based epoch just completed
  int64_t step = 0;              ///< optimizer steps so far
  double lr = 0;                 ///< learning rate of the epoch's last step
  double train_loss = 0;         ///< mean training loss (with label smoothing) over the epoch
  double train_top1 = 0;         ///< top-1 on the (augmented) training batches
  double val_loss = kNaN;
  double val_top1 = kNaN;
  double val_top5 = kNaN;
  double ema_val_top1 = kNaN;    ///< with EMA weights, when EMA is on
  double ema_val_top5 = kNaN;
  double images_per_s = 0;       ///< training throughput, all ranks together
  double epoch_s = 0;            ///< wall time of the epoch (training and evaluation)
  int64_t unreadable_files = 0;  ///< corrupt or unreadable images skipped so far
};

Json metrics_to_json(const EpochMetrics& m);
EpochMetrics metrics_from_json(const Json& json, const std::string& where);

/// Reads metrics.jsonl; a missing file is an empty list; throws Error naming the line when bad.
std::vector<EpochMetrics> read_metrics(const std::string& path);
/// Writes all lines atomically (the trainer rewrites the file each epoch, so a resumed run drops
/// lines of epochs it repeats).
void write_metrics(const std::string& path, const std::vector<EpochMetrics>& metrics);
/// Two panels: loss (train, val) and accuracy (train top-1, val top-1/top-5, EMA top-1) per epoch.
void write_curves_svg(const std::string& path, const std::vector<EpochMetrics>& metrics, const std::string& title);

}  // namespace nasctl::train
