#pragma once
/// 8-bit images and their codecs: JPEG through libjpeg-turbo's TurboJPEG API (decoded at a reduced
/// size with its DCT-domain scaling when the caller needs less than full resolution), PNG through
/// libpng, and a fast separable antialiased bilinear resize. No LibTorch here.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace nasctl::data {

/// An 8-bit image, rows top to bottom, pixels interleaved (HWC). channels is 1 (gray) or 3 (RGB).
struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;  ///< height * width * channels bytes, HWC
  /// Size of the stored image before any decode-time downscaling (equal to height/width unless a
  /// JPEG was decoded at a DCT scaling factor). Crops are planned in these coordinates.
  int source_height = 0;
  int source_width = 0;

  /// An image of the given shape filled with `value`; source size = size.
  static Image filled(int height, int width, int channels, uint8_t value = 0);
  uint8_t* row(int y) { return pixels.data() + static_cast<size_t>(y) * width * channels; }
  const uint8_t* row(int y) const { return pixels.data() + static_cast<size_t>(y) * width * channels; }
  uint8_t at(int y, int x, int c) const { return row(y)[x * channels + c]; }
  bool empty() const { return pixels.empty(); }
};

/// Given an image's full size (read from its header before decoding), returns the smallest scale
/// (0 < s <= 1, relative to that size) the caller needs. A decoder may return a larger image than
/// asked (it picks the smallest of its scaling factors that is >= s), never a smaller one.
using ScaleHint = std::function<double(int width, int height)>;

/// The most pixels (width x height, before any decode-time downscaling) an image may claim: 2^27,
/// e.g. 16384 x 8192. A header claiming more is refused before anything is allocated.
constexpr int64_t kMaxImagePixels = int64_t(1) << 27;

/// Decodes a JPEG or PNG (recognised by its signature, not by a file name). Grayscale images stay
/// 1 channel, everything else (RGB, CMYK/YCCK JPEGs, palette, gray+alpha, RGBA, 16-bit PNGs) becomes
/// 3-channel RGB (alpha dropped). `name` is used in error messages. Throws nasctl::Error (runtime)
/// naming `name` and the reason when the data is corrupt, truncated or of another format, or when
/// its header claims more than kMaxImagePixels (or, for PNG, more pixels than its compressed data
/// can hold).
Image decode_image(const uint8_t* data, size_t size, const std::string& name, const ScaleHint& hint = nullptr);

/// Reads and decodes a file; throws nasctl::Error naming `path` when unreadable or corrupt.
Image read_image(const std::string& path, const ScaleHint& hint = nullptr);

/// The size (width, height) TurboJPEG produces when decoding a `width` x `height` JPEG at the
/// smallest of its scaling factors (1/8 ... 8/8) that is still >= `min_scale` in both dimensions.
/// Exposed for tests and for planning crops.
void jpeg_scaled_size(int width, int height, double min_scale, int* scaled_width, int* scaled_height);

/// Resizes with a separable bilinear (triangle) filter whose support widens when shrinking, so
/// downscaling averages instead of aliasing — the same filter as PIL's Image.resize(BILINEAR).
Image resize(const Image& image, int height, int width);

/// Copies the rectangle [y, y+height) x [x, x+width); it must lie inside the image.
Image crop(const Image& image, int y, int x, int height, int width);

/// Converts 1 <-> 3 channels: gray is replicated, RGB becomes ITU-R 601 luma
/// (L = (299 R + 587 G + 114 B) / 1000, rounded, as PIL's convert("L")).
Image convert_channels(const Image& image, int channels);

}  // namespace nasctl::data
