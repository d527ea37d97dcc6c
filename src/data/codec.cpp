// JPEG (TurboJPEG) and PNG (libpng) decoding into data::Image.

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "nasctl/core/error.h"
#include "nasctl/data/image.h"

namespace nasctl::data {

namespace {

// The DCT scaling factors used: libjpeg-turbo has SIMD inverse DCTs for 1/8, 1/4, 1/2 and 1, while
// the other k/8 factors fall back to plain C and decode slower than the next larger SIMD factor.
constexpr int kScaleNumerators[] = {1, 2, 4, 8};
constexpr int kScaleDenominator = 8;

// Deflate expands at most about 1032:1, so a PNG of `size` bytes holds at most this many raw bytes.
constexpr uint64_t kMaxDeflateRatio = 1032;

std::string size_text(uint64_t width, uint64_t height) { return std::to_string(width) + "x" + std::to_string(height); }

int scaled(int dimension, int num) { return (dimension * num + kScaleDenominator - 1) / kScaleDenominator; }

int pick_numerator(int width, int height, double min_scale) {
  for (int num : kScaleNumerators) {
    // Enough pixels in both axes for what the caller asked (small tolerance for rounding).
    if (scaled(width, num) + 1e-6 >= width * min_scale && scaled(height, num) + 1e-6 >= height * min_scale) return num;
  }
  return kScaleDenominator;
}

// One decompressor per thread, created on first use.
class TjHandle {
 public:
  TjHandle() : handle_(tjInitDecompress()) {}
  ~TjHandle() {
    if (handle_) tjDestroy(handle_);
  }
  tjhandle get() const { return handle_; }

 private:
  tjhandle handle_;
};

tjhandle decompressor() {
  thread_local TjHandle handle;
  if (!handle.get()) throw runtime_error(std::string("cannot create a TurboJPEG decompressor: ") + tjGetErrorStr2(nullptr));
  return handle.get();
}

Image decode_jpeg(const uint8_t* data, size_t size, const std::string& name, const ScaleHint& hint) {
  tjhandle tj = decompressor();
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &width, &height, &subsampling, &colorspace) != 0)
    throw runtime_error(name + ": corrupt JPEG (" + tjGetErrorStr2(tj) + ")");
  if (width <= 0 || height <= 0) throw runtime_error(name + ": corrupt JPEG (empty image)");
  if (int64_t(width) * height > kMaxImagePixels) {
    throw runtime_error(name + ": JPEG claims " + size_text(width, height) + " pixels, more than the " +
                        std::to_string(kMaxImagePixels) + "-pixel limit");
  }
  const double min_scale = hint ? std::clamp(hint(width, height), 0.0, 1.0) : 1.0;
  const int num = pick_numerator(width, height, min_scale);
  const bool gray = colorspace == TJCS_GRAY;
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int pixel_format = gray ? TJPF_GRAY : cmyk ? TJPF_CMYK : TJPF_RGB;
  const int bytes_per_pixel = tjPixelSize[pixel_format];

  Image image;
  image.width = scaled(width, num);
  image.height = scaled(height, num);
  image.source_width = width;
  image.source_height = height;
  image.channels = gray ? 1 : 3;
  std::vector<uint8_t> buffer(static_cast<size_t>(image.width) * image.height * bytes_per_pixel);
  if (tjDecompress2(tj, data, static_cast<unsigned long>(size), buffer.data(), image.width, 0, image.height,
                    pixel_format, 0) != 0) {
    const std::string message = tjGetErrorStr2(tj);
    // Warnings (an extraneous byte before a marker, ...) leave a complete image, as PIL accepts them;
    // a truncated file is an error, as in PIL.
    const bool warning = tjGetErrorCode(tj) == TJERR_WARNING;
    if (!warning || message.find("Premature end") != std::string::npos)
      throw runtime_error(name + ": corrupt JPEG (" + message + ")");
  }
  if (!cmyk) {
    image.pixels = std::move(buffer);
    return image;
  }
  // CMYK JPEGs are stored inverted (Adobe convention, which libjpeg-turbo and PIL follow), so the
  // naive conversion R = (255 - C)(255 - K) / 255 becomes R = C' K' / 255.
  const size_t n = static_cast<size_t>(image.width) * image.height;
  image.pixels.resize(n * 3);
  for (size_t i = 0; i < n; ++i) {
    const int k = buffer[i * 4 + 3];
    for (int c = 0; c < 3; ++c) image.pixels[i * 3 + c] = static_cast<uint8_t>((buffer[i * 4 + c] * k + 127) / 255);
  }
  return image;
}

struct PngSource {
  const uint8_t* data;
  size_t size;
  size_t offset;
  char error[200];
};

