// Per-sample transforms: crop planning (seeded), resampling, channel policy, normalisation.

#include "nasctl/data/transform.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "nasctl/core/error.h"
#include "resample.h"
#include "rng.h"

namespace nasctl::data {

namespace {

const float kImagenetMean[3] = {0.485f, 0.456f, 0.406f};
const float kImagenetStd[3] = {0.229f, 0.224f, 0.225f};
// PIL's luma weights (fixed point 19595, 38470, 7471 / 65536).
const float kLuma[3] = {19595.0f / 65536.0f, 38470.0f / 65536.0f, 7471.0f / 65536.0f};

template <typename T>
[[noreturn]] void fail(const std::string& field, const std::string& requirement, const T& value) {
  std::ostringstream message;
  message << "transform." << field << " must be " << requirement << ", but got " << value;
  throw Error(message.str());
}

std::string list_text(const std::vector<float>& values) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? ", " : "") << values[i];
  out << "]";
  return out.str();
}

// The smallest decode scale that still gives the planned region input_size pixels in each axis.
double needed_scale(const TransformOptions& options, const CropPlan& plan) {
  const double scale = std::max(options.input_size / plan.width, options.input_size / plan.height);
  return std::min(scale, 1.0);
}

// Writes `buffer` (size x size x in_channels floats on 0..255, HWC) as CHW normalised floats, with
// the crop shift (pixels shifted in from outside are 0, the padding), flip and channel conversion.
void emit(const TransformOptions& options, const CropPlan& plan, const std::vector<float>& buffer, int in_channels,
          float* out) {
  const int size = options.input_size;
  const int channels = options.channels;
  const size_t plane = static_cast<size_t>(size) * size;
  for (int c = 0; c < channels; ++c) {
    const float scale = 1.0f / (255.0f * options.std[c]);
    const float offset = -options.mean[c] / options.std[c];
    for (int y = 0; y < size; ++y) {
      float* dst = out + c * plane + static_cast<size_t>(y) * size;
      const int sy = y + plan.shift_y;
      // Output columns [x0, x1) read source columns x + shift_x inside the image; the rest is padding.
      const int x0 = std::max(0, -plan.shift_x), x1 = std::min(size, size - plan.shift_x);
      if (sy < 0 || sy >= size || x0 >= x1) {
        std::fill(dst, dst + size, offset);
        continue;
      }
      std::fill(dst, dst + x0, offset);
      std::fill(dst + x1, dst + size, offset);
      const float* src = buffer.data() + (static_cast<size_t>(sy) * size + plan.shift_x) * in_channels;
      if (in_channels == channels) {
        for (int x = x0; x < x1; ++x) dst[x] = src[x * in_channels + c] * scale + offset;
      } else if (in_channels == 1) {  // gray replicated
        for (int x = x0; x < x1; ++x) dst[x] = src[x] * scale + offset;
      } else {  // RGB to luma
        for (int x = x0; x < x1; ++x)
          dst[x] = (kLuma[0] * src[3 * x] + kLuma[1] * src[3 * x + 1] + kLuma[2] * src[3 * x + 2]) * scale + offset;
      }
      if (plan.flip) std::reverse(dst, dst + size);
    }
  }
}

// torchvision's Resize(int(input_size / crop_ratio)) + CenterCrop(input_size), with the same integer
// sizes and rounding, expressed as one region of the source image.
void center_crop(const TransformOptions& options, int width, int height, CropPlan* plan) {
  const int size = options.input_size;
  const int shorter = static_cast<int>(options.input_size / options.crop_ratio + 1e-9);
  const bool wide = width >= height;
  const int resized_w = wide ? static_cast<int>(static_cast<int64_t>(shorter) * width / height) : shorter;
  const int resized_h = wide ? shorter : static_cast<int>(static_cast<int64_t>(shorter) * height / width);
  // Python's round() (ties to even), as torchvision's CenterCrop.
  const double left = std::nearbyint((resized_w - size) / 2.0);
  const double top = std::nearbyint((resized_h - size) / 2.0);
  const double sx = static_cast<double>(width) / resized_w, sy = static_cast<double>(height) / resized_h;
  plan->x = left * sx;
  plan->y = top * sy;
  plan->width = size * sx;
  plan->height = size * sy;
}

}  // namespace

const char* augment_name(Augment augment) {
  switch (augment) {
    case Augment::kRandomResizedCrop: return "rrc";
    case Augment::kCropFlip: return "crop_flip";
    case Augment::kNone: return "none";
  }
  return "?";
}

Augment parse_augment(const std::string& value, const std::string& key) {
  if (value == "rrc" || value == "random_resized_crop") return Augment::kRandomResizedCrop;
  if (value == "crop_flip") return Augment::kCropFlip;
  if (value == "none") return Augment::kNone;
  throw Error(key + " must be one of \"rrc\", \"crop_flip\", \"none\", but got \"" + value + "\"");
}

