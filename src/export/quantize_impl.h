#pragma once
// Internals of quantize_int8: the activation plan (quantize.cpp) and constant conversion
// (quantize_constants.cpp).

#include <utility>
#include <vector>

#include "nasctl/export/quantize.h"

namespace nasctl::exporter::detail {

/// Activation parameters per tensor, and the (operator, input slot) pairs that must read a
/// requantized copy of a fixed-quantization tensor.
struct ActivationPlan {
  std::vector<Quantization> quant;
  std::vector<std::pair<size_t, size_t>> requantize;
};

/// TFLite's fixed output quantization of LOGISTIC and SOFTMAX: scale 1/256, zero point -128.
Quantization fixed_output_quantization();

ActivationPlan plan_activations(const Model& model, const std::vector<TensorRange>& ranges);

/// Converts every float constant to what its reader needs (weights int8 per channel or per tensor,
/// biases int32, element-wise operands int8, PADV2 values in the input's parameters). Activation
/// tensors must already carry their int8 quantization.
void quantize_constants(Model& model);

}  // namespace nasctl::exporter::detail
