// Reading run folders: what kind each is, unfinished runs, and bad input (not a run, a torn
// metrics line).
#include <gtest/gtest.h>

#include <filesystem>

#include "nasctl/core/files.h"
#include "nasctl/report/runs.h"
#include "report/run_fixtures.h"
#include "support.h"

namespace nasctl::report {
namespace {

using testing::TempDir;

TEST(ReadJsonLines, KeepsTheLinesThatParseAndNamesTheOthers) {
  TempDir dir;
  write_file_atomic(dir.file("m.jsonl"), "{\"step\": 1}\n\nnot json\n{\"step\": 2}\n{\"step\": 3, \"q\": 0.");
  JsonLines read = read_json_lines(dir.file("m.jsonl"));
  ASSERT_EQ(read.lines.size(), 2u);
  EXPECT_EQ(read.lines[1]["step"], 2);
  ASSERT_EQ(read.warnings.size(), 2u);
  EXPECT_EQ(read.warnings[0], dir.file("m.jsonl") + ":3: not a JSON object; skipped");
  EXPECT_EQ(read.warnings[1], dir.file("m.jsonl") + ":5: a truncated last line; skipped");
  EXPECT_TRUE(read_json_lines(dir.file("missing.jsonl")).lines.empty());
}

TEST(LoadRuns, TellsSearchTrainingAndExportApart) {
  TempDir dir;
  testing::write_search_run(dir.file("search"), 4, 4);
  testing::write_train_run(dir.file("train"), 0, {0.5, 0.6}, {NAN, NAN}, 2);
  std::filesystem::create_directories(dir.file("export"));
  write_file_atomic(dir.file("export/m.json"), testing::model_card().dump());
  write_file_atomic(dir.file("export/m.tflite"), "TFL3");
  write_file_atomic(dir.file("export/other.json"), "{\"format\": \"something else\"}");

  std::vector<report::Run> search = load_runs(dir.file("search"));
  ASSERT_EQ(search.size(), 1u);
  EXPECT_EQ(search[0].kind, RunKind::kSearch);
  EXPECT_TRUE(search[0].finished);
  EXPECT_EQ(search[0].progress, "4 of 4 steps");
  EXPECT_EQ(search[0].metrics.size(), 4u);
  EXPECT_EQ(search[0].result["format"], "nasctl.search_result");

  std::vector<report::Run> train = load_runs(dir.file("train") + "/");
  ASSERT_EQ(train.size(), 1u);
  EXPECT_EQ(train[0].kind, RunKind::kTrain);
  EXPECT_EQ(train[0].name, "train");
  EXPECT_TRUE(train[0].finished);
  EXPECT_EQ(train[0].checkpoints, std::vector<std::string>{"checkpoints/last.ckpt"});

  std::vector<report::Run> exports = load_runs(dir.file("export"));
  ASSERT_EQ(exports.size(), 1u);  // other.json is not a model card
  EXPECT_EQ(exports[0].kind, RunKind::kExport);
  EXPECT_EQ(exports[0].name, "m.json");
  // The .tflite file stands for the card beside it.
  EXPECT_EQ(load_runs(dir.file("export/m.tflite"))[0].path, dir.file("export/m.json"));
}

TEST(LoadRuns, AnUnfinishedRunSaysHowFarItGot) {
  TempDir dir;
  testing::write_search_run(dir.file("search"), 3, 10);
  testing::write_train_run(dir.file("train"), 0, {0.5}, {0.55}, 4);
  report::Run search = load_runs(dir.file("search"))[0];
  EXPECT_FALSE(search.finished);
  EXPECT_EQ(search.progress, "3 of 10 steps");
  EXPECT_TRUE(search.result.is_null());
  report::Run train = load_runs(dir.file("train"))[0];
  EXPECT_FALSE(train.finished);
  EXPECT_EQ(train.progress, "1 of 4 epochs");
}

TEST(LoadRuns, ATornMetricsLineIsSkippedWithAWarning) {
  TempDir dir;
  testing::write_search_run(dir.file("search"), 5, 10);
  std::string text = read_file(dir.file("search/metrics.jsonl"));
  write_file_atomic(dir.file("search/metrics.jsonl"), text + text.substr(0, 40));
  report::Run run = load_runs(dir.file("search"))[0];
  EXPECT_EQ(run.metrics.size(), 5u);
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_EQ(run.warnings[0], dir.file("search/metrics.jsonl") + ":6: a truncated last line; skipped");
}

TEST(LoadRuns, AFolderThatIsNoRunIsAnErrorNamingItAndWhatIsMissing) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("empty"));
  write_file_atomic(dir.file("empty/notes.json"), "{}");
  EXPECT_THROW_MSG(load_runs(dir.file("empty")),
                   dir.file("empty") + " is not a run folder: it has no config.json or metrics.jsonl of a search or "
                                       "training run and no model card");
  EXPECT_THROW_MSG(load_runs(dir.file("nowhere")), dir.file("nowhere") + " does not exist");
  EXPECT_THROW_MSG(load_runs(dir.file("empty/notes.json")), "notes.json is not a run: a file must be a model card");
  write_file_atomic(dir.file("empty/x.tflite"), "TFL3");
  EXPECT_THROW_MSG(load_runs(dir.file("empty/x.tflite")), "x.tflite: no model card " + dir.file("empty/x.json"));
}

TEST(LoadRuns, AMultiTargetSearchHasOneArchitecturePerTarget) {
  TempDir dir;
  testing::write_search_run(dir.file("family"), 4, 4, {0.4, 0.6});
  space::SearchSpace space = space::SearchSpace::load("tiny");
  Json targets = Json::array();
  for (int i = 0; i < 2; ++i) {
    double t = i == 0 ? 0.4 : 0.6;
    std::string file = "arch-" + std::to_string(t).substr(0, 3) + ".json";
    Json arch = testing::search_result(space, testing::uniform_choice(space, i), t, 4);
    write_file_atomic(dir.file("family/" + file), arch.dump());
    targets.push_back({{"target_ms", t}, {"arch", file}, {"latency_ms", arch["latency_ms"]}});
  }
  write_file_atomic(dir.file("family/family.json"), Json{{"targets", targets}}.dump());
  report::Run run = load_runs(dir.file("family"))[0];
  EXPECT_EQ(run.kind, RunKind::kSearch);
  ASSERT_EQ(run.targets.size(), 2u);
  EXPECT_TRUE(run.finished);
  EXPECT_EQ(run.targets[1].arch_file, "arch-0.6.json");
  EXPECT_DOUBLE_EQ(run.targets[1].latency_ms, run.targets[1].arch["latency_ms"].get<double>());
}

}  // namespace
}  // namespace nasctl::report
