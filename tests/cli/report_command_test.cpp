// `nasctl report` over runs made by the real commands (search, train, export, a search stopped
// early), checked in a real headless browser (Debian's chromium): the page loads from disk with
// no script error, its DOM holds the sections and the numbers of the runs' own files, and a
// screenshot is produced. Without chromium the browser test skips with one line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

#include "cli/cli_support.h"
#include "nasctl/core/files.h"
#include "nasctl/core/json.h"
#include "cli/idx_data.h"

namespace nasctl {
namespace {
using testing::CommandResult;
using testing::run_nasctl;
using testing::TempDir;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The data-value attribute of each element of class `css_class`, in document order.
std::vector<double> data_values(const std::string& dom, const std::string& css_class) {
  std::vector<double> out;
  std::regex pattern("class=\"" + css_class + "\" data-value=\"([^\"]+)\"");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), pattern); it != std::sregex_iterator(); ++it) {
    out.push_back(std::stod((*it)[1]));
  }
  return out;
}

std::string chromium_binary() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    std::string probe = std::string("command -v ") + name + " >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return name;
  }
  return "";
}

// Five real runs (a search, two trainings, an export, a two-target search) and one search
// stopped early, made once for all tests of this file.
class ReportCommand : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const TempDir& d = *dir_;
    testing::write_idx_data(d.file("data"), 300, 60);
    testing::write_tiny_graph(d.file("tiny.json"), 3);
    std::string data = " --data '" + d.file("data") + "'";
    std::string search = "--threads 1 search" + data + " --batch-size 8 --workers 0 --seed 1";
    CommandResult s = run_nasctl(search + " --steps 12 --checkpoint-every 100 --out '" + d.file("search") + "'");
    ASSERT_EQ(s.exit_code, 0) << s.err;
    CommandResult u = run_nasctl(search + " --steps 40 --stop-after-steps 5 --out '" + d.file("stopped") + "'");
    ASSERT_NE(u.exit_code, 0);  // stopped on purpose: config.json and 5 metrics lines, no arch.json
    CommandResult f = run_nasctl(search + " --steps 8 --target-ms 0.52,0.62 --out '" + d.file("family") + "'");
    ASSERT_EQ(f.exit_code, 0) << f.err;  // family.json and one arch-<T0>.json per target
    std::string train = "--threads 1 train" + data + " --epochs 2 --batch-size 16 --workers 1 --ema-decay 0.9";
    CommandResult t1 = run_nasctl(train + " --arch '" + d.file("search/arch.json") + "' --out '" + d.file("found") + "'");
    ASSERT_EQ(t1.exit_code, 0) << t1.err;
    CommandResult t2 = run_nasctl(train + " --graph '" + d.file("tiny.json") + "' --out '" + d.file("baseline") + "'");
    ASSERT_EQ(t2.exit_code, 0) << t2.err;
    std::filesystem::create_directories(d.file("export"));
    CommandResult e = run_nasctl("--threads 1 export --checkpoint '" + d.file("found/checkpoints/best.ckpt") +
                                 "' --out '" + d.file("export/found.tflite") + "' --quantize int8 --calibration '" +
                                 d.file("data") + "' --calibration-batches 1 --calibration-batch-size 8");
    ASSERT_EQ(e.exit_code, 0) << e.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string runs() {
    std::string out;
    for (const char* run : {"search", "found", "baseline", "export", "stopped", "family"}) out += " '" + dir_->file(run) + "'";
    return out;
  }
  static TempDir* dir_;
};
TempDir* ReportCommand::dir_ = nullptr;

