#pragma once
/// A reference interpreter of float32 TFLite Models in LibTorch, with TFLite's semantics (SAME
/// padding with the odd pixel after, pools that ignore padding, NHWC). It runs a lowered model on
/// a batch, which is how calibration observes the range of every tensor the int8 model will have,
/// and how tests check a lowering against GraphNet without leaving the process.

#include <torch/torch.h>

#include <functional>
#include <vector>

#include "nasctl/export/quantize.h"
#include "nasctl/export/tflite_model.h"

namespace nasctl::exporter {

/// Called with (tensor index, value) for the model input and every op output, in execution order.
using TensorObserver = std::function<void(int tensor, const torch::Tensor& value)>;

/// Runs float `model` on `input` ([N, H, W, C] float32: the batch replaces the leading 1 of every
/// shape). Returns the model outputs in order. Throws Error when the input does not fit the model
/// or an operator is not a float op.
std::vector<torch::Tensor> run_reference(const Model& model, const torch::Tensor& input,
                                         const TensorObserver& observe = nullptr);

/// Min / max of every tensor of float `model` over `batches` ([N, C, H, W] images, as GraphNet
/// takes them). Throws Error naming the batch whose shape does not fit the model's input.
std::vector<TensorRange> observe_ranges(const Model& model, const std::vector<torch::Tensor>& batches);

}  // namespace nasctl::exporter