void png_read_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* source = static_cast<PngSource*>(png_get_io_ptr(png));
  if (source->offset + length > source->size) png_error(png, "unexpected end of data");
  std::memcpy(out, source->data + source->offset, length);
  source->offset += length;
}

void png_on_error(png_structp png, png_const_charp message) {
  auto* source = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(source->error, sizeof(source->error), "%s", message);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}  // e.g. a bad iCCP chunk: the pixels are fine

// Classic libpng reading (setjmp based); returns false with source->error set on failure. Nothing
// with a destructor lives in this frame between setjmp and a longjmp.
bool decode_png_rows(PngSource* source, Image* image) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, source, png_on_error, png_on_warning);
  if (!png) {
    std::snprintf(source->error, sizeof(source->error), "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  png_bytep* volatile rows = nullptr;  // volatile: assigned after setjmp, read after longjmp
  if (!info || setjmp(png_jmpbuf(png))) {
    std::free(rows);
    png_destroy_read_struct(&png, &info, nullptr);
    if (!source->error[0]) std::snprintf(source->error, sizeof(source->error), "out of memory");
    return false;
  }
  png_set_read_fn(png, source, png_read_memory);
  png_read_info(png, info);
  // Checked before any row is allocated: a 100-byte file may claim 20000x20000.
  const uint64_t claimed = uint64_t(png_get_image_width(png, info)) * png_get_image_height(png, info);
  const uint64_t raw_bytes = uint64_t(png_get_rowbytes(png, info) + 1) * png_get_image_height(png, info);
  char refusal[160];  // png_on_error copies it into source->error
  if (claimed > uint64_t(kMaxImagePixels)) {
    std::snprintf(refusal, sizeof refusal, "claims %ux%u pixels, more than the %lld-pixel limit",
                  png_get_image_width(png, info), png_get_image_height(png, info), static_cast<long long>(kMaxImagePixels));
    png_error(png, refusal);
  }
  if (raw_bytes > kMaxDeflateRatio * source->size + 4096) {
    std::snprintf(refusal, sizeof refusal, "claims %ux%u pixels, more than its %zu bytes can hold",
                  png_get_image_width(png, info), png_get_image_height(png, info), source->size);
    png_error(png, refusal);
  }
  const int color_type = png_get_color_type(png, info);
  // Everything becomes 8-bit gray or RGB: 16-bit truncated, palettes expanded, alpha dropped (as
  // PIL's convert("RGB") does for torchvision's loader).
  png_set_strip_16(png);
  png_set_packing(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY) png_set_expand_gray_1_2_4_to_8(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  image->width = static_cast<int>(png_get_image_width(png, info));
  image->height = static_cast<int>(png_get_image_height(png, info));
  image->channels = channels;
  if (channels != 1 && channels != 3) png_error(png, "unsupported channel layout");
  image->pixels.resize(static_cast<size_t>(image->width) * image->height * channels);
  rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * image->height));
  if (!rows) png_error(png, "out of memory");
  for (int y = 0; y < image->height; ++y) rows[y] = image->row(y);
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  std::free(rows);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

Image decode_png(const uint8_t* data, size_t size, const std::string& name) {
  PngSource source{data, size, 0, {0}};
  Image image;
  if (!decode_png_rows(&source, &image)) throw runtime_error(name + ": corrupt PNG (" + source.error + ")");
  image.source_width = image.width;
  image.source_height = image.height;
  return image;
}

}  // namespace

void jpeg_scaled_size(int width, int height, double min_scale, int* scaled_width, int* scaled_height) {
  const int num = pick_numerator(width, height, std::clamp(min_scale, 0.0, 1.0));
  *scaled_width = scaled(width, num);
  *scaled_height = scaled(height, num);
}

Image decode_image(const uint8_t* data, size_t size, const std::string& name, const ScaleHint& hint) {
  static const uint8_t kPngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff) return decode_jpeg(data, size, name, hint);
  if (size >= 8 && std::memcmp(data, kPngSignature, 8) == 0) return decode_png(data, size, name);
  if (size == 0) throw runtime_error(name + ": empty file");
  throw runtime_error(name + ": neither JPEG nor PNG data");
}

Image read_image(const std::string& path, const ScaleHint& hint) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw runtime_error(path + ": cannot open (" + std::strerror(errno) + ")");
  const std::streamoff size = in.tellg();
  std::vector<uint8_t> bytes(size > 0 ? static_cast<size_t>(size) : 0);
  in.seekg(0);
  if (size < 0 || !in.read(reinterpret_cast<char*>(bytes.data()), size)) throw runtime_error(path + ": read failed");
  return decode_image(bytes.data(), bytes.size(), path, hint);
}

}  // namespace nasctl::data
