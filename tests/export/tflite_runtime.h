#pragma once
// Running .tflite files in the official TFLite runtime (tools/tflite-runtime/run_tflite.js under
// Node), the independent reference of the export tests.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "nasctl/core/files.h"
#include "support.h"

namespace nasctl::testing {

inline std::string tflite_runner_script() { return source_dir() + "/tools/tflite-runtime/run_tflite.js"; }

/// Why the TFLite runtime cannot run here ("" when it can). setup.sh installs both parts.
inline std::string tflite_runtime_missing() {
  if (std::system("node --version > /dev/null 2>&1") != 0) return "node is not installed (scripts/setup.sh installs it)";
  std::ifstream wasm(source_dir() + "/tools/tflite-runtime/node_modules/@tensorflow/tfjs-tflite/wasm/"
                                    "tflite_web_api_cc_simd.wasm");
  if (!wasm) return "tools/tflite-runtime/node_modules is missing (scripts/setup.sh runs npm ci there)";
  return "";
}

#define SKIP_WITHOUT_TFLITE_RUNTIME()                                              \
  do {                                                                             \
    std::string missing = ::nasctl::testing::tflite_runtime_missing();             \
    if (!missing.empty()) GTEST_SKIP() << "TFLite runtime unavailable: " << missing; \
  } while (0)

/// Runs `model` (flatbuffer bytes) on `samples` inputs stored back to back in `input` (raw bytes of
/// the input type) and returns the raw output bytes of every sample, back to back. Fails the test
/// (and returns empty) when the runtime reports an error; `report` gets its JSON line.
inline std::string run_tflite(const std::string& model, const std::string& input, std::string* report = nullptr) {
  TempDir dir;
  write_file_atomic(dir.file("model.tflite"), model);
  write_file_atomic(dir.file("input.bin"), input);
  std::string command = "node " + tflite_runner_script() + " " + dir.file("model.tflite") + " " +
                        dir.file("input.bin") + " " + dir.file("output.bin") + " 2>" + dir.file("stderr.txt");
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string out;
  char buffer[4096];
  while (size_t got = std::fread(buffer, 1, sizeof(buffer), pipe)) out.append(buffer, got);
  int status = ::pclose(pipe);
  if (status != 0) {
    std::ifstream err(dir.file("stderr.txt"));
    std::stringstream text;
    text << err.rdbuf();
    ADD_FAILURE() << "TFLite runtime failed: " << text.str();
    return "";
  }
  if (report) *report = out;
  std::ifstream result(dir.file("output.bin"), std::ios::binary);
  std::stringstream bytes;
  bytes << result.rdbuf();
  return bytes.str();
}

template <typename T>
std::string to_bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

template <typename T>
std::vector<T> from_bytes(const std::string& bytes) {
  std::vector<T> values(bytes.size() / sizeof(T));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(T));
  return values;
}

}  // namespace nasctl::testing
