// `nasctl models` and the CLI contract: results on stdout, one-line errors, exit codes 0 / 2.
#include <gtest/gtest.h>

#include "cli_support.h"
#include "nasctl/core/files.h"
#include "nasctl/core/json.h"

namespace nasctl::testing {
namespace {

TEST(ModelsCli, ListsTheZoo) {
  CommandResult r = run_nasctl("models");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"mobilenet_v2", "efficientnet_edgetpu_s", "inception_resnet_v2", "densenet121"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
}

TEST(ModelsCli, SummaryTotalsMatchTorchvision) {
  CommandResult r = run_nasctl("models --summary mobilenet_v2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("total params: 3,504,872"), std::string::npos) << r.out;
  CommandResult j = run_nasctl("models --summary mobilenet_v2 --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  Json parsed = Json::parse(j.out);
  EXPECT_EQ(parsed["totals"]["params"].get<int64_t>(), 3504872);
  EXPECT_EQ(parsed["nodes"].back()["output"], Json::array({1, 1, 1000}));
}

TEST(ModelsCli, ShowWritesGraphJsonThatSummaryReadsBack) {
  TempDir dir;
  CommandResult show = run_nasctl("models --show squeezenet --input-size 64 --classes 10");
  ASSERT_EQ(show.exit_code, 0) << show.err;
  write_file_atomic(dir.file("squeezenet.json"), show.out);
  CommandResult summary = run_nasctl("models --summary --graph '" + dir.file("squeezenet.json") + "' --json");
  ASSERT_EQ(summary.exit_code, 0) << summary.err;
  EXPECT_EQ(Json::parse(summary.out)["nodes"].back()["output"], Json::array({1, 1, 10}));
}

TEST(ModelsCli, BadInputExitsTwoWithOneLine) {
  CommandResult unknown = run_nasctl("models --summary nope");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown zoo model \"nope\""), std::string::npos) << unknown.err;
  EXPECT_EQ(unknown.out, "");

  TempDir dir;
  write_file_atomic(dir.file("bad.json"), R"({"input": [8, 8, 3], "nodes": [{"id": "x", "op": "add", "inputs": ["input", "y"]}], "outputs": ["x"]})");
  CommandResult bad_graph = run_nasctl("models --summary --graph '" + dir.file("bad.json") + "'");
  EXPECT_EQ(bad_graph.exit_code, 2);
  EXPECT_NE(bad_graph.err.find("bad.json: graph 'graph': node 'x' has unknown input 'y'"), std::string::npos)
      << bad_graph.err;

  CommandResult size = run_nasctl("models --summary vgg16 --input-size 16");
  EXPECT_EQ(size.exit_code, 2);
  EXPECT_NE(size.err.find("16"), std::string::npos) << size.err;

  CommandResult flag = run_nasctl("models --no-such-flag");
  EXPECT_EQ(flag.exit_code, 2);

  CommandResult level = run_nasctl("--log-level loud models");
  EXPECT_EQ(level.exit_code, 2);
  EXPECT_NE(level.err.find("--log-level must be one of"), std::string::npos) << level.err;
}

TEST(Cli, HelpDocumentsEveryCommandAndExitsZero) {
  CommandResult r = run_nasctl("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("models"), std::string::npos);
  EXPECT_NE(run_nasctl("models --help").out.find("--summary"), std::string::npos);
}

}  // namespace
}  // namespace nasctl::testing
