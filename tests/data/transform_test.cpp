// Transforms: evaluation crop against torchvision, normalisation, channel policy, flips, shifts,
// random-resized-crop ranges, DCT-scaled decoding, options.

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "data/goldens.h"
#include "data/image_files.h"
#include "nasctl/data/transform.h"
#include "support.h"

namespace nasctl::data {
namespace {

// A one-image in-memory dataset; records the size the decoder produced (to observe DCT scaling).
class OneImage : public Dataset {
 public:
  OneImage(Image image, std::vector<uint8_t> jpeg = {}) : image_(std::move(image)), jpeg_(std::move(jpeg)) {}
  int64_t size() const override { return 1; }
  int label(int64_t) const override { return 0; }
  int classes() const override { return 1; }
  const std::vector<std::string>& class_names() const override { return names_; }
  const std::vector<std::string>& class_keys() const override { return names_; }
  int channels() const override { return image_.channels; }
  ImageShape fixed_shape() const override { return {image_.height, image_.width}; }
  Image load(int64_t, const ScaleHint& hint) const override {
    if (jpeg_.empty()) return image_;
    Image image = decode_image(jpeg_.data(), jpeg_.size(), "one.jpg", hint);
    decoded_width = image.width;
    return image;
  }
  std::string sample_name(int64_t) const override { return "one"; }
  std::string describe() const override { return "one image"; }
  DataSummary summary() const override { return {}; }
  mutable int decoded_width = 0;

 private:
  Image image_;
  std::vector<uint8_t> jpeg_;
  std::vector<std::string> names_ = {"x"};
};

std::vector<float> run(const Dataset& data, const TransformOptions& options, uint64_t seed = 1) {
  const TransformOptions resolved = resolve_transform(options, data);
  std::vector<float> out(static_cast<size_t>(resolved.channels) * resolved.input_size * resolved.input_size);
  transform_sample(data, 0, resolved, seed, out.data());
  return out;
}

TEST(Transform, EvalMatchesTorchvisionResizeCenterCrop) {
  OneImage data(testing::make_image(30, 45, 3, golden::smooth_pixel));
  TransformOptions options;
  options.input_size = 16;
  const std::vector<float> out = run(data, options);
  ASSERT_EQ(out.size(), golden::kSmoothEval16.size());
  // torchvision resamples twice (resize, then an integer crop) and rounds to 8 bits; nasctl
  // resamples the same region once in floats: equal up to a level or two.
  double worst = 0;
  for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, double(std::fabs(out[i] - golden::kSmoothEval16[i])));
  EXPECT_LT(worst, 2.5 / 255 / 0.224);
}

TEST(Transform, NormalisesWithDefaultAndGivenStatistics) {
  OneImage data(Image::filled(40, 50, 3, 200));
  TransformOptions options;
  options.input_size = 8;
  options.train = true;  // random-resized-crop + flip: a constant image stays constant
  const std::vector<float> out = run(data, options);
  const float expected[3] = {(200 / 255.f - 0.485f) / 0.229f, (200 / 255.f - 0.456f) / 0.224f,
                             (200 / 255.f - 0.406f) / 0.225f};
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 64; ++i) EXPECT_NEAR(out[c * 64 + i], expected[c], 1e-5);
  options.mean = {0.5f};
  options.std = {0.25f};
  EXPECT_NEAR(run(data, options)[100], (200 / 255.f - 0.5f) / 0.25f, 1e-5);
}

