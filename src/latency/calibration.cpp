#include "nasctl/latency/calibration.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <cstdio>
#include <random>

#include "nasctl/core/error.h"
#include "nasctl/latency/edgetpu_model.h"

namespace nasctl::latency {
namespace {

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = 0.5 * double(i + j);  // ties share the average rank
    i = j + 1;
  }
  return r;
}

/// The fitting problem: the free constants as parameters theta, the weighted soft-L1 loss on log
/// ratios. Constants with a positive range are fitted in log space (scale-free steps, always
/// positive); those whose range starts at 0 (overheads, setup cycles) in linear space scaled by
/// their starting value, so that 0 itself can be reached.
class Problem {
 public:
  Problem(const HardwareProfile& base, const std::vector<const Measurement*>& data, const std::vector<int>& free,
          const CalibrationOptions& options)
      : base_(base), data_(data), free_(free), scale_(options.loss_scale) {
    const auto& table = profile_params();
    for (int k : free_) {
      const ProfileParam& p = table[size_t(k)];
      double v = base.*p.member;
      bool log_space = p.min > 0;
      log_space_.push_back(log_space);
      if (log_space) {
        unit_.push_back(1);
        lo_.push_back(std::log(p.min));
        hi_.push_back(std::log(p.max));
        theta0_.push_back(std::log(std::min(p.max, std::max(p.min, v))));
      } else {
        double unit = std::max(v, p.max * 1e-6);
        unit_.push_back(unit);
        lo_.push_back(p.min / unit);
        hi_.push_back(p.max / unit);
        theta0_.push_back(v / unit);
      }
    }
    std::map<std::string, int> per_file;
    for (const Measurement* m : data_) ++per_file[m->file];
    for (const Measurement* m : data_) {
      double w = options.equal_file_weights ? double(data_.size()) / double(per_file.size()) / per_file[m->file] : 1.0;
      weights_.push_back(w);
    }
  }

  const std::vector<double>& initial() const { return theta0_; }
  size_t size() const { return free_.size(); }
  double lo(size_t k) const { return lo_[k]; }
  double hi(size_t k) const { return hi_[k]; }

  HardwareProfile profile_at(const std::vector<double>& theta) const {
    HardwareProfile p = base_;
    const auto& table = profile_params();
    for (size_t k = 0; k < free_.size(); ++k) {
      const ProfileParam& param = table[size_t(free_[k])];
      double v = log_space_[k] ? std::exp(theta[k]) : theta[k] * unit_[k];
      v = std::min(param.max, std::max(param.min, v));  // exp(log(x)) may round past x
      p.*param.member = param.integer ? std::round(v) : v;
    }
    return p;
  }

  std::vector<double> predict(const std::vector<double>& theta) const {
    EdgeTpuModel model(profile_at(theta));
    std::vector<double> out;
    out.reserve(data_.size());
    for (const Measurement* m : data_) out.push_back(model.predict_ms(m->graph));
    return out;
  }

  std::vector<double> residuals(const std::vector<double>& predicted) const {
    std::vector<double> r(predicted.size());
    for (size_t i = 0; i < r.size(); ++i) r[i] = std::log(predicted[i] / data_[i]->latency_ms);
    return r;
  }

  double loss(const std::vector<double>& r) const {
    double sum = 0;
    for (size_t i = 0; i < r.size(); ++i) {
      double z = r[i] / scale_;
      sum += weights_[i] * 2 * scale_ * scale_ * (std::sqrt(1 + z * z) - 1);
    }
    return sum / double(r.size());
  }

  /// IRLS weight: the soft-L1 loss is locally a least-squares problem with these weights.
  double irls_weight(size_t i, double r) const {
    double z = r / scale_;
    return weights_[i] / std::sqrt(1 + z * z);
  }

 private:
  const HardwareProfile& base_;
  std::vector<const Measurement*> data_;
  std::vector<int> free_;
  double scale_;
  std::vector<bool> log_space_;
  std::vector<double> unit_, lo_, hi_, theta0_, weights_;
};

