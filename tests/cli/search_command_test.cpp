// `nasctl search` through the real binary: a family from a --target-ms list, `search score`, and bad
// targets refused with one line and exit 2 before any training.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_support.h"
#include "nasctl/core/files.h"
#include "nasctl/core/json.h"

namespace nasctl {
namespace {

using testing::run_nasctl;

TEST(SearchCommand, TargetListSearchesAFamilyThatScoreReads) {
  testing::TempDir tmp;
  const std::string run = tmp.file("family");
  auto r = run_nasctl("--threads 1 --log-level warn search --target-ms 0.6,0.5 --steps 4 --batch-size 8 --out '" +
                      run + "' --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json family = parse_json(r.out, "stdout");  // --json prints family.json
  ASSERT_EQ(family["targets"].size(), 2u);
  EXPECT_EQ(family["targets"][0]["target_ms"], 0.5);  // sorted
  EXPECT_EQ(family["targets"][1]["arch"], "arch-0.6.json");
  EXPECT_TRUE(std::filesystem::exists(run + "/arch-0.5.json"));

  auto s = run_nasctl("--threads 1 search score '" + run + "' '" + run + "/arch-0.5.json' '" + run +
                      "/arch-0.6.json' --batches 2 --json");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  Json scores = parse_json(s.out, "stdout");
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_EQ(scores[0]["images"], 16);
  EXPECT_DOUBLE_EQ(scores[0]["latency_ms"].get<double>(), family["targets"][0]["latency_ms"].get<double>());
}

TEST(SearchCommand, BadTargetsExitTwoWithOneLine) {
  testing::TempDir tmp;
  struct Case {
    std::string args, message;
  } cases[] = {
      {"--target-ms 0.5,0.6,0.5", "targets_ms lists the target 0.5 ms twice"},
      {"--target-ms 0.5,-0.6", "targets_ms must be a list of latencies > 0 in ms"},
      {"--target-ms 0.5,40", "search.targets_ms 40 is above the slowest architecture of space 'tiny'"},
      {"--target-ms 0.01,0.5", "search.targets_ms 0.01 is below the fastest architecture of space 'tiny'"},
  };
  for (const Case& c : cases) {
    auto r = run_nasctl("search " + c.args + " --steps 2 --out '" + tmp.file("run") + "'");
    EXPECT_EQ(r.exit_code, 2) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp.file("run"))) << c.args;
  }
  auto missing = run_nasctl("search score '" + tmp.file("nothing") + "' nothing.json");
  EXPECT_EQ(missing.exit_code, 2);
}

}  // namespace
}  // namespace nasctl