TEST(Transform, ChannelPolicy) {
  OneImage gray(testing::gradient(28, 28, 1));
  TransformOptions options;
  options.input_size = 28;
  options.crop_ratio = 1.0;
  options.mean = {0.f};
  options.std = {1.f};
  const std::vector<float> native = run(gray, options);  // channels 0 = native: 1
  ASSERT_EQ(native.size(), 28u * 28u);
  EXPECT_NEAR(native[5 * 28 + 9], testing::gradient(28, 28, 1).at(5, 9, 0) / 255.f, 1e-6);  // 28 -> 28: exact
  options.channels = 3;
  const std::vector<float> rgb = run(gray, options);
  ASSERT_EQ(rgb.size(), 3u * 28u * 28u);
  for (int i = 0; i < 28 * 28; ++i) {
    EXPECT_EQ(rgb[i], native[i]);
    EXPECT_EQ(rgb[2 * 784 + i], native[i]);
  }
  OneImage color(testing::make_image(28, 28, 3, golden::sharp_pixel));
  options.channels = 1;
  const std::vector<float> luma = run(color, options);
  const Image reference = convert_channels(testing::make_image(28, 28, 3, golden::sharp_pixel), 1);
  for (int i = 0; i < 28 * 28; ++i) EXPECT_NEAR(luma[i] * 255.f, reference.pixels[i], 0.51);
}

TEST(Transform, FlipMirrorsAndCropFlipShiftsWithZeroPadding) {
  const Image image = testing::make_image(28, 28, 1, golden::sharp_pixel);
  TransformOptions options;
  options.input_size = 28;
  options.channels = 1;
  options.mean = {0.f};
  options.std = {1.f};
  CropPlan plan;
  plan.width = plan.height = 28;
  std::vector<float> straight(784), flipped(784), shifted(784);
  apply_transform(options, plan, image, straight.data());
  plan.flip = true;
  apply_transform(options, plan, image, flipped.data());
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) EXPECT_EQ(flipped[y * 28 + x], straight[y * 28 + 27 - x]);
  plan.flip = false;
  plan.shift_x = 2;
  plan.shift_y = -3;
  apply_transform(options, plan, image, shifted.data());
  for (int y = 0; y < 28; ++y) {
    for (int x = 0; x < 28; ++x) {
      const int sy = y - 3, sx = x + 2;
      const float expected = sy >= 0 && sx < 28 ? image.at(sy, sx, 0) / 255.f : 0.f;
      EXPECT_FLOAT_EQ(shifted[y * 28 + x], expected) << y << "," << x;
    }
  }
}

TEST(Transform, CropPlansFollowTheirDistributions) {
  TransformOptions options;
  options.train = true;
  int flips = 0;
  double area_sum = 0;
  for (uint64_t seed = 0; seed < 2000; ++seed) {
    const CropPlan plan = plan_crop(options, 500, 375, seed);
    ASSERT_GE(plan.x, 0);
    ASSERT_GE(plan.y, 0);
    ASSERT_LE(plan.x + plan.width, 500);
    ASSERT_LE(plan.y + plan.height, 375);
    const double area = plan.width * plan.height / (500.0 * 375.0);
    const double ratio = plan.width / plan.height;
    EXPECT_GE(area, 0.08 - 0.01);
    EXPECT_GE(ratio, 0.75 - 0.02);
    EXPECT_LE(ratio, 4.0 / 3.0 + 0.02);
    area_sum += area;
    flips += plan.flip;
  }
  EXPECT_NEAR(flips / 2000.0, 0.5, 0.05);
  EXPECT_NEAR(area_sum / 2000.0, golden::kRrcMeanArea500x375, 0.025);  // torchvision's, same rejections
  const CropPlan a = plan_crop(options, 500, 375, 42), b = plan_crop(options, 500, 375, 42);
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.flip, b.flip);
  EXPECT_NE(sample_seed(0, 0, 1), sample_seed(0, 1, 0));
  EXPECT_NE(sample_seed(0, 0, 1), sample_seed(1, 0, 1));

  options.augment = Augment::kCropFlip;
  options.pad = 3;
  std::set<int> shifts;
  for (uint64_t seed = 0; seed < 500; ++seed) {
    const CropPlan plan = plan_crop(options, 28, 28, seed);
    EXPECT_EQ(plan.width, 28);
    shifts.insert(plan.shift_x);
  }
  EXPECT_EQ(shifts, (std::set<int>{-3, -2, -1, 0, 1, 2, 3}));
}

