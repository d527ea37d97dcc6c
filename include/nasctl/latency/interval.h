#pragma once
/// Prediction intervals for the Edge TPU model, from held-out calibration residuals.
///
/// `nasctl latency calibrate --cv K` predicts every measurement by a fit that did not see its
/// network group (cross-validation), and keeps, per op-mix class, the quantiles of
/// log(measured / predicted) that bracket the stated coverage (default 80 %): the interval of a
/// new prediction is [predicted x exp(lo), predicted x exp(hi)]. The classes separate the networks
/// whose errors come from different constants:
///   streaming         parameters overflow the on-chip cache and stream over the host link;
///   pool_elementwise  at least 25 % of the Edge TPU time is in pools and element-wise ops;
///   conv              the rest (convolution dominated).
/// A class with fewer than kMinClassPoints held-out residuals takes the pooled band, widened to
/// hold each of its own residuals.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/core/json.h"

namespace nasctl::latency {

enum class OpMix { kConv, kPoolElementwise, kStreaming };
constexpr int kNumOpMixes = 3;
/// "conv", "pool_elementwise", "streaming".
const char* op_mix_name(OpMix mix);
/// The class of a prediction: kStreaming when any parameter streams, else by the share of the
/// Edge TPU time in pools and element-wise ops (>= 0.25: kPoolElementwise).
OpMix classify_op_mix(int64_t streamed_param_bytes, double pool_elementwise_share);

/// The coverage `nasctl latency calibrate --cv` fits the shipped intervals for.
constexpr double kDefaultIntervalCoverage = 0.8;

/// Fewer held-out residuals than this and a class's own quantiles are not trusted.
constexpr int kMinClassPoints = 20;

/// A latency prediction with its interval.
struct LatencyPrediction {
  double ms = 0;
  double lo_ms = 0;  ///< equal to ms when there is no interval model
  double hi_ms = 0;
  OpMix mix = OpMix::kConv;
};

/// log(measured / predicted) quantiles of one class.
struct IntervalBand {
  double lo = 0;
  double hi = 0;
  int n = 0;              ///< held-out residuals of this class
  bool pooled = false;    ///< too few of its own: the pooled band, widened to hold them
};

struct IntervalModel {
  double coverage = 0;    ///< 0: no interval (lo = hi = the prediction)
  std::array<IntervalBand, kNumOpMixes> bands{};

  bool empty() const { return coverage <= 0; }
  /// Sets p.lo_ms / p.hi_ms from p.ms and p.mix.
  void apply(LatencyPrediction& p) const;
  Json to_json() const;
  /// Errors name `origin` and the key.
  static IntervalModel from_json(const Json& json, const std::string& origin);
};

/// Fits the bands: for each class, the weighted (1 - coverage) / 2 and (1 + coverage) / 2
/// quantiles of `log_ratio` = log(measured / predicted) of held-out predictions. Throws Error
/// unless 0 < coverage < 1 and the vectors agree in length and are non-empty.
IntervalModel fit_interval_model(const std::vector<OpMix>& mix, const std::vector<double>& log_ratio,
                                 const std::vector<double>& weights, double coverage);

/// Weighted quantile (weights need not sum to 1): the smallest value whose cumulative weight
/// reaches q of the total, interpolated between neighbours.
double weighted_quantile(std::vector<std::pair<double, double>> value_weight, double q);

}  // namespace nasctl::latency
