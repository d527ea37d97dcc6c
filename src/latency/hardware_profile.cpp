#include "nasctl/latency/hardware_profile.h"

#include <cmath>
#include <cstdio>

#include "nasctl/core/configs.h"
#include "nasctl/core/error.h"

namespace nasctl::latency {
namespace {

constexpr const char* kFormat = "nasctl-hardware-v1";

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);  // 8388608, not 8.38861e+06
  return buf;
}

}  // namespace

const std::vector<ProfileParam>& profile_params() {
  using P = HardwareProfile;
  static const std::vector<ProfileParam> params = {
      {"clock_hz", &P::clock_hz, "Hz", "Edge TPU core clock (libedgetpu's settings reach 500 MHz)", 1e7, 5e8, false},
      {"array_rows", &P::array_rows, "", "systolic array rows (reduction elements per pass)", 1, 4096, true},
      {"array_cols", &P::array_cols, "", "systolic array columns (output channels per pass)", 1, 4096, true},
      {"weight_load_cycles", &P::weight_load_cycles, "cycles", "cycles to load one weight tile (a tile pass lasts at least this long)", 0, 1e5, false},
      {"conv_efficiency", &P::conv_efficiency, "", "fraction of systolic cycles doing useful work", 1e-3, 1, false},
      {"depthwise_macs_per_cycle", &P::depthwise_macs_per_cycle, "MAC/cycle", "depthwise convolution throughput (at most the array's 4096 MACs)", 1e-2, 4096, false},
      {"avgpool_ops_per_cycle", &P::avgpool_ops_per_cycle, "elements/cycle", "average-pool / global-mean window elements per cycle", 1e-3, 4096, false},
      {"maxpool_ops_per_cycle", &P::maxpool_ops_per_cycle, "elements/cycle", "max-pool window elements per cycle", 1e-3, 4096, false},
      {"elementwise_ops_per_cycle", &P::elementwise_ops_per_cycle, "elements/cycle", "element-wise input elements per cycle", 1e-3, 4096, false},
      {"onchip_bandwidth", &P::onchip_bandwidth, "B/s", "activation traffic bandwidth of on-chip memory", 1e7, 1e13, false},
      {"op_overhead_s", &P::op_overhead_s, "s", "fixed cost per Edge TPU op (at most 100 us)", 0, 1e-4, false},
      {"sram_param_bytes", &P::sram_param_bytes, "B", "on-chip memory for caching parameters (at most the 8 MiB SRAM)", 0, 8388608, false},
      {"host_bandwidth", &P::host_bandwidth, "B/s", "effective host link bandwidth (streamed parameters, input, output; USB 3.0 and PCIe Gen2 x1 carry 500 MB/s)", 1e6, 4e9, false},
      {"inference_overhead_s", &P::inference_overhead_s, "s", "fixed cost per inference (runtime, driver, synchronisation; at most 50 ms)", 0, 0.05, false},
      {"cpu_macs_per_s", &P::cpu_macs_per_s, "MAC/s", "host CPU int8 MAC throughput (ops after a cut)", 1e6, 1e14, false},
      {"cpu_elements_per_s", &P::cpu_elements_per_s, "elements/s", "host CPU element-wise throughput", 1e5, 1e13, false},
      {"cpu_op_overhead_s", &P::cpu_op_overhead_s, "s", "fixed cost per host CPU op", 0, 1, false},
  };
  return params;
}

int profile_param_index(const std::string& key) {
  const auto& params = profile_params();
  for (size_t i = 0; i < params.size(); ++i)
    if (key == params[i].key) return int(i);
  return -1;
}

void HardwareProfile::validate(const std::string& origin) const {
  for (const ProfileParam& p : profile_params()) {
    double v = this->*p.member;
    if (!std::isfinite(v) || v < p.min || v > p.max) {
      throw Error(origin + ": params." + p.key + ".value must be in [" + number(p.min) + ", " + number(p.max) + "] (" +
                  (*p.unit ? std::string(p.unit) + ", " : std::string()) + p.meaning + "), but got " + number(v));
    }
    if (p.integer && std::floor(v) != v) {
      throw Error(origin + ": params." + p.key + ".value must be a whole number, but got " + number(v));
    }
  }
  if (device.empty()) throw Error(origin + ": device must be a non-empty string, but got \"\"");
}

HardwareProfile profile_from_json(const Json& json, const std::string& origin) {
  JsonView root(json, origin);
  root.check_keys({"format", "name", "description", "device", "params", "calibration"});
  std::string format = root.get_string("format", kFormat);
  if (format != kFormat) root.fail("format", std::string("\"") + kFormat + "\"");
  HardwareProfile p;
  p.name = root.get_string("name");
  p.description = root.get_string("description", "");
  p.device = root.get_string("device");
  JsonView params = root.child("params");
  const auto& table = profile_params();
  for (const auto& item : params.raw().items()) {
    if (profile_param_index(item.key()) < 0) {
      std::string known;
      for (const ProfileParam& q : table) known += (known.empty() ? "" : ", ") + std::string(q.key);
      throw Error(params.path(item.key()) + " is not a known constant (known: " + known + ")");
    }
  }
  for (size_t i = 0; i < table.size(); ++i) {
    JsonView entry = params.child(table[i].key);
    entry.check_keys({"value", "source", "fit", "unit"});
    p.*table[i].member = entry.get_double("value");
    p.sources[i] = entry.get_string("source");
    if (p.sources[i].empty()) entry.fail("source", "a non-empty string saying where the value comes from");
    p.fit[i] = entry.get_bool("fit", false);
  }
  if (root.has("calibration")) p.calibration = json.at("calibration");
  p.validate(origin);
  return p;
}

HardwareProfile load_hardware_profile(const std::string& name_or_path) {
  std::string origin;
  Json json = load_config("hardware", name_or_path, &origin);
  return profile_from_json(json, origin);
}

Json profile_to_json(const HardwareProfile& p) {
  Json params = Json::object();
  const auto& table = profile_params();
  for (size_t i = 0; i < table.size(); ++i) {
    Json entry = {{"value", p.*table[i].member}};
    if (*table[i].unit) entry["unit"] = table[i].unit;
    if (p.fit[i]) entry["fit"] = true;
    entry["source"] = p.sources[i];
    params[table[i].key] = entry;
  }
  Json out = {{"format", kFormat}, {"name", p.name}, {"description", p.description}, {"device", p.device},
              {"params", params}};
  if (!p.calibration.is_null()) out["calibration"] = p.calibration;
  return out;
}

}  // namespace nasctl::latency
