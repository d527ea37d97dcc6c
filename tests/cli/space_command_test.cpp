// `nasctl space`, run as a user runs it: output, seeds, JSON, exit codes and error lines.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>

#include "nasctl/core/files.h"
#include "nasctl/space/search_space.h"
#include "cli_support.h"

namespace nasctl {
namespace {

using Result = testing::CommandResult;
using testing::run_nasctl;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(SpaceCommand, ShowsDecisionsAndSize) {
  Result r = run_nasctl("space");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("space: tiny (configs/spaces/tiny.json)"), std::string::npos);
  EXPECT_NE(r.out.find("21 decisions:"), std::string::npos);
  EXPECT_NE(r.out.find("stage1/layer1/type        ibn | fused_ibn | skip"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0.5 | 1 | 1.5  (16 | 24 | 40 filters)"), std::string::npos);
  EXPECT_NE(r.out.find("architectures: 10^7.00 distinct (10^7.38 choice combinations"), std::string::npos);
  Result p = run_nasctl("space --space proxylessnas");
  EXPECT_NE(p.out.find("architectures: 10^17.82 distinct (10^21.33 choice combinations"), std::string::npos) << p.out;
}

TEST(SpaceCommand, JsonDecisionTable) {
  Result r = run_nasctl("space --space mobilenet_v3_like --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  space::SearchSpace sp = space::SearchSpace::load("mobilenet_v3_like");
  EXPECT_EQ(j["name"], "mobilenet_v3_like");
  ASSERT_EQ(j["decisions"].size(), sp.decisions().size());
  EXPECT_EQ(j["decisions"][0]["name"], sp.decisions()[0].name);
  EXPECT_EQ(j["decisions"][0]["kind"], "kernel");
  EXPECT_NEAR(j["log10_size"].get<double>(), sp.log10_size(), 1e-9);
  EXPECT_EQ(j["stages"].size(), 6u);
}

TEST(SpaceCommand, SamplesAreArchSpecsOfTheSpaceAndFollowTheSeed) {
  Result a = run_nasctl("space --sample 4 --seed 5");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  std::vector<std::string> arch_lines = lines(a.out);
  ASSERT_EQ(arch_lines.size(), 4u);
  space::SearchSpace sp = space::SearchSpace::load("tiny");
  for (const std::string& line : arch_lines) {
    space::ArchSpec arch = space::arch_from_json(Json::parse(line), "stdout");
    EXPECT_NO_THROW(sp.encode(arch));
  }
  EXPECT_EQ(run_nasctl("--seed 5 space --sample 4").out, a.out);  // the global flag, either side
  EXPECT_NE(run_nasctl("space --sample 4 --seed 6").out, a.out);
}

TEST(SpaceCommand, ListsBuiltInSpaces) {
  Result r = run_nasctl("space --list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"edgetpu", "edgetpu_small", "mobilenet_v3_like", "proxylessnas", "tiny"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
}

TEST(SpaceCommand, BadInputExitsTwoWithOneLine) {
  Result r = run_nasctl("space --space no_such_space");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "nasctl: error: no_such_space: no such file, and not a built-in spaces config (built-in: edgetpu, "
                   "edgetpu_small, mobilenet_v3_like, proxylessnas, tiny)\n");
  testing::TempDir dir;
  Json bad = Json::parse(read_file(testing::source_dir() + "/configs/spaces/tiny.json"));
  bad["stages"][2]["layers"] = 0;
  write_file_atomic(dir.file("bad.json"), bad.dump());
  Result b = run_nasctl("space --space " + dir.file("bad.json"));
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_EQ(b.err, "nasctl: error: " + dir.file("bad.json") + ": stages[2].layers must be >= 1, but got 0\n");
  Result s = run_nasctl("space --sample -2");
  EXPECT_EQ(s.exit_code, 2);
  EXPECT_EQ(s.err, "nasctl: error: --sample must be >= 0, but got -2\n");
}

}  // namespace
}  // namespace nasctl
