#include "nasctl/report/runs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "nasctl/core/error.h"

namespace nasctl::report {
namespace fs = std::filesystem;

namespace {

constexpr const char* kSearchConfig = "nasctl.search_config";
constexpr const char* kSearchResult = "nasctl.search_result";
constexpr const char* kModelCard = "nasctl.model_card";

std::string format_of(const Json& json) {
  return json.is_object() && json.contains("format") && json["format"].is_string() ? json["format"].get<std::string>()
                                                                                    : "";
}

// A JSON file that may be missing or unreadable (a run in progress): null then, with a warning
// when it exists but does not parse.
Json read_optional_json(const std::string& path, std::vector<std::string>& warnings) {
  if (!fs::exists(path)) return nullptr;
  try {
    return load_json_file(path);
  } catch (const Error& e) {
    warnings.push_back(std::string(e.what()) + "; ignored");
    return nullptr;
  }
}

std::string last_component(const std::string& path) {
  fs::path p = fs::path(path).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

bool is_train_config(const Json& config) {
  return config.is_object() && config.contains("epochs") && config.contains("optimizer");
}

bool has_key(const std::vector<Json>& lines, const char* key) {
  return !lines.empty() && lines.front().contains(key);
}

void read_search_targets(Run& run) {
  Json family = read_optional_json(run.path + "/family.json", run.warnings);
  if (!family.is_object() || !family.contains("targets") || !family["targets"].is_array()) {
    // A multi-target search still running has its targets only in config.json.
    const Json search = run.config.is_object() ? run.config.value("search", Json::object()) : Json::object();
    const Json targets = search.value("targets_ms", Json(nullptr));
    if (!targets.is_array() || targets.size() < 2) return;
    for (const Json& t : targets) {
      TargetArch target;
      target.target_ms = t.is_number() ? t.get<double>() : 0.0;
      target.latency_ms = std::nan("");
      target.arch = nullptr;
      run.targets.push_back(std::move(target));
    }
    return;
  }
  for (const Json& t : family["targets"]) {
    if (!t.is_object()) continue;
    TargetArch target;
    target.target_ms = t.value("target_ms", 0.0);
    target.latency_ms = t.value("latency_ms", 0.0);
    target.arch_file = t.value("arch", std::string());
    if (!target.arch_file.empty()) target.arch = read_optional_json(run.path + "/" + target.arch_file, run.warnings);
    run.targets.push_back(std::move(target));
  }
}

void finish_search(Run& run) {
  run.kind = RunKind::kSearch;
  run.result = read_optional_json(run.path + "/arch.json", run.warnings);
  read_search_targets(run);
  bool targets_done = !run.targets.empty() && std::all_of(run.targets.begin(), run.targets.end(),
                                                          [](const TargetArch& t) { return !t.arch.is_null(); });
  run.finished = format_of(run.result) == kSearchResult || targets_done;
  int64_t done = run.metrics.empty() ? 0 : run.metrics.back().value("step", int64_t(0));
  if (run.config.is_object() && run.config.contains("search")) {
    run.progress = std::to_string(done) + " of " + std::to_string(run.config["search"].value("steps", int64_t(0))) +
                   " steps";
  } else {
    run.progress = std::to_string(done) + " steps";
  }
}

void finish_train(Run& run) {
  run.kind = RunKind::kTrain;
  run.result = read_optional_json(run.path + "/eval.json", run.warnings);
  for (const char* name : {"checkpoints/best.ckpt", "checkpoints/last.ckpt"}) {
    if (fs::exists(run.path + "/" + name)) run.checkpoints.push_back(name);
  }
  int64_t done = run.metrics.empty() ? 0 : run.metrics.back().value("epoch", int64_t(0));
  int64_t total = run.config.is_object() ? run.config.value("epochs", int64_t(0)) : 0;
  run.finished = total > 0 && done >= total;
  run.progress = std::to_string(done) + " of " + std::to_string(total) + " epochs";
}

Run export_run(const std::string& card_path, const Json& card) {
  Run run;
  run.kind = RunKind::kExport;
  run.path = card_path;
  run.name = last_component(card_path);
  run.result = card;
  run.finished = true;
  return run;
}

std::vector<Run> load_card_file(const std::string& path) {
  std::string card_path = path;
  if (fs::path(path).extension() == ".tflite") card_path = fs::path(path).replace_extension(".json").string();
  if (!fs::exists(card_path)) throw Error(path + ": no model card " + card_path + " beside it");
  Json card = load_json_file(card_path);
  if (format_of(card) != kModelCard) {
    throw Error(card_path + " is not a run: a file must be a model card (\"format\": \"" + kModelCard + "\")");
  }
  return {export_run(card_path, card)};
}

std::vector<Run> load_export_folder(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<Run> runs;
  for (const std::string& file : files) {
    std::vector<std::string> ignored;
    Json json = read_optional_json(file, ignored);
    if (format_of(json) == kModelCard) runs.push_back(export_run(file, json));
  }
  return runs;
}

}  // namespace

const char* run_kind_name(RunKind kind) {
  switch (kind) {
    case RunKind::kSearch: return "search";
    case RunKind::kTrain: return "training";
    case RunKind::kExport: return "export";
  }
  return "?";
}

JsonLines read_json_lines(const std::string& path) {
  JsonLines out;
  std::ifstream in(path);
  if (!in) return out;
  std::string text;
  int number = 0;
  while (std::getline(in, text)) {
    ++number;
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json line = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_discarded() || !line.is_object()) {
      std::string what = in.eof() ? "a truncated last line" : "not a JSON object";
      out.warnings.push_back(path + ":" + std::to_string(number) + ": " + what + "; skipped");
      continue;
    }
    out.lines.push_back(std::move(line));
  }
  return out;
}

std::vector<Run> load_runs(const std::string& path) {
  if (!fs::exists(path)) throw Error(path + " does not exist");
  if (!fs::is_directory(path)) return load_card_file(path);

  Run run;
  run.path = path;
  run.name = last_component(path);
  run.config = read_optional_json(path + "/config.json", run.warnings);
  JsonLines metrics = read_json_lines(path + "/metrics.jsonl");
  run.metrics = std::move(metrics.lines);
  run.warnings.insert(run.warnings.end(), metrics.warnings.begin(), metrics.warnings.end());

  std::vector<Run> exports = load_export_folder(path);  // also those written into a run folder
  if (format_of(run.config) == kSearchConfig || fs::exists(path + "/arch.json") || fs::exists(path + "/family.json") ||
      has_key(run.metrics, "reward")) {
    finish_search(run);
    exports.insert(exports.begin(), std::move(run));
    return exports;
  }
  if (is_train_config(run.config) || has_key(run.metrics, "epoch")) {
    finish_train(run);
    exports.insert(exports.begin(), std::move(run));
    return exports;
  }
  if (!exports.empty()) return exports;
  throw Error(path + " is not a run folder: it has no config.json or metrics.jsonl of a search or training run "
              "and no model card (*.json with \"format\": \"" + kModelCard + "\")");
}

}  // namespace nasctl::report
