// The report page: what each kind of run shows, the comparison and its Pareto front,
// determinism, and an unwritable output.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "nasctl/core/files.h"
#include "nasctl/report/report.h"
#include "report/html.h"
#include "report/run_fixtures.h"
#include "report/sections.h"
#include "support.h"

namespace nasctl::report {
namespace {

using testing::TempDir;

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

// The data-value of the first element with class `css_class`.
double data_value(const std::string& page, const std::string& css_class, size_t from = 0) {
  size_t at = page.find("class=\"" + css_class + "\" data-value=\"", from);
  EXPECT_NE(at, std::string::npos) << css_class;
  if (at == std::string::npos) return NAN;
  at = page.find("data-value=\"", at) + 12;
  return std::stod(page.substr(at, page.find('"', at) - at));
}

std::string render(const std::vector<std::string>& paths, std::vector<std::string>* warnings_out = nullptr) {
  ReportOptions o;
  std::vector<report::Run> runs;
  std::vector<std::string> warnings;
  for (const std::string& p : paths) {
    for (report::Run& r : load_runs(p)) {
      warnings.insert(warnings.end(), r.warnings.begin(), r.warnings.end());
      runs.push_back(std::move(r));
    }
  }
  std::string page = render_report(runs, o, warnings);
  if (warnings_out) *warnings_out = warnings;
  return page;
}

TEST(Report, ASearchShowsItsLatencyProgressProbabilitiesAndArchitecture) {
  TempDir dir;
  testing::write_search_run(dir.file("s"), 6, 6);
  Json arch = load_json_file(dir.file("s/arch.json"));
  std::string page = render({dir.file("s")});
  EXPECT_EQ(count(page, "<section class=\"run search\""), 1u);
  EXPECT_EQ(page.find("<section class=\"comparison\""), std::string::npos);  // one run: nothing to compare
  EXPECT_NEAR(data_value(page, "final-latency"), arch["latency_ms"].get<double>(), 1e-6);
  // One heat-map row per choice of every decision, one column per logged probability (6 steps).
  size_t rows = 0;
  for (const Json& d : arch["decisions"]) rows += d["choices"].size();
  size_t heat_start = page.find("class=\"heatmap\""), heat_end = page.find("</svg>", heat_start);
  EXPECT_EQ(count(page.substr(heat_start, heat_end - heat_start), "<rect "), rows * 6);
  EXPECT_EQ(count(page, " chosen</text>"), arch["decisions"].size());
  // One box per block plus stem and head; the boxes' times add up to the Edge TPU ops' time.
  size_t blocks = arch["arch"]["blocks"].size();
  EXPECT_EQ(count(page, "<div class=\"block "), blocks + 2);
  EXPECT_NE(page.find("Roofline"), std::string::npos);
  EXPECT_EQ(page.find("Unfinished"), std::string::npos);
}

TEST(Report, BlockTimesAddUpToTheModelsOpTimes) {
  TempDir dir;
  testing::write_search_run(dir.file("s"), 2, 2);
  std::string page = render({dir.file("s")});
  Json arch = load_json_file(dir.file("s/arch.json"));
  latency::EdgeTpuModel model(latency::load_hardware_profile("coral-usb3"));
  latency::LatencyReport r = model.predict(space::lower(space::arch_from_json(arch["arch"], "arch")));
  double ops_ms = 0;
  for (const latency::OpCost& op : r.ops) ops_ms += 1e3 * op.time_s;
  double boxes_ms = 0;
  for (size_t at = page.find("data-ms=\""); at != std::string::npos; at = page.find("data-ms=\"", at + 1)) {
    boxes_ms += std::stod(page.substr(at + 9));
  }
  EXPECT_NEAR(boxes_ms, ops_ms, 1e-5);
  EXPECT_NEAR(r.total_ms, arch["latency_ms"].get<double>(), 1e-9);
}

TEST(Report, AnUnfinishedSearchShowsTheMostLikelyArchitectureSoFar) {
  TempDir dir;
  testing::write_search_run(dir.file("s"), 3, 10);
  std::string page = render({dir.file("s")});
  EXPECT_NE(page.find("Unfinished: 3 of 10 steps so far"), std::string::npos);
  EXPECT_NE(page.find("unfinished: 3 of 10 steps"), std::string::npos);  // in the run list
  Json last = Json::parse(read_file(dir.file("s/metrics.jsonl")).substr(0, read_file(dir.file("s/metrics.jsonl")).find('\n')));
  EXPECT_NEAR(data_value(page, "final-latency"), last["most_likely_latency_ms"].get<double>(), 1e-6);
  EXPECT_GT(count(page, "<div class=\"block "), 2u);
}

TEST(Report, ATruncatedMetricsLineIsWarnedAboutOnThePage) {
  TempDir dir;
  testing::write_search_run(dir.file("s"), 4, 4);
  std::string text = read_file(dir.file("s/metrics.jsonl"));
  write_file_atomic(dir.file("s/metrics.jsonl"), text + "{\"step\": 5, \"q\"");
  std::vector<std::string> warnings;
  std::string page = render({dir.file("s")}, &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(page.find("metrics.jsonl:5: a truncated last line; skipped"), std::string::npos);
  EXPECT_NE(page.find("data-warnings=\"1\""), std::string::npos);
}

TEST(Report, ATrainingRunShowsItsBestTop1AndCheckpoints) {
  TempDir dir;
  testing::write_train_run(dir.file("t"), 1, {0.50, 0.70, 0.65}, {0.52, 0.68, 0.71}, 3);
  write_file_atomic(dir.file("t/eval.json"),
                    R"({"checkpoint": "t/checkpoints/best.ckpt", "weights": "ema", "data": "d", "samples": 4,
                        "top1": 0.75, "top5": 1.0, "per_class": [
                          {"class": 0, "name": "a", "images": 2, "correct": 2, "top1": 1.0},
                          {"class": 1, "name": "b", "images": 2, "correct": 1, "top1": 0.5}],
                        "confusion": [[2, 0], [1, 1]]})");
  std::string page = render({dir.file("t")});
  EXPECT_EQ(count(page, "<section class=\"run training\""), 1u);
  EXPECT_DOUBLE_EQ(data_value(page, "final-top1"), 0.71);  // EMA decides, as for best.ckpt
  EXPECT_NE(page.find("best val top-1 (EMA)"), std::string::npos);
  EXPECT_NE(page.find("3 of 3 epochs"), std::string::npos);
  EXPECT_NE(page.find("checkpoints/last.ckpt</code>"), std::string::npos);
  EXPECT_NE(page.find("Top-1 per class"), std::string::npos);
  EXPECT_NE(page.find("<table class=\"confusion\">"), std::string::npos);
}

TEST(Report, AnExportShowsTheCardAndWhichOperatorsMapToTheEdgeTpu) {
  TempDir dir;
  write_file_atomic(dir.file("m.json"), testing::model_card().dump());
  std::string page = render({dir.file("m.json")});
  EXPECT_EQ(count(page, "<section class=\"run export\""), 1u);
  EXPECT_DOUBLE_EQ(data_value(page, "final-latency"), 0.4321);
  EXPECT_NE(page.find("<td>DEQUANTIZE</td><td class=\"num\" data-sort=\"1\">1</td><td><span class=\"bad\">no</span>"),
            std::string::npos);
  EXPECT_NE(page.find("<td>CONV_2D</td><td class=\"num\" data-sort=\"5\">5</td><td><span class=\"good\">yes</span>"),
            std::string::npos);
  EXPECT_NE(page.find("scale 0.0157, zero point -1"), std::string::npos);
  EXPECT_NE(page.find("(0.350 to 0.520, 80% interval)"), std::string::npos);
}

TEST(Report, AMultiTargetSearchHasOneSectionPerTarget) {
  TempDir dir;
  testing::write_search_run(dir.file("f"), 3, 3, {0.4, 0.6});
  space::SearchSpace space = space::SearchSpace::load("tiny");
  Json targets = Json::array();
  for (int i = 0; i < 2; ++i) {
    double t = i == 0 ? 0.4 : 0.6;
    Json arch = testing::search_result(space, testing::uniform_choice(space, i), t, 3);
    write_file_atomic(dir.file("f/arch-" + std::to_string(i) + ".json"), arch.dump());
    targets.push_back({{"target_ms", t}, {"arch", "arch-" + std::to_string(i) + ".json"}, {"latency_ms", arch["latency_ms"]}});
  }
  write_file_atomic(dir.file("f/family.json"), Json{{"targets", targets}}.dump());
  std::string page = render({dir.file("f")});
  EXPECT_EQ(count(page, "<div class=\"target\""), 2u);
  EXPECT_NE(page.find("data-target-ms=\"0.600000\""), std::string::npos);
  size_t second = page.find("data-target-ms=\"0.600000\"");
  EXPECT_NEAR(data_value(page, "final-latency", second), targets[1]["latency_ms"].get<double>(), 1e-6);
  // Each target's heat map has only its own controller's lines: 3 steps, 3 columns.
  size_t heat = page.find("class=\"heatmap\"", second);
  size_t rows = 0;
  for (const auto& d : space.decisions()) rows += d.choices.size();
  EXPECT_EQ(count(page.substr(heat, page.find("</svg>", heat) - heat), "<rect "), rows * 3);
  // Two rows in the comparison, one per target.
  EXPECT_NE(page.find("f @ 0.400 ms"), std::string::npos);
  EXPECT_NE(page.find("f @ 0.600 ms"), std::string::npos);
}

TEST(Report, AMultiTargetSearchInProgressShowsEachControllersMostLikelyArchitecture) {
  TempDir dir;
  testing::write_search_run(dir.file("f"), 3, 30, {0.4, 0.6});  // no family.json yet
  std::string page = render({dir.file("f")});
  EXPECT_EQ(count(page, "<div class=\"target\""), 2u);
  EXPECT_NE(page.find("Unfinished: 3 of 30 steps"), std::string::npos);
  EXPECT_NE(page.find("no architecture file yet"), std::string::npos);
  space::SearchSpace space = space::SearchSpace::load("tiny");
  size_t second = page.find("data-target-ms=\"0.600000\"");
  ASSERT_NE(second, std::string::npos);
  // The second controller's most likely architecture (choice 2 everywhere in the fixture).
  EXPECT_NEAR(data_value(page, "final-latency", second),
              testing::predicted_ms(space.decode(testing::uniform_choice(space, 2))), 1e-6);
  EXPECT_EQ(count(page, "<div class=\"block "), 2 * (space.decode(testing::uniform_choice(space, 1)).blocks.size() + 2));
}

TEST(ParetoFront, KeepsThePointsNoOtherIsBothFasterAndMoreAccurate) {
  //                   0    1    2    3    4    5
  std::vector<double> ms = {1.0, 2.0, 1.5, 3.0, 2.0, NAN};
  std::vector<double> acc = {70, 80, 69, 79, 75, 99};
  EXPECT_EQ(pareto_front(ms, acc), (std::vector<size_t>{0, 1}));
  EXPECT_EQ(pareto_front({1, 2, 3}, {1, 2, 3}), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(pareto_front({}, {}).empty());
}

TEST(Report, SeveralRunsAreComparedWithTheirParetoFront) {
  TempDir dir;
  // Wider choices are slower; their accuracies make choice 1 dominated by choice 2.
  testing::write_train_run(dir.file("t0"), 0, {0.80}, {NAN}, 1);
  testing::write_train_run(dir.file("t1"), 1, {0.79}, {NAN}, 1);
  testing::write_train_run(dir.file("t2"), 2, {0.85}, {NAN}, 1);
  testing::write_search_run(dir.file("s"), 2, 2);
  std::string page = render({dir.file("t0"), dir.file("t1"), dir.file("t2"), dir.file("s")});
  size_t comparison = page.find("<section class=\"comparison\"");
  ASSERT_NE(comparison, std::string::npos);
  size_t plot = page.find("<div class=\"figure pareto\">");
  std::string svg = page.substr(plot, page.find("</svg>", plot) - plot);
  EXPECT_EQ(count(svg, "</title></circle>"), 3u);  // the trained networks; the search has no top-1
  space::SearchSpace space = space::SearchSpace::load("tiny");
  std::vector<double> ms, acc = {80, 79, 85};
  for (int c = 0; c < 3; ++c) ms.push_back(testing::predicted_ms(space.decode(testing::uniform_choice(space, c))));
  std::vector<size_t> front = pareto_front(ms, acc);
  // The front's points are drawn in its colour with a tooltip naming each run.
  EXPECT_EQ(count(svg, "fill=\"#e15759\" fill-opacity=\"0.8\"><title>"), front.size());
  EXPECT_NE(svg.find("<title>t2: 85.00% at " + html::fixed(ms[2], 3) + " ms</title>"), std::string::npos);
  EXPECT_EQ(count(page.substr(comparison, plot - comparison), "<tr>"), 5u);  // header + 4 runs
}

TEST(Report, TheSameRunsGiveTheSameBytes) {
  TempDir dir;
  testing::write_search_run(dir.file("s"), 5, 5);
  testing::write_train_run(dir.file("t"), 1, {0.5, 0.6}, {0.55, 0.62}, 2);
  ReportOptions o;
  o.runs = {dir.file("s"), dir.file("t")};
  o.out = dir.file("a.html");
  ReportResult r = write_report(o);
  EXPECT_EQ(r.runs, 2);
  EXPECT_EQ(r.unfinished, 0);
  o.out = dir.file("b.html");
  write_report(o);
  EXPECT_EQ(read_file(dir.file("a.html")), read_file(dir.file("b.html")));
}

TEST(Report, ThePageIsSelfContained) {
  TempDir dir;
  testing::write_search_run(dir.file("s"), 3, 3);
  testing::write_train_run(dir.file("t"), 1, {0.5}, {0.55}, 1);
  std::string page = render({dir.file("s"), dir.file("t")});
  EXPECT_EQ(page.find(" src="), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  // The only URLs are SVG's namespace name, never fetched.
  EXPECT_EQ(count(page, "http"), count(page, "http://www.w3.org/2000/svg"));
  EXPECT_EQ(count(page, "url(#"), count(page, "url(#f"));  // every clip path reference is prefixed
  EXPECT_EQ(count(page, "id=\"clip"), 0u);
}

TEST(Report, AnUnwritableOutputLeavesNothingBehind) {
  TempDir dir;
  testing::write_search_run(dir.file("s"), 2, 2);
  ReportOptions o;
  o.runs = {dir.file("s")};
  o.out = dir.file("missing/r.html");
  EXPECT_THROW(write_report(o), Error);
  EXPECT_FALSE(std::filesystem::exists(dir.file("missing")));
  write_file_atomic(dir.file("file"), "x");
  o.out = dir.file("file/r.html");  // a file where the folder should be: fails for root too
  EXPECT_THROW(write_report(o), Error);
  EXPECT_EQ(read_file(dir.file("file")), "x");
  o.out = dir.file("s");
  EXPECT_THROW_MSG(write_report(o), "--out " + dir.file("s") + " is a folder");
}

TEST(Report, AReadOnlyFolderKeepsTheEarlierPage) {
  TempDir dir;
  testing::write_search_run(dir.file("s"), 2, 2);
  std::filesystem::create_directories(dir.file("ro"));
  write_file_atomic(dir.file("ro/r.html"), "old");
  ::chmod(dir.file("ro").c_str(), 0500);
  if (::access(dir.file("ro").c_str(), W_OK) == 0) {
    ::chmod(dir.file("ro").c_str(), 0700);
    GTEST_SKIP() << "root may write into a read-only folder: nothing to check";
  }
  ReportOptions o;
  o.runs = {dir.file("s")};
  o.out = dir.file("ro/r.html");
  EXPECT_THROW(write_report(o), Error);
  ::chmod(dir.file("ro").c_str(), 0700);
  EXPECT_EQ(read_file(dir.file("ro/r.html")), "old");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("ro")), {}), 1);
}

TEST(Report, ANonRunFolderStopsTheReportBeforeWriting) {
  TempDir dir;
  testing::write_search_run(dir.file("s"), 2, 2);
  std::filesystem::create_directories(dir.file("other"));
  ReportOptions o;
  o.runs = {dir.file("s"), dir.file("other")};
  o.out = dir.file("r.html");
  write_file_atomic(o.out, "old");
  EXPECT_THROW_MSG(write_report(o), dir.file("other") + " is not a run folder");
  EXPECT_EQ(read_file(o.out), "old");
}

TEST(InlineSvg, DropsThePrologAndPrefixesIds) {
  std::string svg = "<?xml version=\"1.0\"?>\n<svg><clipPath id=\"clip0\"/><g clip-path=\"url(#clip0)\"/></svg>";
  EXPECT_EQ(html::inline_svg(svg, "f2-"), "<svg><clipPath id=\"f2-clip0\"/><g clip-path=\"url(#f2-clip0)\"/></svg>");
}

}  // namespace
}  // namespace nasctl::report
