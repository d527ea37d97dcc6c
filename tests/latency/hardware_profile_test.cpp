#include "nasctl/latency/hardware_profile.h"

#include <gtest/gtest.h>

#include <fstream>

#include "nasctl/core/configs.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/latency/calibration.h"
#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/latency/measurements.h"
#include "support.h"

namespace nasctl::latency {
namespace {

std::string data_file(const std::string& name) { return testing::source_dir() + "/tests/latency/data/" + name; }

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(HardwareProfile, BuiltInProfilesLoadWithASourceForEveryConstant) {
  for (const char* name : {"coral-usb3", "coral-devboard"}) {
    HardwareProfile p = load_hardware_profile(name);
    EXPECT_EQ(p.name, name);
    for (size_t k = 0; k < kProfileParamCount; ++k) {
      EXPECT_FALSE(p.sources[k].empty()) << name << " " << profile_params()[k].key;
      if (p.fit[k]) EXPECT_EQ(p.sources[k].rfind("fitted: nasctl latency calibrate", 0), 0u) << p.sources[k];
    }
    EXPECT_TRUE(p.calibration.contains("command")) << name;
  }
  // Both profiles describe the same chip.
  HardwareProfile usb = load_hardware_profile("coral-usb3"), dev = load_hardware_profile("coral-devboard");
  EXPECT_EQ(usb.conv_efficiency, dev.conv_efficiency);
  EXPECT_EQ(usb.sram_param_bytes, dev.sram_param_bytes);
  EXPECT_EQ(usb.device, "usb3");
}

TEST(HardwareProfile, JsonRoundTrip) {
  HardwareProfile p = load_hardware_profile("coral-devboard");
  HardwareProfile q = profile_from_json(profile_to_json(p), "round-trip");
  for (const ProfileParam& param : profile_params()) EXPECT_EQ(p.*param.member, q.*param.member) << param.key;
  EXPECT_EQ(p.sources, q.sources);
  EXPECT_EQ(p.fit, q.fit);
}

TEST(HardwareProfile, BadFilesGiveClearErrors) {
  testing::TempDir dir;
  Json good = profile_to_json(load_hardware_profile("coral-usb3"));
  auto broken = [&](auto edit) {
    Json j = good;
    edit(j);
    std::string path = dir.file("p.json");
    write(path, j.dump());
    return path;
  };
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["params"]["clock_hz"]["value"] = -5; })),
                   "p.json: params.clock_hz.value must be in [10000000, 500000000] (Hz, Edge TPU core clock (libedgetpu's settings "
                   "reach 500 MHz)), but got -5");
  // Constants outside their physical range name the constant, the range and the value.
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["params"]["sram_param_bytes"]["value"] = 64e6; })),
                   "params.sram_param_bytes.value must be in [0, 8388608] (B, on-chip memory for caching parameters (at most "
                   "the 8 MiB SRAM)), but got 64000000");
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["params"]["op_overhead_s"]["value"] = 0.5; })),
                   "params.op_overhead_s.value must be in [0, 0.0001] (s, fixed cost per Edge TPU op (at most 100 us)), but got 0.5");
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["params"]["depthwise_macs_per_cycle"]["value"] = 5000; })),
                   "params.depthwise_macs_per_cycle.value must be in [0.01, 4096]");
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["params"]["array_rows"]["value"] = 64.5; })),
                   "params.array_rows.value must be a whole number, but got 64.5");
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["params"]["warp_factor"] = {{"value", 9}}; })),
                   "params.warp_factor is not a known constant");
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["params"].erase("host_bandwidth"); })),
                   "params.host_bandwidth is required but missing");
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["params"]["sram_param_bytes"].erase("source"); })),
                   "params.sram_param_bytes.source is required but missing");
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["params"]["sram_param_bytes"]["source"] = ""; })),
                   "source must be a non-empty string");
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["format"] = "v0"; })), "format must be \"nasctl-hardware-v1\"");
  EXPECT_THROW_MSG(load_hardware_profile(broken([](Json& j) { j["clock"] = 1; })), "clock");
  write(dir.file("syntax.json"), "{\"name\": ");
  EXPECT_THROW_MSG(load_hardware_profile(dir.file("syntax.json")), "syntax.json: invalid JSON");
  EXPECT_THROW_MSG(load_hardware_profile("coral-usb9"), "not a built-in hardware config");
}