TEST(Transform, DctScaledDecodeMatchesFullDecode) {
  const Image full = testing::gradient(375, 500);
  const std::vector<uint8_t> jpeg = testing::encode_jpeg(full, 92);
  OneImage data(full, jpeg);
  TransformOptions options;
  options.input_size = 64;  // eval: a 328 px crop for 64 px: 1/4 scale (125 px) suffices
  const std::vector<float> scaled = run(data, options);
  EXPECT_EQ(data.decoded_width, 125);
  OneImage raw(decode_image(jpeg.data(), jpeg.size(), "full.jpg"));
  const std::vector<float> reference = run(raw, options);
  double total = 0;
  for (size_t i = 0; i < scaled.size(); ++i) total += std::fabs(scaled[i] - reference[i]);
  EXPECT_LT(total / scaled.size(), 2.0 / 255 / 0.225);  // within ~2 levels on average
  options.input_size = 300;  // needs full resolution
  run(data, options);
  EXPECT_EQ(data.decoded_width, 500);
}

TEST(Transform, OptionsValidateResolveAndRoundTrip) {
  TransformOptions options;
  options.input_size = 0;
  EXPECT_THROW_MSG(options.validate(), "transform.input_size must be in 1..4096, but got 0");
  options = {};
  options.min_scale = 1.5;
  EXPECT_THROW_MSG(options.validate(), "transform.min_scale must be in (0, 1], but got 1.5");
  options = {};
  options.mean = {0.1f, 0.2f};
  options.std = {0.3f, 0.3f};
  EXPECT_THROW_MSG(options.validate(), "transform.mean must be empty, one value or one per channel (3), but got [0.1, 0.2]");
  options = {};
  options.channels = 2;
  EXPECT_THROW_MSG(options.validate(), "transform.channels must be 0 (native), 1 or 3, but got 2");
  EXPECT_THROW_MSG(parse_augment("mixup", "train.augment"), "train.augment must be one of");

  OneImage gray(Image::filled(28, 28, 1));
  const TransformOptions resolved = resolve_transform(TransformOptions{}, gray);
  EXPECT_EQ(resolved.channels, 1);
  ASSERT_EQ(resolved.mean.size(), 1u);
  EXPECT_NEAR(resolved.mean[0], 0.4590, 1e-4);
  EXPECT_NEAR(resolved.std[0], 0.2256, 1e-4);
  const TransformOptions small = default_transform(gray, 32, true);
  EXPECT_EQ(small.augment, Augment::kCropFlip);
  EXPECT_EQ(small.pad, 4);
  EXPECT_EQ(small.crop_ratio, 1.0);

  TransformOptions custom;
  custom.input_size = 96;
  custom.augment = Augment::kNone;
  custom.mean = {0.5f};
  custom.std = {0.2f};
  const Json json = transform_to_json(custom);
  TransformOptions back;
  read_transform_json(JsonView(json, "transform"), &back);
  EXPECT_EQ(back.input_size, 96);
  EXPECT_EQ(back.augment, Augment::kNone);
  EXPECT_EQ(back.mean, custom.mean);
  EXPECT_EQ(transform_to_json(back), json);
}

}  // namespace
}  // namespace nasctl::data

namespace nasctl::data {
namespace {

TEST(TransformOptions, JsonRoundTripsThroughTheSchemaAndTrainIsOnlyWritten) {
  TransformOptions o;
  o.input_size = 96;
  o.augment = Augment::kCropFlip;
  o.mean = {0.5f};
  o.std = {0.25f};
  o.train = true;
  Json json = transform_to_json(o);
  EXPECT_EQ(json["augment"], "crop_flip");
  EXPECT_EQ(json["train"], true);
  TransformOptions back;
  read_transform_json(JsonView(json, "t.json"), &back);
  EXPECT_FALSE(back.train);  // the caller decides whether a transform trains
  back.train = true;
  EXPECT_EQ(transform_to_json(back), json);
  // The reader leaves keys it does not know to its caller, and reads the alias of rrc.
  Json other = parse_json(R"({"augment": "random_resized_crop", "epochs": 3})", "r.json");
  read_transform_json(JsonView(other, "r.json"), &back);
  EXPECT_EQ(back.augment, Augment::kRandomResizedCrop);
}

}  // namespace
}  // namespace nasctl::data
