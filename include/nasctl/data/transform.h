#pragma once
/// Per-sample transforms: training augmentation (random-resized-crop or pad + random crop, with
/// horizontal flip), evaluation resize + center crop, channel policy and mean/std normalisation.
/// Every random choice comes from a per-sample seed (core/random.h: sample_seed), so a sample's pixels do not
/// depend on which thread produced them. No LibTorch here.

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/core/option_schema.h"
#include "nasctl/core/random.h"
#include "nasctl/data/dataset.h"
#include "nasctl/data/image.h"

namespace nasctl::data {

/// Training augmentation (used only when TransformOptions::train is set).
enum class Augment {
  /// torchvision's RandomResizedCrop: a crop of random area (min_scale..max_scale of the image)
  /// and aspect ratio (min_ratio..max_ratio, log-uniform), resized to input_size; ImageNet's recipe.
  kRandomResizedCrop,
  /// Resize to input_size x input_size, zero-pad by `pad` pixels, random input_size crop; the
  /// CIFAR / Fashion-MNIST recipe (small images whose objects fill the frame).
  kCropFlip,
  /// The evaluation transform (no random crop); flip still applies when `flip` is set.
  kNone,
};

/// "rrc", "crop_flip", "none" <-> Augment. Parsing throws naming `key` and the value.
const char* augment_name(Augment augment);
Augment parse_augment(const std::string& value, const std::string& key = "augment");

struct TransformOptions {
  /// Output height and width in pixels; default 224.
  int input_size = 224;
  /// Output channels: 1 or 3, or 0 = the dataset's native channels (default). Gray is replicated
  /// to 3 channels; RGB becomes luma for 1.
  int channels = 0;
  /// Training (random augmentation) or evaluation (deterministic) transform; default false.
  bool train = false;
  /// Training augmentation; default random-resized-crop.
  Augment augment = Augment::kRandomResizedCrop;
  /// Random-resized-crop area range, fractions of the image; default 0.08..1 (torchvision).
  double min_scale = 0.08;
  double max_scale = 1.0;
  /// Random-resized-crop aspect ratio range (width / height); default 3/4..4/3.
  double min_ratio = 3.0 / 4.0;
  double max_ratio = 4.0 / 3.0;
  /// Random horizontal flip with probability 0.5 in training; default true.
  bool flip = true;
  /// Zero padding of kCropFlip in output pixels; default 4 (at input 32; use ~input_size / 8).
  int pad = 4;
  /// Evaluation: resize the shorter side to int(input_size / crop_ratio), then center-crop
  /// input_size, with torchvision's integer sizes and rounding (Resize + CenterCrop), computed as one
  /// resampling of the equivalent source region; default 0.875 (ImageNet: 256 -> 224). 1.0 = resize
  /// the shorter side to input_size (square images: the whole image).
  double crop_ratio = 0.875;
  /// Per-channel mean and std on the 0..1 scale: out = (pixel / 255 - mean) / std. Default empty =
  /// ImageNet's (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225) for 3 channels, and their luma
  /// (0.4590 / 0.2256) for 1 channel. One value is broadcast to every channel.
  std::vector<float> mean;
  std::vector<float> std;

  /// Throws nasctl::Error naming the field and the value ("transform.input_size must be > 0 ...").
  void validate() const;
};

/// The table of the transform options: JSON keys, checks (core/option_schema.h). Its "train" key is
/// written, not read (whether a transform trains is its caller's choice).
const OptionSchema<TransformOptions>& transform_option_schema();

/// Fills the defaults that depend on the data: channels 0 -> dataset.channels(); empty mean/std ->
/// the documented defaults; one mean/std value -> one per channel. Validates the result.
TransformOptions resolve_transform(TransformOptions options, const Dataset& dataset);

/// Sensible options for `dataset` at `input_size`: ImageNet-style (random-resized-crop, eval crop
/// 0.875) for large varying-size images; for small fixed-size images (<= 64 px, e.g. IDX) the
/// crop_flip augmentation with pad = input_size / 8 and eval crop_ratio 1.0 (no border cut away).
TransformOptions default_transform(const Dataset& dataset, int input_size, bool train);

/// Reads the optional keys input_size, channels, augment, min_scale, max_scale, min_ratio,
/// max_ratio, flip, pad, crop_ratio, mean, std of `view` into `options` (absent keys keep their
/// value). Unknown keys are not checked here (the caller's object may hold other keys).
void read_transform_json(const JsonView& view, TransformOptions* options);

/// The options as JSON (all keys above plus "train"); for config.json and model cards, so an
/// application can reproduce the evaluation preprocessing.
Json transform_to_json(const TransformOptions& options);

/// Where a transform takes its pixels from, planned from the full-resolution image size.
struct CropPlan {
  double x = 0, y = 0, width = 0, height = 0;  ///< region in full-resolution source pixels
  bool flip = false;                           ///< mirror horizontally
  int shift_x = 0, shift_y = 0;                ///< kCropFlip: crop offset in output pixels, -pad..pad
};

/// The crop `options` takes from a `width` x `height` image with per-sample seed `seed` (options
/// resolved). Deterministic.
CropPlan plan_crop(const TransformOptions& options, int width, int height, uint64_t seed);

/// Applies `plan` to `image` (any channels; image.source_* give the planned coordinates) and writes
/// options.channels x input_size x input_size floats, CHW, normalised, to `out`.
void apply_transform(const TransformOptions& options, const CropPlan& plan, const Image& image, float* out);

/// Decodes sample `index` of `dataset` (at a reduced JPEG scale when the crop allows) and writes
/// its transformed pixels (CHW floats, as apply_transform) to `out`. `options` must be resolved.
/// Throws what Dataset::load throws for an unreadable sample.
void transform_sample(const Dataset& dataset, int64_t index, const TransformOptions& options, uint64_t seed,
                      float* out);

}  // namespace nasctl::data
