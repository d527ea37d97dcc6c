#pragma once
/// `nasctl report`: one self-contained HTML page (inline CSS and SVG, a few lines of inline script
/// for sorting tables, no external requests) for search runs, training runs, exports and sets of
/// them. The page depends only on the run folders: the same folders give the same bytes.
///
///   report::ReportOptions o;
///   o.runs = {"runs/search", "runs/train"};
///   o.out = "report.html";
///   report::write_report(o);

#include <string>
#include <vector>

#include "nasctl/report/runs.h"

namespace nasctl::report {

struct ReportOptions {
  std::vector<std::string> runs;         ///< run folders, export folders or model cards (at least one)
  std::string out = "report.html";       ///< the page; default report.html
  /// Profile for the predicted latency of trained networks (searches and exports carry their own);
  /// default coral-usb3.
  std::string hardware = "coral-usb3";

  /// Throws Error naming the option when a value is unusable.
  void validate() const;
};

/// The page for runs already read. `warnings` holds what was skipped while reading; what could
/// not be drawn is added to it; the page lists them all.
std::string render_report(const std::vector<Run>& runs, const ReportOptions& options,
                          std::vector<std::string>& warnings);

/// What write_report made.
struct ReportResult {
  std::string out;                    ///< the page written
  int runs = 0;                       ///< runs on it
  int unfinished = 0;                 ///< of which still in progress
  std::vector<std::string> warnings;  ///< of reading and drawing; also logged
};

/// Reads every run (Error naming the first folder that is not a run), renders the page and writes
/// it atomically: when anything fails, no page (and no half page) is left at `out`.
ReportResult write_report(const ReportOptions& options);

}  // namespace nasctl::report
