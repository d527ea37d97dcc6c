// `nasctl latency calibrate` as a library call, on the published Coral measurements.

#include "nasctl/latency/calibration_run.h"

#include <gtest/gtest.h>

#include "nasctl/core/files.h"
#include "support.h"

namespace nasctl::latency {
namespace {

std::string data_file(const std::string& name) { return testing::source_dir() + "/tests/latency/data/" + name; }

CalibrationRequest coral_request() {
  CalibrationRequest r;
  r.hardware = data_file("coral-usb3.initial.json");
  r.measurements = {data_file("coral_calibration.json")};
  return r;
}

TEST(CalibrationRun, FitsWritesAndRecordsHowTheProfileWasMade) {
  testing::TempDir dir;
  CalibrationRequest request = coral_request();
  request.out = dir.file("usb3.json");
  CalibrationReport r = calibrate_profile(request);
  ASSERT_GT(r.measurements, 0u);
  ASSERT_FALSE(r.fit.params.empty());
  EXPECT_EQ(r.calibration["fit"]["all"]["n"], static_cast<int>(r.measurements));
  EXPECT_EQ(r.before["all"]["n"], static_cast<int>(r.measurements));
  EXPECT_TRUE(r.calibration["fit"].contains("coral_calibration.json"));  // per file, by file name
  EXPECT_LE(r.fit.loss_after, r.fit.loss_before);
  const std::string command =
      "nasctl latency calibrate --hardware coral-usb3.initial.json --measurements coral_calibration.json --out usb3.json";
  EXPECT_EQ(r.calibration["command"], command);
  for (const FittedParam& p : r.fit.params) {
    size_t k = static_cast<size_t>(profile_param_index(p.key));
    EXPECT_EQ(r.profile.sources[k], "fitted: " + command);
    EXPECT_TRUE(r.profile.fit[k]);
    EXPECT_DOUBLE_EQ(r.profile.*profile_params()[k].member, p.after);
  }
  // The written profile is the report's, and loads as a hardware profile.
  HardwareProfile written = load_hardware_profile(request.out);
  EXPECT_EQ(profile_to_json(written), profile_to_json(r.profile));
  Json json = r.to_json();
  EXPECT_EQ(json["params"].size(), r.fit.params.size());
  EXPECT_EQ(json["calibration"], r.calibration);
}

TEST(CalibrationRun, CrossValidationAndChipConstants) {
  CalibrationRequest request = coral_request();
  request.cv_folds = 2;
  request.chip_from = data_file("coral-devboard.initial.json");
  CalibrationReport r = calibrate_profile(request);
  const Json& cv = r.calibration["cross_validation"];
  EXPECT_EQ(cv["folds"], 2);
  EXPECT_EQ(cv["held_out"]["all"]["n"], static_cast<int>(r.measurements));
  HardwareProfile devboard = load_hardware_profile(request.chip_from);
  size_t clock = static_cast<size_t>(profile_param_index("clock_hz"));
  EXPECT_EQ(r.base.clock_hz, devboard.clock_hz);
  EXPECT_EQ(r.base.sources[clock], "same Edge TPU chip as " + devboard.name + ": " + devboard.sources[clock]);
}

TEST(CalibrationRun, BadRequestsNameTheFlag) {
  CalibrationRequest request = coral_request();
  request.cv_folds = 1;
  EXPECT_THROW_MSG(calibrate_profile(request), "--cv must be 0 (off) or >= 2, but got 1");
  request = coral_request();
  request.measurements.clear();
  EXPECT_THROW_MSG(request.validate(), "--measurements needs at least one file");
  request = coral_request();
  request.fit.max_iterations = 0;
  EXPECT_THROW_MSG(request.validate(), "--max-iterations must be >= 1, but got 0");
}

}  // namespace
}  // namespace nasctl::latency
