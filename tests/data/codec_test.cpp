// JPEG and PNG decoding: colour models, DCT-scaled decoding, corrupt data.

#include <gtest/gtest.h>

#include <zlib.h>

#include <cmath>
#include <cstdlib>

#include "data/image_files.h"
#include "nasctl/core/files.h"
#include "nasctl/data/image.h"
#include "support.h"

namespace nasctl::data {
namespace {

using testing::encode_jpeg;
using testing::gradient;
using testing::write_png;

double mean_abs_diff(const Image& a, const Image& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  double total = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) total += std::abs(int(a.pixels[i]) - int(b.pixels[i]));
  return total / a.pixels.size();
}

Image decode(const std::vector<uint8_t>& bytes, const ScaleHint& hint = nullptr) {
  return decode_image(bytes.data(), bytes.size(), "test.jpg", hint);
}

TEST(Codec, RgbJpegRoundTrips) {
  const Image original = gradient(48, 64);
  const Image decoded = decode(encode_jpeg(original, 95));
  EXPECT_EQ(decoded.width, 64);
  EXPECT_EQ(decoded.height, 48);
  EXPECT_EQ(decoded.channels, 3);
  EXPECT_EQ(decoded.source_width, 64);
  EXPECT_LT(mean_abs_diff(original, decoded), 2.0);
}

TEST(Codec, GrayJpegStaysGray) {
  const Image original = gradient(20, 30, 1);
  const Image decoded = decode(encode_jpeg(original));
  EXPECT_EQ(decoded.channels, 1);
  EXPECT_LT(mean_abs_diff(original, decoded), 2.0);
  // ... and becomes RGB by replication.
  const Image rgb = convert_channels(decoded, 3);
  EXPECT_EQ(rgb.channels, 3);
  EXPECT_EQ(rgb.at(5, 7, 0), decoded.at(5, 7, 0));
  EXPECT_EQ(rgb.at(5, 7, 2), decoded.at(5, 7, 0));
}

TEST(Codec, CmykJpegBecomesRgb) {
  // Inverted (Adobe) CMYK as libjpeg-turbo stores it: C' = R when K' = 255, and K' scales all.
  const int w = 16, h = 16;
  std::vector<uint8_t> cmyk(w * h * 4);
  for (int i = 0; i < w * h; ++i) {
    const bool dark = i >= w * h / 2;
    cmyk[4 * i + 0] = 200;
    cmyk[4 * i + 1] = 100;
    cmyk[4 * i + 2] = 50;
    cmyk[4 * i + 3] = dark ? 128 : 255;
  }
  const Image decoded = decode(encode_jpeg(cmyk.data(), w, h, TJPF_CMYK));
  ASSERT_EQ(decoded.channels, 3);
  // Top half: (200, 100, 50). Bottom half: times 128 / 255 = (100, 50, 25). JPEG loss: a few levels.
  EXPECT_NEAR(decoded.at(2, 8, 0), 200, 4);
  EXPECT_NEAR(decoded.at(2, 8, 1), 100, 4);
  EXPECT_NEAR(decoded.at(2, 8, 2), 50, 4);
  EXPECT_NEAR(decoded.at(13, 8, 0), 100, 4);
  EXPECT_NEAR(decoded.at(13, 8, 1), 50, 4);
  EXPECT_NEAR(decoded.at(13, 8, 2), 25, 4);
}

TEST(Codec, DctScalingDecodesSmallerWhenAllowed) {
  const Image original = gradient(300, 400);
  const std::vector<uint8_t> bytes = encode_jpeg(original, 90);
  // 0.3 of full size needed: 1/4 gives 100 < 120, so 1/2 (200 x 150) is the smallest that suffices.
  const Image half = decode(bytes, [](int w, int h) {
    EXPECT_EQ(w, 400);
    EXPECT_EQ(h, 300);
    return 0.3;
  });
  EXPECT_EQ(half.width, 200);
  EXPECT_EQ(half.height, 150);
  EXPECT_EQ(half.source_width, 400);
  EXPECT_EQ(half.source_height, 300);
  EXPECT_LT(mean_abs_diff(resize(original, 150, 200), half), 2.0);
  EXPECT_EQ(decode(bytes, [](int, int) { return 0.1; }).width, 50);   // 1/8
  EXPECT_EQ(decode(bytes, [](int, int) { return 0.51; }).width, 400);  // full size
  int sw = 0, sh = 0;
  jpeg_scaled_size(375, 500, 0.2, &sw, &sh);
  EXPECT_EQ(sw, 94);  // ceil(375 / 4)
  EXPECT_EQ(sh, 125);
}

TEST(Codec, PngColorTypes) {
  nasctl::testing::TempDir dir;
  const Image rgb = gradient(9, 11);
  write_png(dir.file("rgb.png"), rgb);
  EXPECT_EQ(read_image(dir.file("rgb.png")).pixels, rgb.pixels);  // lossless

  const Image gray = gradient(9, 11, 1);
  write_png(dir.file("gray.png"), gray);
  const Image gray_read = read_image(dir.file("gray.png"));
  EXPECT_EQ(gray_read.channels, 1);
  EXPECT_EQ(gray_read.pixels, gray.pixels);

  // RGBA: alpha dropped, colour kept (as PIL's convert("RGB")).
  std::vector<uint8_t> rgba;
  for (size_t i = 0; i < rgb.pixels.size(); i += 3) rgba.insert(rgba.end(), {rgb.pixels[i], rgb.pixels[i + 1], rgb.pixels[i + 2], 7});
  write_png(dir.file("rgba.png"), 11, 9, PNG_COLOR_TYPE_RGB_ALPHA, 8, rgba);
  EXPECT_EQ(read_image(dir.file("rgba.png")).pixels, rgb.pixels);

  // 16-bit: truncated to the high byte.
  write_png(dir.file("rgb16.png"), 11, 9, PNG_COLOR_TYPE_RGB, 16, rgb.pixels);
  EXPECT_EQ(read_image(dir.file("rgb16.png")).pixels, rgb.pixels);

  // Palette: expanded to RGB.
  write_png(dir.file("palette.png"), 2, 2, PNG_COLOR_TYPE_PALETTE, 8, {0, 1, 1, 0}, {10, 20, 30, 200, 210, 220});
  const Image palette = read_image(dir.file("palette.png"));
  ASSERT_EQ(palette.channels, 3);
  EXPECT_EQ(palette.pixels, (std::vector<uint8_t>{10, 20, 30, 200, 210, 220, 200, 210, 220, 10, 20, 30}));
}

TEST(Codec, CorruptDataThrowsNamingTheFile) {
  const std::vector<uint8_t> jpeg = encode_jpeg(gradient(64, 64));
  const std::vector<uint8_t> truncated(jpeg.begin(), jpeg.begin() + jpeg.size() / 2);
  EXPECT_THROW_MSG(decode_image(truncated.data(), truncated.size(), "cut.jpg"), "cut.jpg: corrupt JPEG");
  std::vector<uint8_t> header_only(jpeg.begin(), jpeg.begin() + 20);
  EXPECT_THROW_MSG(decode_image(header_only.data(), header_only.size(), "head.jpg"), "head.jpg: corrupt JPEG");
  const std::vector<uint8_t> text = {'h', 'e', 'l', 'l', 'o'};
  EXPECT_THROW_MSG(decode_image(text.data(), text.size(), "x.png"), "x.png: neither JPEG nor PNG");
  EXPECT_THROW_MSG(decode_image(text.data(), 0, "empty.jpg"), "empty.jpg: empty file");

  nasctl::testing::TempDir dir;
  write_png(dir.file("ok.png"), gradient(32, 32));
  std::string png = read_file(dir.file("ok.png"));
  png.resize(png.size() - 40);
  EXPECT_THROW_MSG(decode_image(reinterpret_cast<const uint8_t*>(png.data()), png.size(), "cut.png"),
                   "cut.png: corrupt PNG");
  EXPECT_THROW_MSG(read_image(dir.file("missing.jpg")), "missing.jpg: cannot open");
}

// A copy of `png` whose IHDR claims width x height (CRC fixed, so only the claim is wrong).
std::vector<uint8_t> png_claiming(std::vector<uint8_t> png, uint32_t width, uint32_t height) {
  auto put = [&](size_t at, uint32_t v) {
    for (int i = 0; i < 4; ++i) png[at + i] = uint8_t(v >> (24 - 8 * i));
  };
  put(16, width);  // 8-byte signature, 4-byte length, "IHDR", then width and height
  put(20, height);
  put(29, uint32_t(crc32(0, png.data() + 12, 17)));  // CRC over "IHDR" + 13 data bytes
  return png;
}

// A copy of `jpeg` whose SOF header claims width x height.
std::vector<uint8_t> jpeg_claiming(std::vector<uint8_t> jpeg, uint16_t width, uint16_t height) {
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC2)) {
      jpeg[i + 5] = uint8_t(height >> 8), jpeg[i + 6] = uint8_t(height);
      jpeg[i + 7] = uint8_t(width >> 8), jpeg[i + 8] = uint8_t(width);
      return jpeg;
    }
  }
  ADD_FAILURE() << "no SOF marker";
  return jpeg;
}

