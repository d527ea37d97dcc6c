#pragma once
// The sections of the report page, one function per kind of run (each in its own file).

#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/core/svg.h"
#include "nasctl/report/runs.h"

namespace nasctl::report {

/// What every section shares while the page is written.
struct PageContext {
  std::string hardware;               ///< profile for trained networks' latency
  std::vector<std::string> warnings;  ///< what could not be drawn
  int figures = 0;                    ///< figures so far (their SVG ids get a unique prefix)

  /// A figure as inline SVG with ids unique in the page.
  std::string figure(const svg::Figure& fig, const std::string& css_class = "figure");
  std::string figure(const std::string& svg_document, const std::string& css_class = "figure");
};

/// The numbers the comparison table and the Pareto plot need from one run.
struct RunSummary {
  std::string name;
  std::string kind;
  std::string network;       ///< network name, or ""
  std::string hardware;      ///< profile of `latency_ms`
  double latency_ms = 0;     ///< predicted per-inference latency; NaN when unknown
  double top1 = 0;           ///< best validation top-1 (trained runs); NaN otherwise
  std::string top1_source;   ///< "EMA" | "raw" | ""
  double q = 0;              ///< search: supernet Q at the end; NaN otherwise
  long long params = -1;
  long long macs = -1;
  std::string status;        ///< "finished" or the progress of an unfinished run
};
/// One per run; a multi-target search gives one per target.
std::vector<RunSummary> summarize(const Run& run, PageContext& context);

/// A finite number under `key`, else NaN.
double number(const Json& json, const char* key);

/// The metrics lines of target `index` (`target_ms`) of a search. A multi-target search logs one
/// entry per controller under "controllers" in each line: that entry, over the line's own keys
/// (step, elapsed_s, ...). Lines that carry their own "target_ms" are kept only for that target;
/// the lines of a single-target search are returned as they are.
std::vector<Json> target_lines(const std::vector<Json>& lines, double target_ms, size_t index);

std::string search_section(const Run& run, const std::string& anchor, PageContext& context);
std::string train_section(const Run& run, const RunSummary& summary, const std::string& anchor, PageContext& context);
std::string export_section(const Run& run, const std::string& anchor, PageContext& context);
std::string comparison_section(const std::vector<RunSummary>& runs, const std::vector<std::string>& anchors,
                               PageContext& context);

/// A searched architecture (a search result: {"arch", "hardware", "latency_ms", ...}): the block
/// diagram with each block's predicted Edge TPU time and bound, and the roofline of the network.
/// `profile` is the hardware profile JSON the search used, or null (then the result's name).
std::string architecture_view(const Json& result, const Json& profile, PageContext& context);

/// Indices of the points on the Pareto front of (latency, accuracy): no other point is at most as
/// slow and at least as accurate with one of the two strictly better (of identical points, the
/// first). Points with a NaN are never on it. Sorted from fastest to slowest.
std::vector<size_t> pareto_front(const std::vector<double>& latency_ms, const std::vector<double>& accuracy);

}  // namespace nasctl::report
