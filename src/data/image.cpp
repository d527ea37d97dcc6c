// Image utilities: filled images, crop, resize, channel conversion.

#include <algorithm>
#include <cmath>
#include <string>

#include "nasctl/core/error.h"
#include "nasctl/data/image.h"
#include "resample.h"

namespace nasctl::data {

namespace {

uint8_t to_byte(float v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

// PIL's convert("L") fixed-point luma: (19595 R + 38470 G + 7471 B + 0x8000) >> 16.
uint8_t luma(uint8_t r, uint8_t g, uint8_t b) { return static_cast<uint8_t>((19595 * r + 38470 * g + 7471 * b + 0x8000) >> 16); }

}  // namespace

Image Image::filled(int height, int width, int channels, uint8_t value) {
  Image image;
  image.height = image.source_height = height;
  image.width = image.source_width = width;
  image.channels = channels;
  image.pixels.assign(static_cast<size_t>(height) * width * channels, value);
  return image;
}

Image resize(const Image& image, int height, int width) {
  if (image.empty() || height <= 0 || width <= 0)
    throw Error("resize: cannot resize a " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                " image to " + std::to_string(width) + "x" + std::to_string(height));
  std::vector<float> out;
  resample_region(image, 0, 0, image.width, image.height, height, width, &out);
  Image result = Image::filled(height, width, image.channels);
  std::transform(out.begin(), out.end(), result.pixels.begin(), to_byte);
  return result;
}

Image crop(const Image& image, int y, int x, int height, int width) {
  if (y < 0 || x < 0 || height <= 0 || width <= 0 || y + height > image.height || x + width > image.width)
    throw Error("crop: rectangle x=" + std::to_string(x) + " y=" + std::to_string(y) + " " + std::to_string(width) +
                "x" + std::to_string(height) + " is not inside the " + std::to_string(image.width) + "x" +
                std::to_string(image.height) + " image");
  Image result = Image::filled(height, width, image.channels);
  const size_t row_bytes = static_cast<size_t>(width) * image.channels;
  for (int r = 0; r < height; ++r)
    std::copy_n(image.row(y + r) + static_cast<size_t>(x) * image.channels, row_bytes, result.row(r));
  return result;
}

Image convert_channels(const Image& image, int channels) {
  if (channels != 1 && channels != 3) throw Error("convert_channels: channels must be 1 or 3, but got " + std::to_string(channels));
  if (image.channels == channels) return image;
  Image result = Image::filled(image.height, image.width, channels);
  result.source_height = image.source_height;
  result.source_width = image.source_width;
  const size_t n = static_cast<size_t>(image.height) * image.width;
  const uint8_t* src = image.pixels.data();
  uint8_t* dst = result.pixels.data();
  if (channels == 3) {
    for (size_t i = 0; i < n; ++i) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[i];
  } else {
    for (size_t i = 0; i < n; ++i) dst[i] = luma(src[3 * i], src[3 * i + 1], src[3 * i + 2]);
  }
  return result;
}

}  // namespace nasctl::data
