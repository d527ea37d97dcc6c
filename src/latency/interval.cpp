#include "nasctl/latency/interval.h"

#include <algorithm>
#include <cmath>

#include "nasctl/core/error.h"

namespace nasctl::latency {

const char* op_mix_name(OpMix mix) {
  switch (mix) {
    case OpMix::kConv: return "conv";
    case OpMix::kPoolElementwise: return "pool_elementwise";
    case OpMix::kStreaming: return "streaming";
  }
  return "?";
}

OpMix classify_op_mix(int64_t streamed_param_bytes, double pool_elementwise_share) {
  if (streamed_param_bytes > 0) return OpMix::kStreaming;
  return pool_elementwise_share >= 0.25 ? OpMix::kPoolElementwise : OpMix::kConv;
}

void IntervalModel::apply(LatencyPrediction& p) const {
  if (empty()) {
    p.lo_ms = p.hi_ms = p.ms;
    return;
  }
  const IntervalBand& b = bands[size_t(p.mix)];
  p.lo_ms = p.ms * std::exp(b.lo);
  p.hi_ms = p.ms * std::exp(b.hi);
}

Json IntervalModel::to_json() const {
  Json classes = Json::object();
  for (int k = 0; k < kNumOpMixes; ++k) {
    const IntervalBand& b = bands[size_t(k)];
    classes[op_mix_name(OpMix(k))] = {{"lo", b.lo}, {"hi", b.hi}, {"n", b.n}, {"pooled", b.pooled}};
  }
  return {{"coverage", coverage},
          {"meaning", "per op-mix class, quantiles of log(measured / predicted) over held-out (cross-validated) "
                      "predictions; interval = predicted x [exp(lo), exp(hi)]"},
          {"classes", classes}};
}

IntervalModel IntervalModel::from_json(const Json& json, const std::string& origin) {
  JsonView root(json, origin);
  root.check_keys({"coverage", "meaning", "classes"});
  IntervalModel m;
  m.coverage = root.get_double("coverage");
  if (!(m.coverage > 0 && m.coverage < 1)) root.fail("coverage", "a number in (0, 1)");
  JsonView classes = root.child("classes");
  for (int k = 0; k < kNumOpMixes; ++k) {
    JsonView c = classes.child(op_mix_name(OpMix(k)));
    c.check_keys({"lo", "hi", "n", "pooled"});
    IntervalBand& b = m.bands[size_t(k)];
    b.lo = c.get_double("lo");
    b.hi = c.get_double("hi");
    b.n = c.get_int("n", 0);
    b.pooled = c.get_bool("pooled", false);
    if (!std::isfinite(b.lo) || !std::isfinite(b.hi) || b.lo > 0 || b.hi < 0 || b.hi - b.lo > 5) {
      c.fail("lo", "lo <= 0 <= hi, finite, hi - lo <= 5 (log factors)");
    }
  }
  return m;
}

double weighted_quantile(std::vector<std::pair<double, double>> vw, double q) {
  if (vw.empty()) return 0;
  std::sort(vw.begin(), vw.end());
  double total = 0;
  for (const auto& [v, w] : vw) total += w;
  // Each point sits at the middle of its weight; interpolate between those positions.
  double cumulative = 0, prev_pos = 0, prev_v = vw.front().first;
  for (size_t i = 0; i < vw.size(); ++i) {
    double pos = (cumulative + 0.5 * vw[i].second) / total;
    cumulative += vw[i].second;
    if (q <= pos) {
      if (i == 0) return vw[i].first;
      double f = (q - prev_pos) / std::max(pos - prev_pos, 1e-300);
      return prev_v + f * (vw[i].first - prev_v);
    }
    prev_pos = pos;
    prev_v = vw[i].first;
  }
  return vw.back().first;
}

IntervalModel fit_interval_model(const std::vector<OpMix>& mix, const std::vector<double>& log_ratio,
                                 const std::vector<double>& weights, double coverage) {
  if (!(coverage > 0 && coverage < 1)) throw Error("interval coverage must be in (0, 1), but got " + std::to_string(coverage));
  if (mix.empty() || mix.size() != log_ratio.size() || mix.size() != weights.size()) {
    throw Error("interval fit: needs one class, residual and weight per held-out prediction");
  }
  const double qlo = (1 - coverage) / 2, qhi = (1 + coverage) / 2;
  std::vector<std::pair<double, double>> all;
  std::array<std::vector<std::pair<double, double>>, kNumOpMixes> per;
  for (size_t i = 0; i < mix.size(); ++i) {
    all.push_back({log_ratio[i], weights[i]});
    per[size_t(mix[i])].push_back({log_ratio[i], weights[i]});
  }
  // A band must contain the prediction itself (lo <= 0 <= hi).
  const double pooled_lo = std::min(0.0, weighted_quantile(all, qlo));
  const double pooled_hi = std::max(0.0, weighted_quantile(all, qhi));
  IntervalModel m;
  m.coverage = coverage;
  for (int k = 0; k < kNumOpMixes; ++k) {
    IntervalBand& b = m.bands[size_t(k)];
    const auto& points = per[size_t(k)];
    b.n = int(points.size());
    if (b.n >= kMinClassPoints) {
      b.lo = std::min(0.0, weighted_quantile(points, qlo));
      b.hi = std::max(0.0, weighted_quantile(points, qhi));
      continue;
    }
    b.pooled = true;
    b.lo = pooled_lo;
    b.hi = pooled_hi;
    for (const auto& [r, w] : points) {
      b.lo = std::min(b.lo, r);
      b.hi = std::max(b.hi, r);
    }
  }
  return m;
}

}  // namespace nasctl::latency
