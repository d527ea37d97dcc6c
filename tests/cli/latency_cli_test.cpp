// `nasctl latency` as a user runs it: per-layer JSON, --plot, --batch lines, bad input.
#include <gtest/gtest.h>

#include <sstream>

#include "cli_support.h"
#include "nasctl/core/files.h"
#include "nasctl/core/json.h"

namespace nasctl::testing {
namespace {

TEST(LatencyCli, JsonTotalIsTheSumOfItsParts) {
  CommandResult r = run_nasctl("latency --model mobilenet_v2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json j = Json::parse(r.out);
  double total = j.at("latency_ms").get<double>();
  EXPECT_TRUE(j.at("on_edgetpu").get<bool>());
  double parts = j.at("edgetpu_ms").get<double>() + j.at("cpu_ms").get<double>() +
                 j.at("transfer_ms").get<double>() + j.at("overhead_ms").get<double>();
  EXPECT_NEAR(parts, total, 1e-6 * total);
  double ops_us = 0;
  for (const Json& op : j.at("ops")) ops_us += op.at("time_us").get<double>();
  EXPECT_NEAR(ops_us / 1000.0, j.at("edgetpu_ms").get<double>(), 1e-6 * total);
}

TEST(LatencyCli, PlotWritesAnSvgAndBatchScoresEveryLine) {
  TempDir dir;
  CommandResult plot = run_nasctl("latency --model squeezenet --plot '" + dir.file("r.svg") + "'");
  ASSERT_EQ(plot.exit_code, 0) << plot.err;
  EXPECT_NE(read_file(dir.file("r.svg")).find("<svg"), std::string::npos);

  CommandResult a = run_nasctl("models --show mobilenet_v2 --input-size 96 --classes 10");
  CommandResult b = run_nasctl("models --show squeezenet --input-size 64 --classes 10");
  ASSERT_EQ(a.exit_code + b.exit_code, 0);
  write_file_atomic(dir.file("nets.jsonl"), Json::parse(a.out).dump() + "\n" + Json::parse(b.out).dump() + "\n");
  CommandResult batch = run_nasctl("latency --batch '" + dir.file("nets.jsonl") + "'");
  ASSERT_EQ(batch.exit_code, 0) << batch.err;
  std::istringstream lines(batch.out);
  std::vector<Json> results;
  for (std::string line; std::getline(lines, line);) results.push_back(Json::parse(line));
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].at("name"), "mobilenet_v2");
  EXPECT_EQ(results[1].at("name"), "squeezenet");
  EXPECT_GT(results[0].at("latency_ms").get<double>(), 0.0);
  // Every line carries the prediction interval of the shipped profile, around the prediction.
  for (const Json& r : results) {
    EXPECT_LT(r.at("latency_lo_ms").get<double>(), r.at("latency_ms").get<double>());
    EXPECT_GT(r.at("latency_hi_ms").get<double>(), r.at("latency_ms").get<double>());
  }
  CommandResult text = run_nasctl("latency --model mobilenet_v2");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("(80 % interval "), std::string::npos) << text.out;
}

TEST(LatencyCli, CalibrateWarnsWhenTheLatenciesLookLikeMicroseconds) {
  TempDir dir;
  // Coral's published latencies, written in microseconds by mistake.
  write_file_atomic(dir.file("us.json"), R"({"measurements": [
      {"model": "mobilenet_v1", "input": 224, "devboard_ms": 2400},
      {"model": "mobilenet_v2", "input": 224, "devboard_ms": 2600},
      {"model": "vgg16", "input": 224, "devboard_ms": 343000}]})");
  CommandResult r = run_nasctl("latency calibrate --hardware coral-devboard --measurements '" + dir.file("us.json") +
                               "' --free inference_overhead_s");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("us.json: the latencies are about 1000x the model's"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("they look like microseconds, but must be milliseconds"), std::string::npos) << r.err;
}

TEST(LatencyCli, BadInputExitsTwo) {
  CommandResult hw = run_nasctl("latency --model mobilenet_v2 --hardware no-such-board");
  EXPECT_EQ(hw.exit_code, 2);
  EXPECT_NE(hw.err.find("no-such-board"), std::string::npos) << hw.err;
  CommandResult none = run_nasctl("latency");
  EXPECT_EQ(none.exit_code, 2);
}

}  // namespace
}  // namespace nasctl::testing
