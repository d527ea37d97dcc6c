#pragma once
/// Calibration for int8 export: the range of every tensor of the lowered float Model over N
/// batches of real data, seen through the evaluation transform the network was trained with.

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/data/transform.h"
#include "nasctl/export/quantize.h"
#include "nasctl/export/tflite_model.h"

namespace nasctl::exporter {

struct CalibrationOptions {
  /// The data (`--calibration`): an ImageFolder / IDX folder or "fashion-mnist"; required.
  std::string data;
  /// Which split to draw from; default train (the test split stays unseen).
  data::Split split = data::Split::kTrain;
  /// Number of batches (`--calibration-batches`); default 8.
  int batches = 8;
  /// Images per batch; default 32.
  int batch_size = 32;
  /// Decoding threads; default 2.
  int workers = 2;
  /// Seed of the sample order; default 0.
  uint64_t seed = 0;
  /// The evaluation transform (input_size, channels, mean/std, crop); it must produce the model's
  /// input shape. Default: the data module's default for the model's input size.
  data::TransformOptions transform;
  /// True when `transform` is set (from a checkpoint's "preprocess"); default false.
  bool has_transform = false;

  /// Throws Error naming the flag and value.
  void validate() const;
};

/// Runs `float_model` (single input [1, H, W, C]) in the reference interpreter on the calibration
/// batches and returns one range per tensor. Throws Error when the data does not fit the model
/// (transform size or channels), or holds fewer than batches x batch_size images.
std::vector<TensorRange> calibrate(const Model& float_model, const CalibrationOptions& options);

}  // namespace nasctl::exporter