/// Solves A x = b (small, dense) by Gaussian elimination with partial pivoting.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const size_t n = b.size();
  for (size_t c = 0; c < n; ++c) {
    size_t pivot = c;
    for (size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    if (a[c][c] == 0) continue;
    for (size_t r = c + 1; r < n; ++r) {
      double f = a[r][c] / a[c][c];
      for (size_t k = c; k < n; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(n, 0.0);
  for (size_t c = n; c-- > 0;) {
    double s = b[c];
    for (size_t k = c + 1; k < n; ++k) s -= a[c][k] * x[k];
    x[c] = a[c][c] == 0 ? 0 : s / a[c][c];
  }
  return x;
}

struct LmResult {
  std::vector<double> theta;
  double loss = 0;
  int iterations = 0;
  bool converged = false;
};

LmResult levenberg_marquardt(const Problem& problem, std::vector<double> theta, int max_iterations) {
  const size_t m = problem.size();
  auto clamp = [&](std::vector<double>& t) {
    for (size_t k = 0; k < m; ++k) t[k] = std::min(problem.hi(k), std::max(problem.lo(k), t[k]));
  };
  clamp(theta);
  std::vector<double> r = problem.residuals(problem.predict(theta));
  double loss = problem.loss(r), lambda = 1e-3;
  LmResult out;
  for (out.iterations = 0; out.iterations < max_iterations; ++out.iterations) {
    // Jacobian of the residuals by finite differences in log-parameter space (1e-4 = 0.01 %).
    constexpr double kStep = 1e-4;
    std::vector<std::vector<double>> jac(m);
    for (size_t k = 0; k < m; ++k) {
      std::vector<double> t = theta;
      double h = theta[k] + kStep > problem.hi(k) ? -kStep : kStep;
      t[k] += h;
      std::vector<double> rk = problem.residuals(problem.predict(t));
      jac[k].resize(r.size());
      for (size_t i = 0; i < r.size(); ++i) jac[k][i] = (rk[i] - r[i]) / h;
    }
    std::vector<std::vector<double>> a(m, std::vector<double>(m, 0.0));
    std::vector<double> g(m, 0.0);
    for (size_t i = 0; i < r.size(); ++i) {
      double u = problem.irls_weight(i, r[i]);
      for (size_t k = 0; k < m; ++k) {
        g[k] += u * jac[k][i] * r[i];
        for (size_t l = 0; l <= k; ++l) a[k][l] += u * jac[k][i] * jac[l][i];
      }
    }
    for (size_t k = 0; k < m; ++k)
      for (size_t l = 0; l < k; ++l) a[l][k] = a[k][l];
    bool improved = false;
    while (lambda < 1e12) {
      std::vector<std::vector<double>> damped = a;
      std::vector<double> rhs(m);
      for (size_t k = 0; k < m; ++k) {
        damped[k][k] += lambda * a[k][k] + 1e-12;
        rhs[k] = -g[k];
      }
      std::vector<double> step = solve(damped, rhs), next = theta;
      for (size_t k = 0; k < m; ++k) next[k] += step[k];
      clamp(next);
      std::vector<double> rn = problem.residuals(problem.predict(next));
      double ln = problem.loss(rn);
      if (ln < loss) {
        double gain = (loss - ln) / std::max(loss, 1e-300);
        double moved = 0;
        for (size_t k = 0; k < m; ++k) moved = std::max(moved, std::abs(next[k] - theta[k]));
        theta = next;
        r = rn;
        loss = ln;
        lambda = std::max(lambda / 3, 1e-9);
        improved = true;
        if (gain < 1e-10 || moved < 1e-8) out.converged = true;
        break;
      }
      lambda *= 4;
    }
    if (!improved) out.converged = true;  // no step lowers the loss: a (local) minimum
    if (out.converged) break;
  }
  out.theta = theta;
  out.loss = loss;
  return out;
}

std::vector<int> free_indices(const HardwareProfile& base, const CalibrationOptions& options) {
  std::vector<int> free;
  if (options.free.empty()) {
    for (size_t k = 0; k < kProfileParamCount; ++k)
      if (base.fit[k]) free.push_back(int(k));
    if (free.empty()) throw Error("calibrate: profile '" + base.name + "' marks no constant \"fit\": true, and none were named");
    return free;
  }
  for (const std::string& key : options.free) {
    int k = profile_param_index(key);
    if (k < 0) throw Error("calibrate: --free names \"" + key + "\", which is not a constant of a hardware profile");
    if (profile_params()[size_t(k)].integer) throw Error("calibrate: \"" + key + "\" is a whole number and cannot be fitted");
    free.push_back(k);
  }
  return free;
}

}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size() || a.size() < 2) return 0;
  std::vector<double> ra = ranks(a), rb = ranks(b);
  double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / double(ra.size());
  double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / double(rb.size());
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) * (ra[i] - ma);
    sbb += (rb[i] - mb) * (rb[i] - mb);
  }
  return saa == 0 || sbb == 0 ? 0 : sab / std::sqrt(saa * sbb);
}