TEST(Measurements, ReadsBothCalibrationFiles) {
  std::vector<Measurement> zoo = load_measurements(data_file("coral_calibration.json"), "usb3");
  ASSERT_EQ(zoo.size(), 6u);
  EXPECT_EQ(zoo[0].name, "mobilenet_v1@224");
  EXPECT_EQ(zoo[0].latency_ms, 2.4);
  EXPECT_EQ(zoo[3].name, "resnet50_v1@299");  // its input size comes from the file
  EXPECT_EQ(zoo[3].graph.input.h, 299);
  EXPECT_EQ(load_measurements(data_file("coral_calibration.json"), "devboard")[4].latency_ms, 343);
  std::vector<Measurement> nb = load_measurements(data_file("nb201_latbench_calibration.json"), "devboard");
  ASSERT_EQ(nb.size(), 300u);
  EXPECT_EQ(nb[0].graph.input.h, 32);
  EXPECT_EQ(nb[0].file, "nb201_latbench_calibration.json");
}

TEST(Measurements, BadFilesGiveClearErrors) {
  testing::TempDir dir;
  auto file = [&](const std::string& text) {
    write(dir.file("m.json"), text);
    return dir.file("m.json");
  };
  EXPECT_THROW_MSG(load_measurements(file(R"({"measurements": [{"model": "mobilenet_v2", "usb3_ms": 2}]})"), "devboard"),
                   "m.json: measurements[0] has neither \"devboard_ms\" nor \"latency_ms\"");
  EXPECT_THROW_MSG(load_measurements(file(R"({"measurements": [{"model": "mobilenet_v2", "latency_ms": -1}]})"), "usb3"),
                   "measurements[0].latency_ms must be a latency > 0 (ms), but got -1");
  EXPECT_THROW_MSG(load_measurements(file(R"({"measurements": [{"model": "lenet", "latency_ms": 1}]})"), "usb3"),
                   "measurements[0].model: model \"lenet\" is not in the zoo");
  EXPECT_THROW_MSG(load_measurements(file(R"({"measurements": [{"model": "densenet169", "input": 224, "devboard_ms": 9}]})"),
                                     "devboard"),
                   "m.json: measurements[0].model: model \"densenet169\" is not in the zoo (");
  EXPECT_THROW_MSG(load_measurements(file(R"({"measurements": [{"model": "lenet", "latency_ms": 1}]})"), "usb3"),
                   "give that network as an inline \"graph\" (graph v1) instead");
  EXPECT_THROW_MSG(load_measurements(file(R"({"measurements": [{"arch_str": "|x~0|", "latency_ms": 1}]})"), "usb3"),
                   "m.json: measurements[0]: NAS-Bench-201 arch \"|x~0|\" must have 3 nodes");
  EXPECT_THROW_MSG(load_measurements(file(R"({"measurements": [{"latency_ms": 1}]})"), "usb3"),
                   "must name its network by \"model\", \"arch_str\" or \"graph\"");
  EXPECT_THROW_MSG(load_measurements(file(R"({"measurements": []})"), "usb3"), "at least one measurement");
  EXPECT_THROW_MSG(load_measurements(file(R"({"network": {"input": [32, 32, 1]}, "measurements": []})"), "usb3"),
                   "network.input must be [N, N, 3]");
  EXPECT_THROW_MSG(load_measurements(dir.file("missing.json"), "usb3"), "missing.json: cannot open file");
}

// The shipped profiles are the result of `nasctl latency calibrate` on tests/latency/data (see
// docs/latency-model.md): calibrating again from them must not move them, and the fit statistics
// they record must be what they reproduce.
TEST(HardwareProfile, ShippedDevboardProfileIsACalibrationFixedPoint) {
  HardwareProfile shipped = load_hardware_profile(testing::source_dir() + "/configs/hardware/coral-devboard.json");
  std::vector<Measurement> data = load_measurements(data_file("coral_calibration.json"), shipped.device);
  std::vector<Measurement> nb = load_measurements(data_file("nb201_latbench_calibration.json"), shipped.device);
  data.insert(data.end(), nb.begin(), nb.end());
  CalibrationResult again = calibrate(shipped, data);
  for (const FittedParam& p : again.params) EXPECT_NEAR(p.after / p.before, 1.0, 0.01) << p.key;
  const Json& recorded = shipped.calibration.at("fit").at("all");
  EXPECT_NEAR(again.before.within_10pct, recorded.at("within_10pct").get<double>(), 1e-9);
  EXPECT_NEAR(again.before.spearman, recorded.at("spearman").get<double>(), 1e-9);
  EXPECT_GE(again.before.spearman, 0.95);
}

}  // namespace
}  // namespace nasctl::latency
