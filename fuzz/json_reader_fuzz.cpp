// libFuzzer target for nasctl's JSON readers: the bytes are parsed as JSON and handed to one
// reader, chosen at build time with -DNASCTL_FUZZ_READER=<n> (scripts/fuzz.sh builds one binary
// per reader). A reader may refuse the input with nasctl::Error; anything else escaping (another
// exception, a crash, a sanitizer report, a hang) is a finding.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "nasctl/core/error.h"
#include "nasctl/core/json.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/latency/hardware_profile.h"
#include "nasctl/latency/measurements.h"
#include "nasctl/search/options.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/search_space.h"

namespace {

// 1 graph v1, 2 ArchSpec (and its lowering), 3 search space, 4 hardware profile, 5 latency
// measurements, 6 search config.
void read(const std::string& text) {
#if NASCTL_FUZZ_READER == 5
  // load_measurements reads a file: give it one.
  static const std::string path = "/tmp/nasctl_fuzz_measurements." + std::to_string(::getpid()) + ".json";
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  }
  nasctl::latency::load_measurements(path, "coral-usb3");
#else
  nasctl::Json json = nasctl::parse_json(text, "fuzz.json");
#if NASCTL_FUZZ_READER == 1
  nasctl::graph::Graph g = nasctl::graph::graph_from_json(json, "fuzz.json");
  static const nasctl::latency::EdgeTpuModel model(nasctl::latency::load_hardware_profile("coral-usb3"));
  model.predict(g);
#elif NASCTL_FUZZ_READER == 2
  nasctl::space::lower(nasctl::space::arch_from_json(json, "fuzz.json"));
#elif NASCTL_FUZZ_READER == 3
  nasctl::space::SearchSpace::from_json(json, "fuzz.json");
#elif NASCTL_FUZZ_READER == 4
  nasctl::latency::EdgeTpuModel model(nasctl::latency::profile_from_json(json, "fuzz.json"));
#elif NASCTL_FUZZ_READER == 6
  nasctl::search::search_options_from_json(json, "fuzz.json").validate();
#else
#error "NASCTL_FUZZ_READER must be 1..6"
#endif
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    read(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const nasctl::Error&) {
    // refused with a message: the expected outcome for bad input
  }
  return 0;
}
