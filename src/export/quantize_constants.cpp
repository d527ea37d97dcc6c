// Float constants -> int8 weights (per channel / per tensor), int32 biases, int8 operands.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "export/quantize_impl.h"
#include "nasctl/core/error.h"

namespace nasctl::exporter::detail {
namespace {

template <typename T>
std::vector<uint8_t> bytes_of(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

// Symmetric int8 in [-127, 127] with one scale per slice along `axis` (or one for all, axis -1).
void quantize_weights(Tensor& t, int axis) {
  std::vector<float> v = t.floats();
  int64_t channels = axis < 0 ? 1 : t.shape[axis];
  int64_t inner = 1;
  for (size_t d = axis < 0 ? t.shape.size() : size_t(axis) + 1; d < t.shape.size(); ++d) inner *= t.shape[d];
  auto channel_of = [&](int64_t i) { return axis < 0 ? 0 : (i / inner) % channels; };
  std::vector<float> max_abs(channels, 0.0f);
  for (int64_t i = 0; i < int64_t(v.size()); ++i) {
    max_abs[channel_of(i)] = std::max(max_abs[channel_of(i)], std::abs(v[i]));
  }
  t.quant = {};
  for (float m : max_abs) {
    t.quant.scale.push_back(m > 0 ? m / 127.0f : 1.0f);  // an all-zero channel: any positive scale
    t.quant.zero_point.push_back(0);
  }
  t.quant.dimension = axis < 0 ? 0 : axis;
  std::vector<int8_t> q(v.size());
  for (int64_t i = 0; i < int64_t(v.size()); ++i) {
    float r = std::round(v[i] / t.quant.scale[channel_of(i)]);
    q[i] = static_cast<int8_t>(std::clamp(r, -127.0f, 127.0f));
  }
  t.type = TensorType::kInt8;
  t.data = bytes_of(q);
}

// int32 bias with scale input_scale * weight_scale[c] (TFLite checks this product).
void quantize_bias(Tensor& bias, const Quantization& input, const Quantization& weights) {
  std::vector<float> v = bias.floats();
  bias.quant = {};
  std::vector<int32_t> q(v.size());
  for (size_t c = 0; c < v.size(); ++c) {
    float w_scale = weights.scale.size() == 1 ? weights.scale[0] : weights.scale.at(c);
    float scale = static_cast<float>(double(input.scale[0]) * double(w_scale));
    if (weights.scale.size() > 1 || c == 0) {
      bias.quant.scale.push_back(scale);
      bias.quant.zero_point.push_back(0);
    }
    double r = std::round(double(v[c]) / scale);
    if (std::abs(r) > 2147483647.0) {
      throw runtime_error("quantize: bias '" + bias.name + "'[" + std::to_string(c) + "] = " + std::to_string(v[c]) +
                          " does not fit int32 at scale " + std::to_string(scale));
    }
    q[c] = static_cast<int32_t>(r);
  }
  bias.quant.dimension = 0;
  bias.type = TensorType::kInt32;
  bias.data = bytes_of(q);
}

// Per-tensor asymmetric int8 for an element-wise operand, or with the given parameters.
void quantize_operand(Tensor& t, const Quantization* given) {
  std::vector<float> v = t.floats();
  if (given) {
    t.quant = *given;
  } else {
    float lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
    t.quant = activation_quantization(lo, hi);
  }
  std::vector<int8_t> q(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    double r = std::round(double(v[i]) / t.quant.scale[0]) + double(t.quant.zero_point[0]);
    q[i] = static_cast<int8_t>(std::clamp(r, -128.0, 127.0));
  }
  t.type = TensorType::kInt8;
  t.data = bytes_of(q);
}

}  // namespace

void quantize_constants(Model& m) {
  std::vector<bool> done(m.tensors.size(), false);
  for (const Operator& op : m.operators) {
    for (size_t slot = 0; slot < op.inputs.size(); ++slot) {
      int index = op.inputs[slot];
      Tensor& t = m.tensors[index];
      if (!t.is_constant() || t.type != TensorType::kFloat32) continue;
      if (done[index]) throw runtime_error("quantize: constant '" + t.name + "' is read by more than one op");
      done[index] = true;
      const Quantization& input = m.tensors[op.inputs[0]].quant;
      switch (op.op) {
        case BuiltinOp::kConv2d:
        case BuiltinOp::kDepthwiseConv2d:
        case BuiltinOp::kFullyConnected:
          if (slot == 1) {
            quantize_weights(t, op.op == BuiltinOp::kConv2d ? 0 : op.op == BuiltinOp::kDepthwiseConv2d ? 3 : -1);
          } else if (slot == 2) {
            quantize_bias(t, input, m.tensors[op.inputs[1]].quant);
          }
          break;
        case BuiltinOp::kAdd:
        case BuiltinOp::kMul:
          quantize_operand(t, nullptr);
          break;
        case BuiltinOp::kPadV2:
          quantize_operand(t, &input);  // the pad value lives in the input's quantization
          break;
        default:
          throw runtime_error(std::string("quantize: ") + builtin_op_name(op.op) + " reads float constant '" + t.name +
                              "', which nasctl does not quantize");
      }
    }
  }
}

}  // namespace nasctl::exporter::detail
