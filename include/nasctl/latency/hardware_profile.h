#pragma once
/// HardwareProfile: the handful of physical constants of an Edge TPU system (the chip, its host
/// link, the host CPU) that EdgeTpuModel needs, read from configs/hardware/*.json. Every constant
/// carries its source in the file; the ones that calibration fits are marked "fit": true.

#include <cstddef>
#include <string>
#include <vector>

#include "nasctl/core/json.h"

namespace nasctl::latency {

/// Number of constants in a profile (the entries of profile_params()).
constexpr size_t kProfileParamCount = 17;

/// The constants. Defaults are the coral-devboard values before calibration (nominal hardware
/// figures where they are published, rough guesses where they are fitted).
struct HardwareProfile {
  std::string name = "edgetpu";  ///< "coral-usb3"
  std::string description;       ///< one line
  /// Column of multi-device measurement tables this profile is calibrated on: "usb3" reads
  /// "usb3_ms", "devboard" reads "devboard_ms". Default "devboard".
  std::string device = "devboard";

  // Edge TPU core.
  double clock_hz = 500e6;                 ///< core clock (Hz)
  double array_rows = 64;                  ///< systolic array rows: reduction elements per pass
  double array_cols = 64;                  ///< systolic array columns: output channels per pass
  double weight_load_cycles = 64;          ///< cycles to load one weight tile; a tile pass lasts at least this
  double conv_efficiency = 0.5;            ///< fraction of systolic cycles that do useful work
  double depthwise_macs_per_cycle = 256;   ///< depthwise conv throughput (MAC/cycle)
  double avgpool_ops_per_cycle = 8;        ///< average-pool (and global mean) window elements per cycle
  double maxpool_ops_per_cycle = 16;       ///< max-pool window elements per cycle
  double elementwise_ops_per_cycle = 8;    ///< element-wise input elements per cycle (add, mul, ...)
  double onchip_bandwidth = 5e9;           ///< activation traffic to on-chip memory (B/s)
  double op_overhead_s = 1e-6;             ///< fixed cost per op (s)
  double sram_param_bytes = 7.8e6;         ///< on-chip parameter cache (B)
  // Host link and runtime.
  double host_bandwidth = 4e8;             ///< effective host link: streamed parameters, input, output (B/s)
  double inference_overhead_s = 3e-4;      ///< fixed cost per inference (s): runtime, driver, sync
  // Host CPU, for the ops after the first one the compiler cannot map.
  double cpu_macs_per_s = 3e9;             ///< int8 MAC throughput (MAC/s)
  double cpu_elements_per_s = 5e8;         ///< element-wise throughput (elements/s)
  double cpu_op_overhead_s = 2e-5;         ///< fixed cost per CPU op (s)

  /// Where each constant comes from (same order as profile_params()), and which ones are fitted.
  std::vector<std::string> sources = std::vector<std::string>(kProfileParamCount);
  std::vector<bool> fit = std::vector<bool>(kProfileParamCount, false);
  /// The "calibration" block of the file (fit statistics), kept as written; default empty.
  Json calibration;

  /// Throws Error naming `origin` and the first constant outside its physical range.
  void validate(const std::string& origin) const;
};

/// One constant of HardwareProfile: its JSON key, unit, meaning and physical range.
struct ProfileParam {
  const char* key;
  double HardwareProfile::*member;
  const char* unit;
  const char* meaning;
  double min;
  double max;
  bool integer;
};

/// The constants in file order (kProfileParamCount of them).
const std::vector<ProfileParam>& profile_params();
/// Index of `key` in profile_params(), or -1.
int profile_param_index(const std::string& key);

/// Parses a profile; errors name `origin` and the key ("coral-usb3.json: params.clock_hz.value must
/// be in [1e+07, 2e+09], but got -5").
HardwareProfile profile_from_json(const Json& json, const std::string& origin);
/// A built-in name ("coral-usb3", "coral-devboard") or a file path.
HardwareProfile load_hardware_profile(const std::string& name_or_path);
/// The profile as written to configs/hardware/*.json.
Json profile_to_json(const HardwareProfile& profile);

}  // namespace nasctl::latency