TEST(Codec, ClaimedSizesBeyondThePixelBudgetAreRefusedBeforeDecoding) {
  const std::vector<uint8_t> jpeg = jpeg_claiming(encode_jpeg(gradient(16, 16)), 65000, 65000);
  EXPECT_THROW_MSG(decode_image(jpeg.data(), jpeg.size(), "big.jpg"),
                   "big.jpg: JPEG claims 65000x65000 pixels, more than the 134217728-pixel limit");
  nasctl::testing::TempDir dir;
  write_png(dir.file("small.png"), gradient(4, 4));
  const std::string text = read_file(dir.file("small.png"));
  const std::vector<uint8_t> small(text.begin(), text.end());
  const std::vector<uint8_t> huge = png_claiming(small, 20000, 20000);
  EXPECT_THROW_MSG(decode_image(huge.data(), huge.size(), "huge.png"),
                   "huge.png: corrupt PNG (claims 20000x20000 pixels, more than the 134217728-pixel limit)");
  // Within the budget, but far more than a file of this size can hold once inflated.
  const std::vector<uint8_t> hollow = png_claiming(small, 9000, 9000);
  EXPECT_THROW_MSG(decode_image(hollow.data(), hollow.size(), "hollow.png"), "claims 9000x9000 pixels, more than its");
  // The genuine files still decode.
  EXPECT_EQ(decode_image(small.data(), small.size(), "small.png").width, 4);
}

}  // namespace
}  // namespace nasctl::data
