#pragma once
// The files of a search run that need no LibTorch: metrics.jsonl lines, arch.json, search.svg.

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/search/controller.h"
#include "nasctl/search/search.h"
#include "nasctl/space/search_space.h"

namespace nasctl::search {

/// Lines of RUN_DIR/metrics.jsonl with "step" <= `max_step` (a resumed run repeats the rest); a
/// missing file is empty, a torn last line (the process died while writing it) is dropped.
std::vector<Json> read_metrics_lines(const std::string& path, int64_t max_step);

/// Appends one line to metrics.jsonl and flushes it.
void append_metrics_line(const std::string& path, const Json& line);

/// Per decision: name, kind, choices, probabilities, the chosen index and whether it is active.
Json decisions_json(const space::SearchSpace& space, const LogitTable& probabilities, const std::vector<int>& chosen);

/// arch.json (or a family's arch-<T0>.json): {"format": "nasctl.search_result", "version": 1,
/// "arch": <ArchSpec>, "latency_ms", "target_ms", "hardware", "on_edgetpu", "indices", "steps",
/// "decisions": [...]} for `target` of `result`.
Json result_json(const SearchResult& result, const TargetResult& target, const space::SearchSpace& space);

/// family.json: {"format": "nasctl.search_family", "version": 1, "hardware", "steps",
/// "min_latency_ms", "max_latency_ms", "targets": [{"target_ms", "arch" (its file), "latency_ms",
/// "on_edgetpu", "indices", "spec" (the ArchSpec), "decisions"}]}.
Json family_json(const SearchResult& result, const space::SearchSpace& space);

/// The per-target entries of a metrics line: the line itself for a single-target search, else its
/// "controllers" array (empty when the line has neither).
std::vector<Json> target_entries(const Json& line);

/// search.svg: reward, baseline and Q against step; sampled and most likely latency against the
/// target; then one small panel per decision with the probability of each choice over time. For
/// several targets: each target's reward and latency tracks against its own target line (the
/// decisions' probabilities are in family.json and metrics.jsonl).
void write_search_svg(const std::string& path, const std::vector<Json>& metrics, const space::SearchSpace& space,
                      const std::vector<double>& targets_ms, const std::string& title);

}  // namespace nasctl::search
