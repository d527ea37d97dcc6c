// `nasctl report`: one self-contained HTML page for search, training and export runs.
#include <iostream>
#include <memory>

#include "cli/app.h"
#include "nasctl/core/json.h"
#include "nasctl/report/report.h"

namespace nasctl::cli {
namespace {

void run_report(const report::ReportOptions& o, bool json) {
  report::ReportResult r = report::write_report(o);
  if (json) {
    std::cout << Json{{"out", r.out}, {"runs", r.runs}, {"unfinished", r.unfinished}, {"warnings", r.warnings}}.dump(2)
              << "\n";
    return;
  }
  std::cout << "report: " << r.out << " (" << r.runs << (r.runs == 1 ? " run" : " runs");
  if (r.unfinished > 0) std::cout << ", " << r.unfinished << " unfinished";
  if (!r.warnings.empty()) std::cout << ", " << r.warnings.size() << " warnings";
  std::cout << ")\n";
}

}  // namespace

void add_report_command(CLI::App& app, const GlobalOptions& /*global*/) {
  auto o = std::make_shared<report::ReportOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("report", "One self-contained HTML page for search, training and export runs");
  cmd->add_option("runs", o->runs, "RUN_DIR... (search or training run folders, export folders or model cards)")
      ->required();
  cmd->add_option("--out", o->out, "The HTML file to write")->capture_default_str();
  cmd->add_option("--hardware", o->hardware, "Profile for the predicted latency of trained networks")
      ->capture_default_str();
  cmd->add_flag("--json", *json, "Machine-readable result on stdout");
  cmd->callback([o, json] { run_report(*o, *json); });
}

}  // namespace nasctl::cli
