// Per-sample transforms: crop planning (seeded), resampling, channel policy, normalisation.

#include "nasctl/data/transform.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "nasctl/core/error.h"
#include "resample.h"

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

// "rrc" (also "random_resized_crop"), "crop_flip", "none".
OptionCodec<Augment> augment_codec() {
  OptionCodec<Augment> c = enum_codec<Augment>(
      {{"rrc", Augment::kRandomResizedCrop}, {"crop_flip", Augment::kCropFlip}, {"none", Augment::kNone}});
  c.read = [](const JsonView& view, const std::string& key, Augment& value) {
    value = parse_augment(view.get_string(key), view.path(key));
  };
  return c;
}

// Per-channel float lists (mean, std): a number or a list of numbers.
OptionCodec<std::vector<float>> float_list_codec() {
  OptionCodec<std::vector<float>> c;
  c.requirement = "a number or a list of numbers";
  c.metavar = "X[,X...]";
  c.read = [](const JsonView& view, const std::string& key, std::vector<float>& value) {
    // Leaving mean and std out means the defaults; an empty or unrepresentable list is a mistake.
    const std::vector<double> values = view.get_double_list(key);
    if (values.empty()) view.fail(key, "one value or one per channel (leave it out for the defaults)");
    for (double v : values) {
      if (!(std::abs(v) <= 1e30)) view.fail(key, "a list of numbers of magnitude at most 1e30");
    }
    value.assign(values.begin(), values.end());
  };
  c.write = [](const std::vector<float>& value) { return Json(value); };
  return c;
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

const OptionSchema<TransformOptions>& transform_option_schema() {
  static const OptionSchema<TransformOptions> schema = [] {
    using O = TransformOptions;
    OptionSchema<O> s("transform", {});
    auto text = [](double v) {
      std::ostringstream out;
      out << v;
      return out.str();
    };
    s.add("input_size", &O::input_size).check("in 1..4096", [](int v) { return v > 0 && v <= 4096; });
    s.add("channels", &O::channels).check("0 (native), 1 or 3", [](int v) { return v == 0 || v == 1 || v == 3; });
    s.add("train", &O::train).write_only();
    s.add("augment", &O::augment, augment_codec());
    s.add("min_scale", &O::min_scale).show(text).check("in (0, 1]", [](double v) { return v > 0.0 && v <= 1.0; });
    s.add("max_scale", &O::max_scale).show(text).check([](const double& v, const O& o) {
      return v >= o.min_scale && v <= 1.0 ? "" : "in [min_scale, 1]";
    });
    s.add("min_ratio", &O::min_ratio).show(text).check("> 0", [](double v) { return v > 0.0; });
    s.add("max_ratio", &O::max_ratio).show(text).check([](const double& v, const O& o) {
      return v >= o.min_ratio ? "" : ">= min_ratio";
    });
    s.add("flip", &O::flip);
    s.add("pad", &O::pad).check([](const int& v, const O& o) { return v >= 0 && v < o.input_size ? "" : "in 0..input_size-1"; });
    s.add("crop_ratio", &O::crop_ratio).show(text).check("in (0, 1]", [](double v) { return v > 0.0 && v <= 1.0; });
    auto per_channel = [](const std::vector<float>& v, const O& o) {
      const size_t n = o.channels == 0 ? 3 : o.channels;
      return v.empty() || v.size() == 1 || v.size() == n
                 ? std::string()
                 : "empty, one value or one per channel (" + std::to_string(n) + ")";
    };
    s.add("mean", &O::mean, float_list_codec()).show(list_text).check(per_channel).check("finite", [](const std::vector<float>& v) {
      return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
    });
    s.add("std", &O::std, float_list_codec())
        .show(list_text)
        .check(per_channel)
        .check([](const std::vector<float>& v, const O& o) { return v.empty() == o.mean.empty() ? "" : "given together with mean"; })
        .check("all > 0", [](const std::vector<float>& v) {
          return std::all_of(v.begin(), v.end(), [](float x) { return x > 0.0f; });
        });
    return s;
  }();
  return schema;
}

void TransformOptions::validate() const { transform_option_schema().validate(*this); }

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
  *options = transform_option_schema().read(view.raw(), view.where(), std::move(*options), /*check_keys=*/false);
}

Json transform_to_json(const TransformOptions& options) { return transform_option_schema().write(options); }

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
