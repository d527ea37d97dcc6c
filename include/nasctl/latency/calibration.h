#pragma once
/// Calibration: fit a profile's free constants to measured latencies by robust least squares on
/// the log of predicted / measured (soft-L1 loss, Levenberg-Marquardt with iteratively reweighted
/// normal equations, in log-parameter space within each constant's physical range), and judge
/// the model by k-fold cross-validation.

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/latency/hardware_profile.h"
#include "nasctl/latency/interval.h"
#include "nasctl/latency/measurements.h"

namespace nasctl::latency {

/// How well predictions match measurements.
struct FitStats {
  int n = 0;
  double median_abs_rel_error = 0;  ///< median |pred / meas - 1|
  double mean_abs_rel_error = 0;
  double max_abs_rel_error = 0;
  double within_10pct = 0;          ///< fraction with |pred / meas - 1| <= 0.10
  double within_20pct = 0;
  double spearman = 0;              ///< rank correlation (ties get average ranks)
  double rms_log_error = 0;         ///< sqrt(mean(log(pred / meas)^2))
};
FitStats fit_stats(const std::vector<double>& predicted, const std::vector<double>& measured);
/// Spearman rank correlation; 0 when either side is constant or there are fewer than 2 values.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

struct CalibrationOptions {
  /// Constants to fit; default empty = those marked "fit": true in the base profile.
  std::vector<std::string> free;
  /// Scale of the soft-L1 loss on log(pred / meas): errors well below it count quadratically,
  /// above it linearly (outliers pull less). Default 0.05 (about 5 %).
  double loss_scale = 0.05;
  /// Give every measurement file the same total weight (a file of 6 networks is not drowned by one
  /// of 300); false weighs every measurement alike. Default true.
  bool equal_file_weights = true;
  int max_iterations = 200;         ///< Levenberg-Marquardt iterations; default 200
};

struct FittedParam {
  std::string key;
  double before = 0;
  double after = 0;
  bool at_bound = false;  ///< ended at the edge of its physical range
};

struct CalibrationResult {
  HardwareProfile profile;                 ///< the base with the fitted values
  std::vector<FittedParam> params;
  std::vector<double> predicted_before;    ///< ms, per measurement
  std::vector<double> predicted_after;
  FitStats before;
  FitStats after;
  double loss_before = 0;
  double loss_after = 0;
  int iterations = 0;
  bool converged = false;
  /// Doubts about the measurements (unit_warnings on the predictions before the fit).
  std::vector<std::string> warnings;
};

/// One line per measurement file whose latencies look like the wrong unit: when the median of
/// measured / predicted over the file is >= 300 the values are most likely microseconds, when it is
/// <= 1/300 seconds ("nb.json: the latencies are about 1000x the model's (median measured /
/// predicted = 1000): they look like microseconds, but must be milliseconds"). `predicted` is one
/// value per measurement, from any sensible profile (calibration uses its starting constants).
std::vector<std::string> unit_warnings(const std::vector<Measurement>& data, const std::vector<double>& predicted);

/// Fits; throws Error when a free constant is unknown or there are no measurements.
CalibrationResult calibrate(const HardwareProfile& base, const std::vector<Measurement>& data,
                            const CalibrationOptions& options = {});

struct CrossValidation {
  int folds = 0;
  std::vector<double> predicted;  ///< each measurement predicted by the fit that did not see it
  std::vector<OpMix> mix;         ///< op-mix class of each held-out prediction
  FitStats stats;
};

/// The interval model of held-out predictions: per op-mix class, the quantiles of
/// log(measured / predicted) bracketing `coverage`; each file weighs the same in total when
/// `equal_file_weights` (as in calibration). `use` (optional) selects the measurements to fit on.
IntervalModel interval_from_cv(const std::vector<Measurement>& data, const CrossValidation& cv, double coverage,
                               bool equal_file_weights, const std::vector<bool>* use = nullptr);

/// Share of the selected measurements whose value lies in their held-out prediction's interval
/// under `model`.
double interval_coverage(const std::vector<Measurement>& data, const CrossValidation& cv, const IntervalModel& model,
                         const std::vector<bool>& use);
/// The fold of each measurement: each file's measurements, shuffled with `seed`, are dealt
/// round-robin into `folds` folds, so every fold holds a share of every file. Throws Error unless
/// 2 <= folds <= data.size().
std::vector<int> assign_folds(const std::vector<Measurement>& data, int folds, uint64_t seed);

/// The fold of each measurement when whole groups are held out (Measurement::group: a zoo network
/// family, a NAS-Bench-201 cell topology): each file's groups, shuffled with `seed`, are dealt
/// round-robin into `folds` folds, and every measurement follows its group. With as many folds as
/// a file has groups this is leave-one-group-out for that file. Throws Error unless
/// 2 <= folds <= number of groups.
std::vector<int> assign_group_folds(const std::vector<Measurement>& data, int folds, uint64_t seed);

/// Cross-validation over a given assignment of measurements to folds 0..folds-1 (from
/// assign_folds or assign_group_folds): each fold is predicted by a calibration on the others.
CrossValidation cross_validate_folds(const HardwareProfile& base, const std::vector<Measurement>& data,
                                     const CalibrationOptions& options, const std::vector<int>& fold_of, int folds);

/// k-fold cross-validation over assign_folds(data, folds, seed): each fold is predicted by a
/// calibration (from `base`) on the others.
CrossValidation cross_validate(const HardwareProfile& base, const std::vector<Measurement>& data,
                               const CalibrationOptions& options, int folds, uint64_t seed);

}  // namespace nasctl::latency