TEST_F(ReportCommand, ThePageLoadsInChromiumWithTheRunsNumbers) {
  ASSERT_NE(dir_, nullptr);
  const TempDir& d = *dir_;
  // A torn last line, as a process killed while writing leaves it.
  std::ofstream(d.file("stopped/metrics.jsonl"), std::ios::app) << "{\"step\": 6, \"lr\": 0.0";
  CommandResult r = run_nasctl("report" + runs() + " --out '" + d.file("report.html") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "report: " + d.file("report.html") + " (6 runs, 1 unfinished, 1 warnings)\n");
  EXPECT_NE(r.err.find("metrics.jsonl:6: a truncated last line; skipped"), std::string::npos) << r.err;

  std::string browser = chromium_binary();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it): browser check skipped";
  std::string flags = " --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars --user-data-dir='" +
                      d.file("profile") + "' --enable-logging=stderr --v=0 ";
  std::string url = "'file://" + d.file("report.html") + "'";
  std::string dump = browser + flags + "--dump-dom " + url + " >'" + d.file("dom.html") + "' 2>'" + d.file("dom.log") + "'";
  ASSERT_EQ(std::system(dump.c_str()), 0) << read_file(d.file("dom.log"));
  std::string shot = browser + flags + "--window-size=1280,2400 --screenshot='" + d.file("report.png") + "' " + url +
                     " >/dev/null 2>'" + d.file("shot.log") + "'";
  ASSERT_EQ(std::system(shot.c_str()), 0) << read_file(d.file("shot.log"));
  std::string dom = read_file(d.file("dom.html"));
  std::string log = read_file(d.file("dom.log"));

  // The scripts ran, and nothing on the page raised or logged an error.
  EXPECT_NE(dom.find("data-script=\"ran\""), std::string::npos);
  EXPECT_EQ(dom.find("data-script-errors=\""), std::string::npos);  // the attribute, not the script text
  EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;
  EXPECT_EQ(log.find(":CONSOLE"), std::string::npos) << log;  // console.error, console.log, ...

  // The sections, in the order given; the stopped search is marked unfinished.
  EXPECT_EQ(count(dom, "<section class=\"run search\""), 3u);
  EXPECT_EQ(count(dom, "<div class=\"target\""), 2u);  // the family search: one part per target
  EXPECT_EQ(count(dom, "<section class=\"run training\""), 2u);
  EXPECT_EQ(count(dom, "<section class=\"run export\""), 1u);
  EXPECT_EQ(count(dom, "<section class=\"comparison\""), 1u);
  EXPECT_NE(dom.find("Unfinished: 5 of 40 steps so far"), std::string::npos);

  // Latencies as the search, the export card and the stopped run's last line say.
  std::vector<double> latencies = data_values(dom, "final-latency");
  ASSERT_EQ(latencies.size(), 5u);
  Json arch = load_json_file(d.file("search/arch.json"));
  Json card = load_json_file(d.file("export/found.json"));
  Json fifth;  // the stopped search's last whole line
  std::ifstream stopped(d.file("stopped/metrics.jsonl"));
  for (std::string line; std::getline(stopped, line);) {
    Json parsed = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) fifth = parsed;
  }
  ASSERT_EQ(fifth["step"], 5);
  EXPECT_NEAR(latencies[0], arch["latency_ms"].get<double>(), 1e-6);
  EXPECT_NEAR(latencies[1], card["latency"]["predicted_ms"].get<double>(), 1e-6);
  EXPECT_NEAR(latencies[2], fifth["most_likely_latency_ms"].get<double>(), 1e-6);
  Json family = load_json_file(d.file("family/family.json"));
  ASSERT_EQ(family["targets"].size(), 2u);
  for (size_t k = 0; k < 2; ++k) EXPECT_NEAR(latencies[3 + k], family["targets"][k]["latency_ms"].get<double>(), 1e-6);

  // Best validation top-1 of each training run (EMA, which picks best.ckpt), from metrics.jsonl.
  std::vector<double> top1 = data_values(dom, "final-top1");
  ASSERT_EQ(top1.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    double best = 0;
    std::ifstream in(d.file(i == 0 ? "found/metrics.jsonl" : "baseline/metrics.jsonl"));
    for (std::string line; std::getline(in, line);) best = std::max(best, Json::parse(line)["ema_val_top1"].get<double>());
    EXPECT_NEAR(top1[i], best, 1e-6);
  }
  // The comparison plots both trained networks; every search decision has a heat-map row per choice.
  size_t pareto = dom.find("class=\"figure pareto\"");
  ASSERT_NE(pareto, std::string::npos);
  EXPECT_EQ(count(dom.substr(pareto, dom.find("</svg>", pareto) - pareto), "</title></circle>"), 2u);
  EXPECT_EQ(count(dom, " chosen</text>"), 3 * arch["decisions"].size());  // the search and both family targets

  std::string png = read_file(d.file("report.png"));
  EXPECT_GT(png.size(), 20000u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  if (const char* keep = std::getenv("NASCTL_REPORT_KEEP")) {  // to look at the page and screenshot
    std::filesystem::copy(d.file("report.html"), std::string(keep) + "/report.html",
                          std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy(d.file("report.png"), std::string(keep) + "/report.png",
                          std::filesystem::copy_options::overwrite_existing);
  }
}

TEST_F(ReportCommand, TheSameRunsGiveTheSameBytes) {
  const TempDir& d = *dir_;
  ASSERT_EQ(run_nasctl("report" + runs() + " --out '" + d.file("a.html") + "'").exit_code, 0);
  ASSERT_EQ(run_nasctl("report" + runs() + " --out '" + d.file("b.html") + "'").exit_code, 0);
  EXPECT_EQ(read_file(d.file("a.html")), read_file(d.file("b.html")));
}

TEST_F(ReportCommand, BadInputExitsWithOneLineAndWritesNothing) {
  const TempDir& d = *dir_;
  std::filesystem::create_directories(d.file("notarun"));
  CommandResult r = run_nasctl("report '" + d.file("search") + "' '" + d.file("notarun") + "' --out '" +
                               d.file("bad.html") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "nasctl: error: " + d.file("notarun") +
                       " is not a run folder: it has no config.json or metrics.jsonl of a search or training run and "
                       "no model card (*.json with \"format\": \"nasctl.model_card\")\n");
  EXPECT_FALSE(std::filesystem::exists(d.file("bad.html")));

  CommandResult w = run_nasctl("report '" + d.file("search") + "' --out '" + d.file("no/such/folder/r.html") + "'");
  EXPECT_NE(w.exit_code, 0);
  EXPECT_EQ(count(w.err, "\n"), 1u) << w.err;
  EXPECT_FALSE(std::filesystem::exists(d.file("no")));

  CommandResult h = run_nasctl("report '" + d.file("search") + "' --hardware nosuchprofile --out '" + d.file("h.html") + "'");
  EXPECT_EQ(h.exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(d.file("h.html")));
}

}  // namespace
}  // namespace nasctl
