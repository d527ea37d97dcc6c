// libFuzzer target for reading a .tflite file back (verification, then the model subset).
#include <cstdint>
#include <string>

#include "nasctl/core/error.h"
#include "nasctl/export/tflite_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    nasctl::exporter::inspect_tflite(bytes, "fuzz.tflite");
  } catch (const nasctl::Error&) {
  }
  try {
    nasctl::exporter::parse_tflite(bytes, "fuzz.tflite");
  } catch (const nasctl::Error&) {
  }
  return 0;
}