void TransformOptions::validate() const {
  if (input_size <= 0 || input_size > 4096) fail("input_size", "in 1..4096", input_size);
  if (channels != 0 && channels != 1 && channels != 3) fail("channels", "0 (native), 1 or 3", channels);
  if (!(min_scale > 0.0 && min_scale <= 1.0)) fail("min_scale", "in (0, 1]", min_scale);
  if (!(max_scale >= min_scale && max_scale <= 1.0)) fail("max_scale", "in [min_scale, 1]", max_scale);
  if (!(min_ratio > 0.0)) fail("min_ratio", "> 0", min_ratio);
  if (!(max_ratio >= min_ratio)) fail("max_ratio", ">= min_ratio", max_ratio);
  if (pad < 0 || pad >= input_size) fail("pad", "in 0..input_size-1", pad);
  if (!(crop_ratio > 0.0 && crop_ratio <= 1.0)) fail("crop_ratio", "in (0, 1]", crop_ratio);
  const size_t n = channels == 0 ? 3 : channels;
  if (!(mean.empty() || mean.size() == 1 || mean.size() == n))
    fail("mean", "empty, one value or one per channel (" + std::to_string(n) + ")", list_text(mean));
  if (!(std.empty() || std.size() == 1 || std.size() == n))
    fail("std", "empty, one value or one per channel (" + std::to_string(n) + ")", list_text(std));
  if (mean.empty() != std.empty()) fail("std", "given together with mean", list_text(std));
  for (float s : std)
    if (!(s > 0.0f)) fail("std", "all > 0", list_text(std));
  for (float m : mean)
    if (!std::isfinite(m)) fail("mean", "finite", list_text(mean));
}

TransformOptions resolve_transform(TransformOptions options, const Dataset& dataset) {
  options.validate();
  if (options.channels == 0) options.channels = dataset.channels();
  const int n = options.channels;
  if (options.mean.empty()) {
    if (n == 3) {
      options.mean.assign(kImagenetMean, kImagenetMean + 3);
      options.std.assign(kImagenetStd, kImagenetStd + 3);
    } else {
      float m = 0, s = 0;
      for (int c = 0; c < 3; ++c) {
        m += kLuma[c] * kImagenetMean[c];
        s += kLuma[c] * kImagenetStd[c];
      }
      options.mean = {m};
      options.std = {s};
    }
  }
  if (options.mean.size() == 1) options.mean.assign(n, options.mean[0]);
  if (options.std.size() == 1) options.std.assign(n, options.std[0]);
  if (static_cast<int>(options.mean.size()) != n)
    fail("mean", "one value per output channel (" + std::to_string(n) + ")", list_text(options.mean));
  if (static_cast<int>(options.std.size()) != n)
    fail("std", "one value per output channel (" + std::to_string(n) + ")", list_text(options.std));
  return options;
}

TransformOptions default_transform(const Dataset& dataset, int input_size, bool train) {
  TransformOptions options;
  options.input_size = input_size;
  options.train = train;
  const ImageShape shape = dataset.fixed_shape();
  if (shape.height > 0 && std::max(shape.height, shape.width) <= 64) {
    options.augment = Augment::kCropFlip;
    options.pad = std::max(1, input_size / 8);
    options.crop_ratio = 1.0;
  }
  return options;
}

void read_transform_json(const JsonView& view, TransformOptions* options) {
  options->input_size = view.get_int("input_size", options->input_size);
  options->channels = view.get_int("channels", options->channels);
  if (view.has("augment")) options->augment = parse_augment(view.get_string("augment"), view.path("augment"));
  options->min_scale = view.get_double("min_scale", options->min_scale);
  options->max_scale = view.get_double("max_scale", options->max_scale);
  options->min_ratio = view.get_double("min_ratio", options->min_ratio);
  options->max_ratio = view.get_double("max_ratio", options->max_ratio);
  options->flip = view.get_bool("flip", options->flip);
  options->pad = view.get_int("pad", options->pad);
  options->crop_ratio = view.get_double("crop_ratio", options->crop_ratio);
  // Leaving mean and std out means the defaults; an empty or unrepresentable list is a mistake.
  auto float_list = [&](const std::string& key) {
    const std::vector<double> values = view.get_double_list(key);
    if (values.empty()) view.fail(key, "one value or one per channel (leave it out for the defaults)");
    for (double v : values)
      if (!(std::abs(v) <= 1e30)) view.fail(key, "a list of numbers of magnitude at most 1e30");
    return std::vector<float>(values.begin(), values.end());
  };
  if (view.has("mean")) options->mean = float_list("mean");
  if (view.has("std")) options->std = float_list("std");
}

