#include "nasctl/latency/interval.h"

#include <gtest/gtest.h>

#include <cmath>

#include "support.h"

namespace nasctl::latency {
namespace {

TEST(Interval, WeightedQuantileInterpolatesBetweenWeightCentres) {
  // Equal weights: points sit at 1/8, 3/8, 5/8, 7/8 of the mass.
  std::vector<std::pair<double, double>> v = {{4, 1}, {1, 1}, {3, 1}, {2, 1}};
  EXPECT_DOUBLE_EQ(weighted_quantile(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(weighted_quantile(v, 0.125), 1.0);
  EXPECT_DOUBLE_EQ(weighted_quantile(v, 0.05), 1.0);  // below the first centre: the smallest
  EXPECT_DOUBLE_EQ(weighted_quantile(v, 0.99), 4.0);
  EXPECT_DOUBLE_EQ(weighted_quantile(v, 0.25), 1.5);
  // A heavy point pulls the median onto itself.
  EXPECT_DOUBLE_EQ(weighted_quantile({{1, 1}, {2, 10}, {3, 1}}, 0.5), 2.0);
}

TEST(Interval, ClassesWithEnoughPointsGetTheirOwnQuantiles) {
  std::vector<OpMix> mix;
  std::vector<double> r, w;
  for (int i = 0; i < 100; ++i) {  // pool_elementwise: residuals -0.099 .. +0.099 uniformly
    mix.push_back(OpMix::kPoolElementwise);
    r.push_back(-0.099 + 0.198 * i / 99.0);
    w.push_back(1);
  }
  for (double x : {-0.3, 0.2, 0.25}) {  // three conv networks with larger errors
    mix.push_back(OpMix::kConv);
    r.push_back(x);
    w.push_back(1);
  }
  IntervalModel m = fit_interval_model(mix, r, w, 0.8);
  const IntervalBand& pool = m.bands[size_t(OpMix::kPoolElementwise)];
  EXPECT_FALSE(pool.pooled);
  EXPECT_EQ(pool.n, 100);
  EXPECT_NEAR(pool.lo, -0.079, 0.003);
  EXPECT_NEAR(pool.hi, 0.079, 0.003);
  const IntervalBand& conv = m.bands[size_t(OpMix::kConv)];
  EXPECT_TRUE(conv.pooled);  // 3 points: the pooled band, widened to hold them
  EXPECT_DOUBLE_EQ(conv.lo, -0.3);
  EXPECT_DOUBLE_EQ(conv.hi, 0.25);
  const IntervalBand& streaming = m.bands[size_t(OpMix::kStreaming)];  // none: the pooled band
  EXPECT_TRUE(streaming.pooled);
  EXPECT_EQ(streaming.n, 0);
  EXPECT_LT(streaming.lo, 0);
  EXPECT_GT(streaming.hi, 0);

  LatencyPrediction p;
  p.ms = 2.0;
  p.mix = OpMix::kConv;
  m.apply(p);
  EXPECT_DOUBLE_EQ(p.lo_ms, 2.0 * std::exp(-0.3));
  EXPECT_DOUBLE_EQ(p.hi_ms, 2.0 * std::exp(0.25));

  IntervalModel back = IntervalModel::from_json(m.to_json(), "test");
  EXPECT_DOUBLE_EQ(back.coverage, 0.8);
  EXPECT_DOUBLE_EQ(back.bands[size_t(OpMix::kConv)].lo, -0.3);
  EXPECT_EQ(back.bands[size_t(OpMix::kPoolElementwise)].n, 100);
}

TEST(Interval, NoModelMeansAPointInterval) {
  IntervalModel none;
  LatencyPrediction p;
  p.ms = 3.0;
  none.apply(p);
  EXPECT_EQ(p.lo_ms, 3.0);
  EXPECT_EQ(p.hi_ms, 3.0);
}

TEST(Interval, ClassifiesByStreamingAndOpMix) {
  EXPECT_EQ(classify_op_mix(1, 0.9), OpMix::kStreaming);
  EXPECT_EQ(classify_op_mix(0, 0.25), OpMix::kPoolElementwise);
  EXPECT_EQ(classify_op_mix(0, 0.1), OpMix::kConv);
  EXPECT_STREQ(op_mix_name(OpMix::kPoolElementwise), "pool_elementwise");
}

TEST(Interval, BadInputIsAClearError) {
  EXPECT_THROW_MSG(fit_interval_model({OpMix::kConv}, {0.1}, {1}, 1.5), "coverage must be in (0, 1)");
  EXPECT_THROW_MSG(fit_interval_model({OpMix::kConv}, {0.1, 0.2}, {1}, 0.8), "one class, residual and weight");
  Json j = IntervalModel().to_json();
  j["coverage"] = 0.8;
  j["classes"]["conv"]["lo"] = 0.5;  // lo above the prediction
  EXPECT_THROW_MSG(IntervalModel::from_json(j, "p.json: calibration.interval"), "p.json: calibration.interval.classes.conv.lo");
}

}  // namespace
}  // namespace nasctl::latency
