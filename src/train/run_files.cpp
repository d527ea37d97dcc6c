#include "train/run_files.h"

#include <spdlog/spdlog.h>

#include <cmath>

namespace nasctl::train {

std::vector<EpochMetrics> read_metrics_until(const std::string& run_dir, int64_t epochs) {
  std::vector<EpochMetrics> kept;
  for (const EpochMetrics& m : read_metrics(run_dir + "/metrics.jsonl")) {
    if (m.epoch <= epochs) kept.push_back(m);
  }
  return kept;
}

void write_run_metrics(const std::string& run_dir, const std::vector<EpochMetrics>& metrics, const std::string& name) {
  write_metrics(run_dir + "/metrics.jsonl", metrics);
  write_curves_svg(run_dir + "/curves.svg", metrics, "training " + name);
}

void log_epoch(const EpochMetrics& m, int epochs, bool ema) {
  std::string line = fmt::format("epoch {}/{}: train loss {:.4f} top-1 {:.2f}%", m.epoch, epochs, m.train_loss,
                                 100 * m.train_top1);
  if (std::isfinite(m.val_top1)) {
    line += fmt::format(" | val loss {:.4f} top-1 {:.2f}% top-5 {:.2f}%", m.val_loss, 100 * m.val_top1,
                        100 * m.val_top5);
  }
  if (ema && std::isfinite(m.ema_val_top1)) line += fmt::format(" | EMA top-1 {:.2f}%", 100 * m.ema_val_top1);
  line += fmt::format(" | {:.0f} img/s | lr {:.4g} | {:.0f} s", m.images_per_s, m.lr, m.epoch_s);
  if (m.unreadable_files > 0) line += fmt::format(" | {} unreadable files skipped", m.unreadable_files);
  spdlog::info("{}", line);
}

void warn_recipe_changes(const Json& saved, const Json& now, const std::string& origin) {
  std::string changed;
  for (const auto& [key, value] : now.items()) {
    if (key == "out") continue;
    if (!saved.contains(key) || saved.at(key) != value) changed += (changed.empty() ? "" : ", ") + key;
  }
  if (!changed.empty()) spdlog::warn("--resume: the recipe differs from {} in: {}", origin, changed);
}

}  // namespace nasctl::train
