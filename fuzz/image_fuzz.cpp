// libFuzzer target for the image decoders (JPEG through TurboJPEG, PNG through libpng), at full
// size and with a decode-time downscaling hint.
#include <cstdint>

#include "nasctl/core/error.h"
#include "nasctl/data/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (double scale : {1.0, 0.25}) {
    try {
      nasctl::data::decode_image(data, size, "fuzz.img", [scale](int, int) { return scale; });
    } catch (const nasctl::Error&) {
    }
  }
  return 0;
}
