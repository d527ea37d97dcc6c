#pragma once
/// `nasctl latency calibrate` as a library call: load a base profile (optionally with the chip
/// constants of another), fit it to measurement files, cross-validate, and produce the calibrated
/// profile with a record of how it was made.

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/latency/calibration.h"
#include "nasctl/latency/hardware_profile.h"
#include "nasctl/latency/measurements.h"

namespace nasctl::latency {

struct CalibrationRequest {
  std::string hardware;                   ///< base profile: built-in name or file (required)
  std::vector<std::string> measurements;  ///< measurement files (at least one)
  std::string out;                        ///< where the calibrated profile is written; "" = nowhere
  std::string chip_from;                  ///< take the chip constants from this profile; "" = the base's
  CalibrationOptions fit;
  int cv_folds = 0;                       ///< K-fold cross-validation; 0 = none, else >= 2
  uint64_t seed = 0;                      ///< of the fold assignment

  /// Throws Error naming the flag and the value.
  void validate() const;
};

struct CalibrationReport {
  HardwareProfile base;     ///< the base profile (with chip_from's chip constants)
  HardwareProfile profile;  ///< the calibrated profile, its sources and "calibration" record set
  size_t measurements = 0;
  CalibrationResult fit;
  Json before;              ///< fit statistics before calibration: "all", then per file
  Json calibration;         ///< the record stored in the profile (command, loss, fit, cross-validation)

  /// What `nasctl latency calibrate --json` prints.
  Json to_json() const;
};

/// Runs the calibration and writes `request.out` (atomically) when set.
CalibrationReport calibrate_profile(const CalibrationRequest& request);

/// The command line that reproduces a calibration, without the machine's directories.
std::string calibration_command(const CalibrationRequest& request);

/// Copies the chip constants (array, clock, throughputs, on-chip memory: the same on every Edge
/// TPU system) of `from` into `base`, with sources naming `from`.
void copy_chip_constants(HardwareProfile& base, const HardwareProfile& from);

/// Fit statistics of `predicted` against the measurements: {"all": ..., "<file>": ...}.
Json fit_stats_by_file(const std::vector<Measurement>& data, const std::vector<double>& predicted);

}  // namespace nasctl::latency