FitStats fit_stats(const std::vector<double>& predicted, const std::vector<double>& measured) {
  FitStats s;
  s.n = int(std::min(predicted.size(), measured.size()));
  if (s.n == 0) return s;
  std::vector<double> rel;
  double log_sq = 0, sum = 0;
  int within10 = 0, within20 = 0;
  for (int i = 0; i < s.n; ++i) {
    double e = std::abs(predicted[size_t(i)] / measured[size_t(i)] - 1);
    rel.push_back(e);
    sum += e;
    s.max_abs_rel_error = std::max(s.max_abs_rel_error, e);
    within10 += e <= 0.10;
    within20 += e <= 0.20;
    double l = std::log(predicted[size_t(i)] / measured[size_t(i)]);
    log_sq += l * l;
  }
  s.mean_abs_rel_error = sum / s.n;
  s.within_10pct = double(within10) / s.n;
  s.within_20pct = double(within20) / s.n;
  std::sort(rel.begin(), rel.end());
  s.median_abs_rel_error = rel.size() % 2 ? rel[rel.size() / 2] : 0.5 * (rel[rel.size() / 2 - 1] + rel[rel.size() / 2]);
  s.rms_log_error = std::sqrt(log_sq / s.n);
  s.spearman = spearman(predicted, measured);
  return s;
}

CalibrationResult calibrate(const HardwareProfile& base, const std::vector<Measurement>& data,
                            const CalibrationOptions& options) {
  if (data.empty()) throw Error("calibrate: no measurements");
  if (!(options.loss_scale > 0)) throw Error("calibrate: loss scale must be > 0, but got " + std::to_string(options.loss_scale));
  std::vector<int> free = free_indices(base, options);
  std::vector<const Measurement*> points;
  std::vector<double> measured;
  for (const Measurement& m : data) {
    points.push_back(&m);
    measured.push_back(m.latency_ms);
  }
  Problem problem(base, points, free, options);
  const std::vector<double>& theta0 = problem.initial();
  CalibrationResult result;
  result.predicted_before = problem.predict(theta0);
  result.loss_before = problem.loss(problem.residuals(result.predicted_before));
  LmResult lm = levenberg_marquardt(problem, theta0, options.max_iterations);
  result.profile = problem.profile_at(lm.theta);
  result.predicted_after = problem.predict(lm.theta);
  result.loss_after = lm.loss;
  result.iterations = lm.iterations;
  result.converged = lm.converged;
  result.before = fit_stats(result.predicted_before, measured);
  result.warnings = unit_warnings(data, result.predicted_before);
  result.after = fit_stats(result.predicted_after, measured);
  for (size_t k = 0; k < free.size(); ++k) {
    const ProfileParam& p = profile_params()[size_t(free[k])];
    bool at_bound = lm.theta[k] <= problem.lo(k) + 1e-9 || lm.theta[k] >= problem.hi(k) - 1e-9;
    result.params.push_back({p.key, base.*p.member, result.profile.*p.member, at_bound});
  }
  return result;
}

std::vector<int> assign_folds(const std::vector<Measurement>& data, int folds, uint64_t seed) {
  if (folds < 2 || size_t(folds) > data.size()) {
    throw Error("cross-validation: folds must be in [2, " + std::to_string(data.size()) + "], but got " + std::to_string(folds));
  }
  std::map<std::string, std::vector<size_t>> by_file;
  for (size_t i = 0; i < data.size(); ++i) by_file[data[i].file].push_back(i);
  std::mt19937_64 rng(seed);
  std::vector<int> fold_of(data.size());
  int next = 0;
  for (auto& [file, indices] : by_file) {
    std::shuffle(indices.begin(), indices.end(), rng);
    for (size_t i : indices) fold_of[i] = next++ % folds;
  }
  return fold_of;
}

std::vector<int> assign_group_folds(const std::vector<Measurement>& data, int folds, uint64_t seed) {
  std::map<std::string, std::vector<std::string>> groups_by_file;
  std::map<std::string, int> fold_of_group;  // "file|group"
  for (const Measurement& m : data) {
    std::vector<std::string>& groups = groups_by_file[m.file];
    if (std::find(groups.begin(), groups.end(), m.group) == groups.end()) groups.push_back(m.group);
  }
  size_t total = 0;
  for (const auto& [file, groups] : groups_by_file) total += groups.size();
  if (folds < 2 || size_t(folds) > total) {
    throw Error("cross-validation: folds must be in [2, " + std::to_string(total) + "] (the number of network groups), but got " +
                std::to_string(folds));
  }
  std::mt19937_64 rng(seed);
  int next = 0;
  for (auto& [file, groups] : groups_by_file) {
    std::shuffle(groups.begin(), groups.end(), rng);
    for (const std::string& g : groups) fold_of_group[file + "|" + g] = next++ % folds;
  }
  std::vector<int> fold_of(data.size());
  for (size_t i = 0; i < data.size(); ++i) fold_of[i] = fold_of_group[data[i].file + "|" + data[i].group];
  return fold_of;
}

