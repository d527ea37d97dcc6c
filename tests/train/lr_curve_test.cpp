// The one learning-rate curve of the trainer and the search, against hand-computed values.

#include "nasctl/train/lr_curve.h"

#include <gtest/gtest.h>

#include <cmath>

#include "nasctl/train/optimizer.h"

namespace nasctl::train {
namespace {

TEST(LrCurve, WarmupThenCosineToTheFloor) {
  LrCurve c;
  c.peak = 1.0;
  c.warmup_steps = 2;
  c.decay_steps = 4;
  c.floor = 0.2;
  EXPECT_DOUBLE_EQ(c.at(0), 0.5);  // (0 + 1) / 2
  EXPECT_DOUBLE_EQ(c.at(1), 1.0);
  EXPECT_DOUBLE_EQ(c.at(2), 1.0);  // decay starts at the peak
  EXPECT_DOUBLE_EQ(c.at(3), 0.2 + 0.8 * 0.5 * (1 + std::sqrt(0.5)));  // cos(pi / 4)
  EXPECT_DOUBLE_EQ(c.at(4), 0.6);  // half way
  EXPECT_DOUBLE_EQ(c.at(6), 0.2);  // the floor at decay_steps after warm-up
  EXPECT_DOUBLE_EQ(c.at(9), 0.2);  // and after
}

TEST(LrCurve, LinearConstantAndStaircaseExponential) {
  LrCurve c;
  c.peak = 2.0;
  c.decay = LrDecay::kLinear;
  c.decay_steps = 4;
  EXPECT_DOUBLE_EQ(c.at(1), 1.5);
  EXPECT_DOUBLE_EQ(c.at(4), 0.0);
  c.decay = LrDecay::kConstant;
  EXPECT_DOUBLE_EQ(c.at(3), 2.0);
  c.decay = LrDecay::kExponential;
  c.rate = 0.5;
  c.period_steps = 3;
  EXPECT_DOUBLE_EQ(c.at(2), 2.0);
  EXPECT_DOUBLE_EQ(c.at(3), 1.0);
  EXPECT_DOUBLE_EQ(c.at(7), 0.5);
  c.staircase = false;
  EXPECT_DOUBLE_EQ(c.at(3), 1.0);
  EXPECT_DOUBLE_EQ(c.at(6), 0.5);
  EXPECT_DOUBLE_EQ(c.at(1), 2.0 * std::pow(0.5, 1.0 / 3.0));
}

// The trainer's cosine reaches its floor at the last step: total 10, warm-up 1 epoch of 2 steps.
TEST(LrCurve, TrainerScheduleEndsAtTheFloorOnItsLastStep) {
  ScheduleOptions options;
  options.warmup_epochs = 1;
  LrSchedule schedule(options, 0.4, 2, 10);
  EXPECT_EQ(schedule.warmup_steps(), 2);
  EXPECT_DOUBLE_EQ(schedule.at(0), 0.2);
  EXPECT_DOUBLE_EQ(schedule.at(2), 0.4);
  EXPECT_DOUBLE_EQ(schedule.at(9), 0.0);
  EXPECT_NEAR(schedule.at(8), 0.4 * 0.5 * (1 + std::cos(M_PI * 6 / 7)), 1e-15);
}

}  // namespace
}  // namespace nasctl::train
