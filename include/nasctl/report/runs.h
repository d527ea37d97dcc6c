#pragma once
/// Reading the folders that `nasctl search`, `nasctl train` and `nasctl export` write, for the
/// report. Only JSON and JSON lines are read (no LibTorch): what exists is taken, a run still in
/// progress is marked unfinished, a torn or corrupt metrics line is skipped with a warning.

#include <string>
#include <vector>

#include "nasctl/core/json.h"

namespace nasctl::report {

/// What wrote the folder.
enum class RunKind { kSearch, kTrain, kExport };
const char* run_kind_name(RunKind kind);  ///< "search", "training", "export"

/// The lines of a JSON-lines file that parse as objects; every other non-empty line becomes a
/// warning naming the file and the line number ("m.jsonl:7: not JSON (...); skipped").
struct JsonLines {
  std::vector<Json> lines;
  std::vector<std::string> warnings;
};
/// A missing file reads as no lines.
JsonLines read_json_lines(const std::string& path);

/// One arch of a multi-target search (family.json's "targets").
struct TargetArch {
  double target_ms = 0;
  double latency_ms = 0;
  std::string arch_file;  ///< as family.json names it, relative to the run folder
  Json arch;              ///< the arch json (a search result), or null when the file is missing
};

/// One run, as much of it as exists on disk.
struct Run {
  RunKind kind = RunKind::kSearch;
  std::string path;                   ///< as given on the command line (a folder, or a card file)
  std::string name;                   ///< its last path component (a card's file name for exports)
  Json config;                        ///< config.json, or null
  std::vector<Json> metrics;          ///< metrics.jsonl lines that parse
  Json result;                        ///< search: arch.json; export: the model card; train: eval.json; or null
  std::vector<TargetArch> targets;    ///< search with family.json: one per target (else empty)
  std::vector<std::string> checkpoints;  ///< train: checkpoint files that exist (relative to the run)
  bool finished = false;              ///< false while the command is still writing (or was stopped)
  std::string progress;               ///< e.g. "120 of 1000 steps"; "" when unknown
  std::vector<std::string> warnings;  ///< what was skipped while reading
};

/// Reads one command-line argument: a search or training run folder, an export folder (one run per
/// model card in it, by file name; cards inside a run folder follow its run) or a model card /
/// .tflite file. Throws Error naming the path and
/// what is missing when it is none of these.
std::vector<Run> load_runs(const std::string& path);

}  // namespace nasctl::report