Json transform_to_json(const TransformOptions& options) {
  Json json;
  json["input_size"] = options.input_size;
  json["channels"] = options.channels;
  json["train"] = options.train;
  json["augment"] = augment_name(options.augment);
  json["min_scale"] = options.min_scale;
  json["max_scale"] = options.max_scale;
  json["min_ratio"] = options.min_ratio;
  json["max_ratio"] = options.max_ratio;
  json["flip"] = options.flip;
  json["pad"] = options.pad;
  json["crop_ratio"] = options.crop_ratio;
  json["mean"] = options.mean;
  json["std"] = options.std;
  return json;
}

uint64_t sample_seed(uint64_t seed, int64_t epoch, int64_t index) {
  uint64_t h = mix64(seed ^ 0x6a09e667f3bcc909ULL);
  h = mix64(h ^ (static_cast<uint64_t>(epoch) * 0x9e3779b97f4a7c15ULL));
  return mix64(h ^ (static_cast<uint64_t>(index) * 0xc2b2ae3d27d4eb4fULL));
}

CropPlan plan_crop(const TransformOptions& options, int width, int height, uint64_t seed) {
  SplitMix rng(seed);
  CropPlan plan;
  const bool random_crop = options.train && options.augment == Augment::kRandomResizedCrop;
  const bool shift = options.train && options.augment == Augment::kCropFlip;
  if (random_crop) {
    // torchvision.transforms.RandomResizedCrop.get_params: 10 tries, then a center crop.
    const double area = static_cast<double>(width) * height;
    const double log_lo = std::log(options.min_ratio), log_hi = std::log(options.max_ratio);
    bool found = false;
    for (int attempt = 0; attempt < 10 && !found; ++attempt) {
      const double target = area * rng.uniform(options.min_scale, options.max_scale);
      const double aspect = std::exp(rng.uniform(log_lo, log_hi));
      const int w = static_cast<int>(std::lround(std::sqrt(target * aspect)));
      const int h = static_cast<int>(std::lround(std::sqrt(target / aspect)));
      if (w > 0 && h > 0 && w <= width && h <= height) {
        plan.y = static_cast<double>(rng.below(height - h + 1));
        plan.x = static_cast<double>(rng.below(width - w + 1));
        plan.width = w;
        plan.height = h;
        found = true;
      }
    }
    if (!found) {
      const double ratio = static_cast<double>(width) / height;
      int w = width, h = height;
      if (ratio < options.min_ratio) {
        h = static_cast<int>(std::lround(w / options.min_ratio));
      } else if (ratio > options.max_ratio) {
        w = static_cast<int>(std::lround(h * options.max_ratio));
      }
      plan.x = (width - w) / 2;
      plan.y = (height - h) / 2;
      plan.width = w;
      plan.height = h;
    }
  } else if (shift) {
    plan.width = width;
    plan.height = height;
    plan.shift_x = static_cast<int>(rng.below(2 * options.pad + 1)) - options.pad;
    plan.shift_y = static_cast<int>(rng.below(2 * options.pad + 1)) - options.pad;
  } else {
    center_crop(options, width, height, &plan);
  }
  plan.flip = options.train && options.flip && rng.uniform() < 0.5;
  return plan;
}

void apply_transform(const TransformOptions& options, const CropPlan& plan, const Image& image, float* out) {
  const double sx = image.source_width > 0 ? static_cast<double>(image.width) / image.source_width : 1.0;
  const double sy = image.source_height > 0 ? static_cast<double>(image.height) / image.source_height : 1.0;
  const int size = options.input_size;
  thread_local std::vector<float> buffer;
  if (plan.x == 0 && plan.y == 0 && image.width == size && image.height == size && plan.width * sx == size &&
      plan.height * sy == size) {
    buffer.assign(image.pixels.begin(), image.pixels.end());  // nothing to resample (28x28 at 28)
  } else {
    resample_region(image, plan.x * sx, plan.y * sy, plan.width * sx, plan.height * sy, size, size, &buffer);
  }
  emit(options, plan, buffer, image.channels, out);
}

void transform_sample(const Dataset& dataset, int64_t index, const TransformOptions& options, uint64_t seed,
                      float* out) {
  CropPlan plan;
  bool planned = false;
  const ScaleHint hint = [&](int width, int height) {
    plan = plan_crop(options, width, height, seed);
    planned = true;
    return needed_scale(options, plan);
  };
  const Image image = dataset.load(index, hint);
  if (!planned) plan = plan_crop(options, image.source_width, image.source_height, seed);
  apply_transform(options, plan, image, out);
}

}  // namespace nasctl::data
