#pragma once
/// Full-integer post-training quantization of a lowered float Model, as the Edge TPU compiler
/// requires it (and as TensorFlow Lite's converter does it):
///  - weights: per-channel symmetric int8 (CONV_2D axis 0, DEPTHWISE_CONV_2D axis 3); fully
///    connected weights per-tensor symmetric (TFLite's int8 FULLY_CONNECTED kernels of the Edge TPU
///    era take one scale); values in [-127, 127], zero point 0;
///  - biases: int32 with scale input_scale * weight_scale[c], zero point 0, quantized_dimension 0;
///  - activations: per-tensor asymmetric int8 from the calibrated range (widened to include 0);
///  - ops whose int8 kernels need equal input and output quantization (CONCATENATION, pools,
///    RESHAPE, PAD, TRANSPOSE, SPLIT) share one range over the connected tensors;
///  - LOGISTIC and SOFTMAX outputs have TFLite's fixed quantization (scale 1/256, zero point -128);
///    where such a tensor would have to share a wider range, a QUANTIZE requantizes it;
///  - model input and output: int8, uint8 (QUANTIZE between uint8 and int8 at the edges, zero
///    point + 128) or float32 (QUANTIZE in, DEQUANTIZE out).
/// No LibTorch here; the ranges come from calibration (export/calibration.h).

#include <limits>
#include <string>
#include <vector>

#include "nasctl/export/tflite_model.h"

namespace nasctl::exporter {

/// Type of the model's input and output tensors.
enum class IoType { kInt8, kUInt8, kFloat32 };
const char* io_type_name(IoType type);                                ///< "int8", "uint8", "float32"
IoType parse_io_type(const std::string& name, const std::string& key);  ///< throws naming `key`

/// Observed range of one tensor.
struct TensorRange {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  bool seen() const { return min <= max; }
  void update(float lo, float hi) {
    if (lo < min) min = lo;
    if (hi > max) max = hi;
  }
};

struct QuantizeOptions {
  /// Input and output type; default int8.
  IoType io_type = IoType::kInt8;
};

/// Per-tensor asymmetric int8 parameters for values in [lo, hi] (0 always representable).
Quantization activation_quantization(float lo, float hi);

/// The full-integer model. `ranges` has one entry per tensor of `float_model` (constants ignored).
/// Throws Error naming the tensor when an activation was never observed.
Model quantize_int8(const Model& float_model, const std::vector<TensorRange>& ranges,
                    const QuantizeOptions& options = {});

}  // namespace nasctl::exporter