CrossValidation cross_validate(const HardwareProfile& base, const std::vector<Measurement>& data,
                               const CalibrationOptions& options, int folds, uint64_t seed) {
  return cross_validate_folds(base, data, options, assign_folds(data, folds, seed), folds);
}

CrossValidation cross_validate_folds(const HardwareProfile& base, const std::vector<Measurement>& data,
                                     const CalibrationOptions& options, const std::vector<int>& fold_of, int folds) {
  if (fold_of.size() != data.size()) throw Error("cross-validation: one fold per measurement is needed");
  CrossValidation cv;
  cv.folds = folds;
  cv.predicted.assign(data.size(), 0.0);
  cv.mix.assign(data.size(), OpMix::kConv);
  for (int f = 0; f < folds; ++f) {
    std::vector<Measurement> train;
    for (size_t i = 0; i < data.size(); ++i)
      if (fold_of[i] != f) train.push_back(data[i]);
    if (train.size() == data.size()) continue;  // an empty fold: nothing to predict
    CalibrationResult fit = calibrate(base, train, options);
    EdgeTpuModel model(fit.profile);
    for (size_t i = 0; i < data.size(); ++i) {
      if (fold_of[i] != f) continue;
      LatencyPrediction p = model.predict_interval(data[i].graph);
      cv.predicted[i] = p.ms;
      cv.mix[i] = p.mix;
    }
  }
  std::vector<double> measured;
  for (const Measurement& m : data) measured.push_back(m.latency_ms);
  cv.stats = fit_stats(cv.predicted, measured);
  return cv;
}

std::vector<std::string> unit_warnings(const std::vector<Measurement>& data, const std::vector<double>& predicted) {
  std::map<std::string, std::vector<double>> ratios;
  std::vector<std::string> order;
  for (size_t i = 0; i < data.size() && i < predicted.size(); ++i) {
    if (!(predicted[i] > 0)) continue;
    if (!ratios.count(data[i].file)) order.push_back(data[i].file);
    ratios[data[i].file].push_back(data[i].latency_ms / predicted[i]);
  }
  std::vector<std::string> out;
  for (const std::string& file : order) {
    std::vector<double>& r = ratios[file];
    std::sort(r.begin(), r.end());
    const double median = r.size() % 2 ? r[r.size() / 2] : 0.5 * (r[r.size() / 2 - 1] + r[r.size() / 2]);
    const char* unit = median >= 300 ? "microseconds" : median <= 1.0 / 300 ? "seconds" : nullptr;
    if (!unit) continue;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.4g", median);
    double factor = median >= 1 ? median : 1 / median;
    char approx[32];
    std::snprintf(approx, sizeof approx, "%s%.0fx", median >= 1 ? "" : "1/", std::pow(10.0, std::round(std::log10(factor))));
    out.push_back(file + ": the latencies are about " + approx + " the model's (median measured / predicted = " + buf +
                  "): they look like " + unit + ", but must be milliseconds");
  }
  return out;
}

IntervalModel interval_from_cv(const std::vector<Measurement>& data, const CrossValidation& cv, double coverage,
                               bool equal_file_weights, const std::vector<bool>* use) {
  std::map<std::string, int> per_file;
  for (size_t i = 0; i < data.size(); ++i)
    if (!use || (*use)[i]) ++per_file[data[i].file];
  std::vector<OpMix> mix;
  std::vector<double> log_ratio, weights;
  for (size_t i = 0; i < data.size(); ++i) {
    if ((use && !(*use)[i]) || !(cv.predicted[i] > 0)) continue;
    mix.push_back(cv.mix[i]);
    log_ratio.push_back(std::log(data[i].latency_ms / cv.predicted[i]));
    weights.push_back(equal_file_weights ? 1.0 / per_file[data[i].file] : 1.0);
  }
  return fit_interval_model(mix, log_ratio, weights, coverage);
}

double interval_coverage(const std::vector<Measurement>& data, const CrossValidation& cv, const IntervalModel& model,
                         const std::vector<bool>& use) {
  int n = 0, inside = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    if (!use[i]) continue;
    LatencyPrediction p;
    p.ms = cv.predicted[i];
    p.mix = cv.mix[i];
    model.apply(p);
    ++n;
    inside += data[i].latency_ms >= p.lo_ms && data[i].latency_ms <= p.hi_ms;
  }
  return n == 0 ? 0.0 : double(inside) / n;
}

}  // namespace nasctl::latency
