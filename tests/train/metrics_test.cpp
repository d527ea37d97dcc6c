// metrics.jsonl reading on resume: a torn last line is dropped, damage elsewhere is an error.
#include "nasctl/train/metrics.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support.h"

namespace nasctl::train {
namespace {

std::string line(int64_t epoch) {
  EpochMetrics m;
  m.epoch = epoch;
  m.step = 10 * epoch;
  return metrics_to_json(m).dump();
}

void write(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(ReadMetrics, ATornLastLineIsDroppedAsSearchDoes) {
  testing::TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  std::string torn = line(2);
  write(path, line(1) + "\n" + torn.substr(0, torn.size() / 2));  // killed mid-append: no newline
  std::vector<EpochMetrics> read = read_metrics(path);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].epoch, 1);
}

TEST(ReadMetrics, DamageBeforeTheLastLineIsAnErrorNamingTheLine) {
  testing::TempDir dir;
  const std::string path = dir.file("metrics.jsonl");
  write(path, line(1) + "\n{\"epoch\": \n" + line(3) + "\n");
  EXPECT_THROW_MSG(read_metrics(path), path + ":2: invalid JSON");
  // A complete last line that is bad is damage too, not a torn append.
  write(path, line(1) + "\n{\"epoch\": \n");
  EXPECT_THROW_MSG(read_metrics(path), path + ":2: invalid JSON");
}

}  // namespace
}  // namespace nasctl::train
