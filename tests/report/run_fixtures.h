#pragma once
// Small run folders in the shapes `nasctl search`, `nasctl train` and `nasctl export` write
// (docs/search.md, docs/training.md, docs/export.md), for the report's tests. The browser test
// in tests/cli makes its runs with the real commands.

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "nasctl/core/files.h"
#include "nasctl/core/json.h"
#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/latency/hardware_profile.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/search_space.h"

namespace nasctl::testing {

inline void write_lines(const std::string& path, const std::vector<Json>& lines) {
  std::string text;
  for (const Json& l : lines) text += l.dump() + "\n";
  write_file_atomic(path, text);
}

inline double predicted_ms(const space::ArchSpec& arch) {
  return latency::EdgeTpuModel(latency::load_hardware_profile("coral-usb3")).predict_ms(space::lower(arch));
}

/// The tiny space's architecture with every decision at choice `c` (clamped to its choices).
inline std::vector<int> uniform_choice(const space::SearchSpace& space, int c) {
  std::vector<int> indices;
  for (const auto& d : space.decisions()) indices.push_back(std::min<int>(c, int(d.choices.size()) - 1));
  return indices;
}

/// search.target_ms of a fixture search.
constexpr double kFixtureTargetMs = 0.55;

/// arch.json of the tiny space at `indices`.
inline Json search_result(const space::SearchSpace& space, const std::vector<int>& indices, double target_ms,
                          int64_t steps) {
  space::ArchSpec arch = space.decode(indices);
  arch.name = "tiny_search";
  Json decisions = Json::array();
  std::vector<bool> active = space.active(indices);
  for (size_t d = 0; d < space.decisions().size(); ++d) {
    const auto& decision = space.decisions()[d];
    std::vector<double> p(decision.choices.size(), 0.1 / double(decision.choices.size() - 1));
    p[size_t(indices[d])] = 0.9;
    decisions.push_back({{"name", decision.name}, {"kind", space::decision_kind_name(decision.kind)},
                         {"choices", decision.choices}, {"probabilities", p}, {"chosen", indices[d]},
                         {"active", static_cast<bool>(active[d])}});
  }
  return {{"format", "nasctl.search_result"}, {"version", 1}, {"arch", space::arch_to_json(arch)},
          {"latency_ms", predicted_ms(arch)}, {"target_ms", target_ms}, {"hardware", "coral-usb3"},
          {"on_edgetpu", true}, {"min_latency_ms", 0.3}, {"max_latency_ms", 0.9}, {"indices", indices},
          {"steps", steps}, {"decisions", decisions}};
}

/// A search run of `steps` steps over `total` (arch.json only when steps == total). With
/// `targets` (a multi-target search), each line holds one entry per controller under
/// "controllers", as `nasctl search --config` with "targets_ms" writes it (no family.json here).
inline void write_search_run(const std::string& dir, int64_t steps, int64_t total, std::vector<double> targets = {}) {
  std::filesystem::create_directories(dir + "/checkpoints");
  space::SearchSpace space = space::SearchSpace::load("tiny");
  Json search = {{"space", "tiny"}, {"data", "fashion-mnist"}, {"hardware", "coral-usb3"}, {"steps", total},
                 {"seed", 0}, {"controller", {{"reward", "absolute"}}}};
  if (targets.empty()) {
    search["target_ms"] = kFixtureTargetMs;
  } else {
    search["targets_ms"] = targets;
  }
  Json config = {{"format", "nasctl.search_config"}, {"version", 1}, {"search", search},
                 {"resolved", {{"input", {28, 28, 1}}, {"classes", 10}, {"space", space.json()},
                               {"hardware", latency::profile_to_json(latency::load_hardware_profile("coral-usb3"))}}}};
  write_file_atomic(dir + "/config.json", config.dump(2));
  std::vector<Json> lines;
  for (int64_t s = 1; s <= steps; ++s) {
    std::vector<Json> entries;
    for (size_t k = 0; k < std::max<size_t>(1, targets.size()); ++k) {
      std::vector<int> likely = uniform_choice(space, int(k) + 1);
      Json probs = Json::array();
      for (const auto& d : space.decisions()) probs.push_back(std::vector<double>(d.choices.size(), 1.0 / double(d.choices.size())));
      entries.push_back({{"q", 0.5 + 0.01 * double(s)}, {"reward", 0.4 + 0.01 * double(s)},
                         {"baseline", s > 2 ? Json(0.4) : Json(nullptr)}, {"latency_ms", 0.5}, {"most_likely", likely},
                         {"most_likely_latency_ms", predicted_ms(space.decode(likely))}, {"probabilities", probs}});
      if (!targets.empty()) entries.back()["target_ms"] = targets[k];
    }
    Json line = {{"step", s}, {"lr", 0.1}, {"loss", 1.0}, {"elapsed_s", 0.5 * double(s)}};
    if (targets.empty()) {
      line.update(entries[0]);
    } else {
      line["controllers"] = entries;
    }
    lines.push_back(line);
  }
  write_lines(dir + "/metrics.jsonl", lines);
  if (steps == total && targets.empty()) {
    write_file_atomic(dir + "/arch.json", search_result(space, uniform_choice(space, 1), kFixtureTargetMs, steps).dump(2));
  }
}

/// A training run of a tiny-space architecture (choice `c` everywhere): one line per epoch with
/// the given raw and EMA validation top-1 (NaN = not measured).
inline void write_train_run(const std::string& dir, int c, const std::vector<double>& val_top1,
                            const std::vector<double>& ema_top1, int64_t epochs) {
  std::filesystem::create_directories(dir + "/checkpoints");
  space::SearchSpace space = space::SearchSpace::load("tiny");
  space::ArchSpec arch = space.decode(uniform_choice(space, c));
  arch.name = "tiny_" + std::to_string(c);
  graph::Graph g = space::lower(arch);
  Json config = {{"arch", dir + "/arch.json"}, {"data", "fashion-mnist"}, {"epochs", epochs}, {"batch_size", 8},
                 {"optimizer", {{"name", "sgd"}, {"lr", 0.1}}}, {"ema_decay", 0.9},
                 {"resolved", {{"network", {{"name", g.name}, {"input", {28, 28, 1}}, {"params", g.stats().params},
                                            {"macs", g.stats().macs}}},
                               {"classes", 10}, {"global_batch", 8}, {"peak_lr", 0.003},
                               {"arch", space::arch_to_json(arch)}}}};
  write_file_atomic(dir + "/config.json", config.dump(2));
  std::vector<Json> lines;
  for (size_t e = 0; e < val_top1.size(); ++e) {
    auto or_null = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
    lines.push_back({{"epoch", e + 1}, {"step", 10 * (e + 1)}, {"lr", 0.1 / double(e + 1)}, {"train_loss", 1.0},
                     {"train_top1", 0.5}, {"val_loss", 0.9}, {"val_top1", or_null(val_top1[e])}, {"val_top5", 0.99},
                     {"ema_val_top1", or_null(ema_top1[e])}, {"ema_val_top5", or_null(ema_top1[e])},
                     {"images_per_s", 1000.0 + double(e)}, {"epoch_s", 2.0}, {"unreadable_files", 0}});
  }
  write_lines(dir + "/metrics.jsonl", lines);
  write_file_atomic(dir + "/checkpoints/last.ckpt", "x");
}

/// A model card as `nasctl export --quantize int8` writes it, with one op the Edge TPU does not map.
inline Json model_card() {
  return parse_json(R"card({"format": "nasctl.model_card", "version": 1, "model": "m.tflite", "name": "tiny_1",
    "precision": "int8",
    "input": {"height": 28, "width": 28, "channels": 1, "layout": "NHWC",
              "tensors": [{"name": "input", "shape": [1, 28, 28, 1], "dtype": "int8",
                           "quantization": {"scale": 0.0157, "zero_point": -1}}]},
    "preprocessing": null, "feeding": "Feed x.",
    "output": {"meaning": "logits (argmax is the class)",
               "tensors": [{"name": "classifier", "shape": [1, 10], "dtype": "float32", "quantization": null}]},
    "classes": 10, "class_names": null,
    "latency": {"hardware": "coral-usb3", "predicted_ms": 0.4321, "predicted_lo_ms": 0.35, "predicted_hi_ms": 0.52,
                "interval_coverage": 0.8, "model": "nasctl analytical Edge TPU model"},
    "edgetpu": {"one_partition": false, "operators": 9, "edgetpu_operators": 8, "cpu_operators": 1,
                "unsupported": [{"op_index": 8, "op": "DEQUANTIZE", "node": "classifier",
                                 "reason": "DEQUANTIZE is not mapped"}]},
    "source": {"checkpoint": "run/checkpoints/best.ckpt", "weights": "ema"},
    "network": {"macs": 1000, "params": 500, "nodes": 20},
    "tflite": {"operators": {"CONV_2D": 5, "DEPTHWISE_CONV_2D": 2, "MEAN": 1, "DEQUANTIZE": 1}, "tensors": 30}})card",
                    "card");
}

}  // namespace nasctl::testing
