// `nasctl search` flags through the real binary: errors name the key and the flag, --help shows the
// embedded config's defaults, --resume refuses a flag that would change the run. No search runs.

#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_support.h"
#include "nasctl/core/files.h"
#include "nasctl/core/json.h"

namespace nasctl {
namespace {

using testing::CommandResult;
using testing::run_nasctl;

TEST(SearchCommand, BadFlagsNameTheKeyAndTheFlag) {
  CommandResult steps = run_nasctl("search --steps 0 --log-level off");
  EXPECT_EQ(steps.exit_code, 2);
  EXPECT_EQ(steps.err, "nasctl: error: search.steps (--steps) must be > 0, but got 0\n");
  CommandResult target = run_nasctl("search --target-ms 0.6,fast --log-level off");
  EXPECT_EQ(target.exit_code, 2);
  EXPECT_EQ(target.err,
            "nasctl: error: search.targets_ms (--target-ms) must be a comma-separated list of numbers, but got "
            "\"0.6,fast\"\n");
  CommandResult reward = run_nasctl("search --reward fastest --log-level off");
  EXPECT_EQ(reward.err,
            "nasctl: error: search.controller.reward (--reward) must be one of absolute, mnas_soft, mnas_hard, but got "
            "\"fastest\"\n");
}

TEST(SearchCommand, HelpShowsTheEmbeddedDefaults) {
  std::string origin;
  CommandResult help = run_nasctl("search --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--steps INT=2000"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--space TEXT=tiny"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--reward absolute|mnas_soft|mnas_hard=absolute"), std::string::npos) << help.out;
}

TEST(SearchCommand, ResumeRefusesAFlagThatWouldChangeTheRun) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.file("run"));
  Json options = parse_json(R"({"target_ms": 0.5, "steps": 40})", "test");
  write_file_atomic(dir.file("run/config.json"),
                    Json({{"format", "nasctl.search_config"}, {"search", options}}).dump());
  CommandResult r = run_nasctl("search --out '" + dir.file("run") + "' --resume --steps 50 --log-level off");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "nasctl: error: --resume continues with the run's own config (" + dir.file("run/config.json") +
                       "): search.steps (--steps) would change from 40 to 50; drop the flag\n");
  CommandResult config = run_nasctl("search --out '" + dir.file("run") + "' --resume --config default --log-level off");
  EXPECT_NE(config.err.find("drop --config"), std::string::npos) << config.err;
  CommandResult no_out = run_nasctl("search --resume --log-level off");
  EXPECT_NE(no_out.err.find("--resume needs --out RUN_DIR"), std::string::npos) << no_out.err;
}

}  // namespace
}  // namespace nasctl
