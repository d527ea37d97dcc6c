// libFuzzer target for the checkpoint (tensor archive) reader's header and index checks, which
// run before anything is allocated (nn/archive_index.h). Only nasctl::Error may escape.
#include <cstdint>
#include <string>

#include "nasctl/core/error.h"
#include "nn/archive_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    nasctl::nn::detail::parse_archive_index(std::string(reinterpret_cast<const char*>(data), size), "fuzz.ckpt");
  } catch (const nasctl::Error&) {
  }
  return 0;
}
