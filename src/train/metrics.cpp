#include "nasctl/train/metrics.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include <spdlog/spdlog.h>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/svg.h"

namespace nasctl::train {
namespace {

Json number_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

double read_number(const Json& json, const char* key) {
  if (!json.contains(key) || json.at(key).is_null()) return kNaN;
  return json.at(key).get<double>();
}

}  // namespace

Json metrics_to_json(const EpochMetrics& m) {
  return {{"epoch", m.epoch},
          {"step", m.step},
          {"lr", m.lr},
          {"train_loss", number_or_null(m.train_loss)},
          {"train_top1", number_or_null(m.train_top1)},
          {"val_loss", number_or_null(m.val_loss)},
          {"val_top1", number_or_null(m.val_top1)},
          {"val_top5", number_or_null(m.val_top5)},
          {"ema_val_top1", number_or_null(m.ema_val_top1)},
          {"ema_val_top5", number_or_null(m.ema_val_top5)},
          {"images_per_s", m.images_per_s},
          {"epoch_s", m.epoch_s},
          {"unreadable_files", m.unreadable_files}};
}

EpochMetrics metrics_from_json(const Json& json, const std::string& where) {
  try {
    EpochMetrics m;
    m.epoch = json.at("epoch").get<int64_t>();
    m.step = json.at("step").get<int64_t>();
    m.lr = read_number(json, "lr");
    m.train_loss = read_number(json, "train_loss");
    m.train_top1 = read_number(json, "train_top1");
    m.val_loss = read_number(json, "val_loss");
    m.val_top1 = read_number(json, "val_top1");
    m.val_top5 = read_number(json, "val_top5");
    m.ema_val_top1 = read_number(json, "ema_val_top1");
    m.ema_val_top5 = read_number(json, "ema_val_top5");
    m.images_per_s = read_number(json, "images_per_s");
    m.epoch_s = read_number(json, "epoch_s");
    m.unreadable_files = json.value("unreadable_files", int64_t(0));
    return m;
  } catch (const Json::exception& e) {
    throw Error(where + ": not a metrics line (" + e.what() + ")");
  }
}

std::vector<EpochMetrics> read_metrics(const std::string& path) {
  std::vector<EpochMetrics> out;
  if (!std::filesystem::exists(path)) return out;
  const std::string text = read_file(path);
  std::istringstream lines(text);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty()) continue;
    std::string where = path + ":" + std::to_string(number);
    try {
      out.push_back(metrics_from_json(parse_json(line, where), where));
    } catch (const Error&) {
      // A last line without its newline was torn by a kill mid-append: drop it, as a resumed
      // search does. A bad line anywhere else is damage worth stopping for.
      const bool torn_last_line = lines.eof() && !text.empty() && text.back() != '\n';
      if (!torn_last_line) throw;
      spdlog::warn("{}: ignoring a half-written last line", where);
    }
  }
  return out;
}

void write_metrics(const std::string& path, const std::vector<EpochMetrics>& metrics) {
  std::string text;
  for (const EpochMetrics& m : metrics) text += metrics_to_json(m).dump() + "\n";
  write_file_atomic(path, text);
}

void write_curves_svg(const std::string& path, const std::vector<EpochMetrics>& metrics, const std::string& title) {
  std::vector<double> epochs, train_loss, val_loss, train_top1, val_top1, val_top5, ema_top1;
  bool has_ema = false;
  for (const EpochMetrics& m : metrics) {
    epochs.push_back(static_cast<double>(m.epoch));
    train_loss.push_back(m.train_loss);
    val_loss.push_back(m.val_loss);
    train_top1.push_back(100 * m.train_top1);
    val_top1.push_back(100 * m.val_top1);
    val_top5.push_back(100 * m.val_top5);
    ema_top1.push_back(100 * m.ema_val_top1);
    has_ema = has_ema || std::isfinite(m.ema_val_top1);
  }
  svg::Figure fig;
  fig.title = title;
  fig.columns = 2;
  svg::Panel& loss = fig.add_panel("loss");
  loss.x.label = "epoch";
  loss.y.label = "cross-entropy";
  loss.add_line("train (smoothed labels)", epochs, train_loss).markers = true;
  loss.add_line("val", epochs, val_loss).markers = true;
  svg::Panel& acc = fig.add_panel("accuracy");
  acc.x.label = "epoch";
  acc.y.label = "%";
  acc.legend = svg::LegendPosition::kBottomRight;
  acc.add_line("train top-1", epochs, train_top1).markers = true;
  acc.add_line("val top-1", epochs, val_top1).markers = true;
  acc.add_line("val top-5", epochs, val_top5).dashed = true;
  if (has_ema) acc.add_line("EMA val top-1", epochs, ema_top1).markers = true;
  fig.save(path);
}

}  // namespace nasctl::train
