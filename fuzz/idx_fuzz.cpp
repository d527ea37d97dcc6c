// libFuzzer target for IDX headers (MNIST-style files), rank 3 (images) and 1 (labels).
#include <cstdint>
#include <vector>

#include "data/dataset_impl.h"
#include "nasctl/core/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  for (int rank : {1, 3}) {
    try {
      nasctl::data::parse_idx_header(bytes, rank, "fuzz-idx3-ubyte");
    } catch (const nasctl::Error&) {
    }
  }
  return 0;
}
