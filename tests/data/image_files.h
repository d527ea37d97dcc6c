#pragma once
// Test helpers that write JPEG (TurboJPEG's tjCompress2), PNG (libpng), IDX (zlib) files and small
// ImageFolder trees, so the data tests build their inputs themselves.

#include <png.h>
#include <turbojpeg.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "nasctl/data/image.h"

namespace nasctl::data::testing {

/// An RGB (or gray) image from a pixel function f(y, x, c).
template <typename F>
Image make_image(int height, int width, int channels, F f) {
  Image image = Image::filled(height, width, channels);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) image.row(y)[x * channels + c] = static_cast<uint8_t>(f(y, x, c));
  return image;
}

/// A smooth colour gradient (JPEG round-trips it closely).
inline Image gradient(int height, int width, int channels = 3) {
  return make_image(height, width, channels, [&](int y, int x, int c) {
    return (x * 200 / std::max(width - 1, 1) + y * 50 / std::max(height - 1, 1) + c * 30) % 256;
  });
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/// JPEG bytes of `pixels` (width x height, pixel_format TJPF_RGB / TJPF_GRAY / TJPF_CMYK).
inline std::vector<uint8_t> encode_jpeg(const uint8_t* pixels, int width, int height, int pixel_format,
                                        int quality = 95) {
  tjhandle tj = tjInitCompress();
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const int subsampling = pixel_format == TJPF_GRAY ? TJSAMP_GRAY : TJSAMP_444;
  if (tjCompress2(tj, pixels, width, 0, height, pixel_format, &buffer, &size, subsampling, quality, 0) != 0)
    throw std::runtime_error(std::string("tjCompress2: ") + tjGetErrorStr2(tj));
  std::vector<uint8_t> bytes(buffer, buffer + size);
  tjFree(buffer);
  tjDestroy(tj);
  return bytes;
}

inline std::vector<uint8_t> encode_jpeg(const Image& image, int quality = 95) {
  return encode_jpeg(image.pixels.data(), image.width, image.height, image.channels == 1 ? TJPF_GRAY : TJPF_RGB,
                     quality);
}

inline void write_jpeg(const std::string& path, const Image& image, int quality = 95) {
  write_bytes(path, encode_jpeg(image, quality));
}

/// Writes a PNG. `color_type` PNG_COLOR_TYPE_GRAY/RGB/RGB_ALPHA/GRAY_ALPHA/PALETTE, samples as given
/// (bit_depth 16 writes each 8-bit sample v as 257 * v, big-endian). For PALETTE, `samples` are
/// palette indices and `palette` RGB triples.
inline void write_png(const std::string& path, int width, int height, int color_type, int bit_depth,
                      const std::vector<uint8_t>& samples, const std::vector<uint8_t>& palette = {}) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  FILE* file = std::fopen(path.c_str(), "wb");
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) throw std::runtime_error("png write failed");
  png_init_io(png, file);
  png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> colors;
  for (size_t i = 0; i + 2 < palette.size(); i += 3) colors.push_back({palette[i], palette[i + 1], palette[i + 2]});
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(png, info, colors.data(), static_cast<int>(colors.size()));
  png_write_info(png, info);
  const int per_pixel = static_cast<int>(samples.size() / (static_cast<size_t>(width) * height));
  std::vector<uint8_t> row(static_cast<size_t>(width) * per_pixel * (bit_depth == 16 ? 2 : 1));
  for (int y = 0; y < height; ++y) {
    const uint8_t* src = samples.data() + static_cast<size_t>(y) * width * per_pixel;
    for (int i = 0; i < width * per_pixel; ++i) {
      if (bit_depth == 16) {
        row[2 * i] = row[2 * i + 1] = src[i];
      } else {
        row[i] = src[i];
      }
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(file);
}

inline void write_png(const std::string& path, const Image& image) {
  write_png(path, image.width, image.height, image.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, 8,
            image.pixels);
}

/// An IDX file (unsigned bytes) with the given dimensions; gzip-compressed when `gzip`.
inline void write_idx(const std::string& path, const std::vector<int>& dims, const std::vector<uint8_t>& data,
                      bool gzip) {
  std::vector<uint8_t> bytes = {0, 0, 0x08, static_cast<uint8_t>(dims.size())};
  for (int d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(d >> shift));
  bytes.insert(bytes.end(), data.begin(), data.end());
  if (!gzip) {
    write_bytes(path, bytes);
    return;
  }
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

}  // namespace nasctl::data::testing
