// The page: header, the list of runs, the comparison when there are several, one section per run.
#include "nasctl/report/report.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/latency/hardware_profile.h"
#include "report/html.h"
#include "report/page_assets.h"
#include "report/sections.h"

namespace nasctl::report {
namespace {

std::string run_list(const std::vector<Run>& runs, const std::vector<std::string>& anchors) {
  std::string out = "<ul class=\"runs\">";
  for (size_t i = 0; i < runs.size(); ++i) {
    const Run& r = runs[i];
    out += "<li><span class=\"badge " + std::string(run_kind_name(r.kind)) + "\">" + run_kind_name(r.kind) +
           "</span> <a href=\"#" + anchors[i] + "\">" + html::escape(r.path) + "</a>" +
           (r.finished ? "" : " <span class=\"unfinished-badge\">unfinished: " + html::escape(r.progress) + "</span>") +
           "</li>";
  }
  return out + "</ul>\n";
}

std::string warning_list(const std::vector<std::string>& warnings) {
  if (warnings.empty()) return "";
  std::string out = "<div class=\"warnings\"><b>Warnings while reading the runs</b><ul>";
  for (const std::string& w : warnings) out += "<li>" + html::escape(w) + "</li>";
  return out + "</ul></div>\n";
}

}  // namespace

void ReportOptions::validate() const {
  if (runs.empty()) throw Error("report needs at least one RUN_DIR");
  if (out.empty()) throw Error("--out must name the HTML file to write");
  if (std::filesystem::is_directory(out)) throw Error("--out " + out + " is a folder; name the HTML file to write");
}

std::string render_report(const std::vector<Run>& runs, const ReportOptions& options,
                          std::vector<std::string>& warnings) {
  PageContext context;
  context.hardware = options.hardware;
  std::vector<std::string> anchors;
  for (size_t i = 0; i < runs.size(); ++i) anchors.push_back("run-" + std::to_string(i + 1));

  std::string sections;
  std::vector<RunSummary> summaries;
  std::vector<std::string> summary_anchors;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<RunSummary> s = summarize(runs[i], context);
    for (const RunSummary& one : s) summaries.push_back(one), summary_anchors.push_back(anchors[i]);
    switch (runs[i].kind) {
      case RunKind::kSearch: sections += search_section(runs[i], anchors[i], context); break;
      case RunKind::kTrain: sections += train_section(runs[i], s.front(), anchors[i], context); break;
      case RunKind::kExport: sections += export_section(runs[i], anchors[i], context); break;
    }
  }
  std::string comparison = summaries.size() > 1 ? comparison_section(summaries, summary_anchors, context) : "";
  warnings.insert(warnings.end(), context.warnings.begin(), context.warnings.end());
  const std::vector<std::string>& all_warnings = warnings;

  std::string title = "nasctl report: ";
  for (size_t i = 0; i < runs.size(); ++i) title += (i ? ", " : "") + runs[i].name;
  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                     html::escape(title) + "</title>\n<style>\n" + kPageStyle + "</style>\n</head>\n<body data-runs=\"" +
                     std::to_string(runs.size()) + "\" data-warnings=\"" + std::to_string(all_warnings.size()) + "\">\n";
  page += "<script>\n" + std::string(kErrorCatcher) + "</script>\n";
  page += "<header><h1>nasctl report</h1>\n" + run_list(runs, anchors) + "</header>\n<main>\n";
  page += warning_list(all_warnings) + comparison + sections;
  page += "</main>\n<script>\n" + std::string(kPageScript) + "</script>\n</body>\n</html>\n";
  return page;
}

ReportResult write_report(const ReportOptions& options) {
  options.validate();
  latency::load_hardware_profile(options.hardware);  // a bad --hardware fails before any work
  std::vector<Run> runs;
  std::vector<std::string> warnings;
  for (const std::string& path : options.runs) {
    for (Run& run : load_runs(path)) {
      warnings.insert(warnings.end(), run.warnings.begin(), run.warnings.end());
      runs.push_back(std::move(run));
    }
  }
  std::string page = render_report(runs, options, warnings);
  write_file_atomic(options.out, page);
  ReportResult result;
  result.out = options.out;
  result.runs = static_cast<int>(runs.size());
  for (const Run& r : runs) result.unfinished += r.finished ? 0 : 1;
  for (const std::string& w : warnings) spdlog::warn("{}", w);
  result.warnings = warnings;
  return result;
}

}  // namespace nasctl::report
