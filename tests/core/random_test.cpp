// Seeded streams: SplitMix64 against its reference output, and every named seed against a Python
// implementation of its formula (make_random_goldens.py), so that runs stay bit-identical.

#include "nasctl/core/random.h"

#include <gtest/gtest.h>

#include "core/random_goldens.h"

namespace nasctl {
namespace {

TEST(Random, SplitMixMatchesTheReferenceStream) {
  SplitMix rng(1234567);
  for (uint64_t expected : kSplitMix1234567) EXPECT_EQ(rng.next(), expected);
}

TEST(Random, NamedSeedsKeepTheirFormulas) {
  EXPECT_EQ(sample_seed(7, 2, 11), kSampleSeed_7_2_11[0]);
  EXPECT_EQ(epoch_order_seed(7, 2), kEpochOrderSeed_7_2[0]);
  EXPECT_EQ(class_split_seed(7, 3), kClassSplitSeed_7_3[0]);
  EXPECT_EQ(train_step_seed(7, 1, 5), kTrainStepSeed_7_1_5[0]);
  EXPECT_EQ(search_step_seed(7, 1, 5), kSearchStepSeed_7_1_5[0]);
}

TEST(Random, StreamsWithOtherCoordinatesDiffer) {
  EXPECT_NE(sample_seed(0, 0, 1), sample_seed(0, 1, 0));
  EXPECT_NE(train_step_seed(0, 0, 1), train_step_seed(0, 1, 1));
  EXPECT_NE(search_step_seed(0, 0, 1), sample_seed(0, 0, 1));  // salted apart from the loader's
}

TEST(Random, UniformAndBelowStayInRange) {
  SplitMix rng(3);
  for (int i = 0; i < 1000; ++i) {
    double u = rng.uniform(2.0, 3.0);
    EXPECT_GE(u, 2.0);
    EXPECT_LT(u, 3.0);
    EXPECT_LT(rng.below(7), 7u);
  }
}

}  // namespace
}  // namespace nasctl
