#include "nasctl/latency/calibration_run.h"

#include <algorithm>
#include <iterator>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/latency/interval.h"

namespace nasctl::latency {
namespace {

std::string base_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Json stats_json(const FitStats& s) {
  return {{"n", s.n},
          {"median_abs_rel_error", s.median_abs_rel_error},
          {"mean_abs_rel_error", s.mean_abs_rel_error},
          {"max_abs_rel_error", s.max_abs_rel_error},
          {"within_10pct", s.within_10pct},
          {"within_20pct", s.within_20pct},
          {"spearman", s.spearman},
          {"rms_log_error", s.rms_log_error}};
}

}  // namespace

void CalibrationRequest::validate() const {
  if (hardware.empty()) throw Error("--hardware is required: the base profile to calibrate");
  if (measurements.empty()) throw Error("--measurements needs at least one file");
  if (cv_folds == 1 || cv_folds < 0) throw Error("--cv must be 0 (off) or >= 2, but got " + std::to_string(cv_folds));
  if (!(fit.loss_scale > 0)) throw Error("--loss-scale must be > 0, but got " + std::to_string(fit.loss_scale));
  if (fit.max_iterations < 1) throw Error("--max-iterations must be >= 1, but got " + std::to_string(fit.max_iterations));
}

std::string calibration_command(const CalibrationRequest& o) {
  std::string cmd = "nasctl latency calibrate --hardware " + base_name(o.hardware);
  if (!o.chip_from.empty()) cmd += " --chip-from " + base_name(o.chip_from);
  cmd += " --measurements";
  for (const std::string& m : o.measurements) cmd += " " + base_name(m);
  for (const std::string& f : o.fit.free) cmd += " --free " + f;
  if (o.fit.loss_scale != CalibrationOptions().loss_scale) cmd += " --loss-scale " + std::to_string(o.fit.loss_scale);
  if (!o.fit.equal_file_weights) cmd += " --point-weights";
  if (!o.out.empty()) cmd += " --out " + base_name(o.out);
  return cmd;
}

void copy_chip_constants(HardwareProfile& base, const HardwareProfile& from) {
  const auto& table = profile_params();
  for (size_t k = 0; k < table.size(); ++k) {
    std::string key = table[k].key;
    if (key == "host_bandwidth") break;  // the host link, runtime and CPU follow the chip constants
    base.*table[k].member = from.*table[k].member;
    base.sources[k] = "same Edge TPU chip as " + from.name + ": " + from.sources[k];
    base.fit[k] = false;
  }
}

Json fit_stats_by_file(const std::vector<Measurement>& data, const std::vector<double>& predicted) {
  Json out = Json::object();
  std::vector<std::string> files;
  for (const Measurement& m : data)
    if (std::find(files.begin(), files.end(), m.file) == files.end()) files.push_back(m.file);
  std::vector<double> all_measured;
  for (const Measurement& m : data) all_measured.push_back(m.latency_ms);
  out["all"] = stats_json(fit_stats(predicted, all_measured));
  for (const std::string& f : files) {
    std::vector<double> p, m;
    for (size_t i = 0; i < data.size(); ++i)
      if (data[i].file == f) p.push_back(predicted[i]), m.push_back(data[i].latency_ms);
    out[f] = stats_json(fit_stats(p, m));
  }
  return out;
}

Json CalibrationReport::to_json() const {
  Json params = Json::array();
  for (const FittedParam& p : fit.params)
    params.push_back({{"key", p.key}, {"before", p.before}, {"after", p.after}, {"at_bound", p.at_bound}});
  return {{"profile", profile.name}, {"params", params}, {"before", before}, {"calibration", calibration}};
}

CalibrationReport calibrate_profile(const CalibrationRequest& o) {
  o.validate();
  CalibrationReport r;
  r.base = load_hardware_profile(o.hardware);
  if (!o.chip_from.empty()) copy_chip_constants(r.base, load_hardware_profile(o.chip_from));
  std::vector<Measurement> data;
  for (const std::string& file : o.measurements) {
    std::vector<Measurement> part = load_measurements(file, r.base.device);
    data.insert(data.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  r.measurements = data.size();
  r.fit = calibrate(r.base, data, o.fit);
  const std::string command = calibration_command(o);
  r.before = fit_stats_by_file(data, r.fit.predicted_before);
  r.calibration = {{"command", command},
                   {"loss", "soft-L1 on log(predicted / measured), scale " + std::to_string(o.fit.loss_scale)},
                   {"iterations", r.fit.iterations},
                   {"converged", r.fit.converged},
                   {"fit", fit_stats_by_file(data, r.fit.predicted_after)}};
  if (o.cv_folds > 0) {
    // Whole network groups held out (zoo families, cell topologies): the check that predicts
    // accuracy on networks the fit has never seen. The intervals come from these residuals.
    CrossValidation cv =
        cross_validate_folds(r.base, data, o.fit, assign_group_folds(data, o.cv_folds, o.seed), o.cv_folds);
    r.calibration["cross_validation"] = {{"folds", o.cv_folds},
                                         {"seed", o.seed},
                                         {"held_out_together", "network groups"},
                                         {"held_out", fit_stats_by_file(data, cv.predicted)}};
    r.calibration["interval"] =
        interval_from_cv(data, cv, kDefaultIntervalCoverage, o.fit.equal_file_weights).to_json();
  }
  r.profile = r.fit.profile;
  for (const FittedParam& p : r.fit.params) {
    size_t k = static_cast<size_t>(profile_param_index(p.key));
    r.profile.sources[k] = "fitted: " + command;
    r.profile.fit[k] = true;
  }
  r.profile.calibration = r.calibration;
  if (!o.out.empty()) write_file_atomic(o.out, profile_to_json(r.profile).dump(2) + "\n");
  return r;
}

}  // namespace nasctl::latency
