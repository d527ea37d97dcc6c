#include "nasctl/export/tflite_model.h"

#include <cstring>

#include "nasctl/core/error.h"

namespace nasctl::exporter {

const char* builtin_op_name(BuiltinOp op) {
  switch (op) {
    case BuiltinOp::kAdd: return "ADD";
    case BuiltinOp::kAveragePool2d: return "AVERAGE_POOL_2D";
    case BuiltinOp::kConcatenation: return "CONCATENATION";
    case BuiltinOp::kConv2d: return "CONV_2D";
    case BuiltinOp::kDepthwiseConv2d: return "DEPTHWISE_CONV_2D";
    case BuiltinOp::kDequantize: return "DEQUANTIZE";
    case BuiltinOp::kFullyConnected: return "FULLY_CONNECTED";
    case BuiltinOp::kLogistic: return "LOGISTIC";
    case BuiltinOp::kMaxPool2d: return "MAX_POOL_2D";
    case BuiltinOp::kMul: return "MUL";
    case BuiltinOp::kRelu: return "RELU";
    case BuiltinOp::kRelu6: return "RELU6";
    case BuiltinOp::kReshape: return "RESHAPE";
    case BuiltinOp::kSoftmax: return "SOFTMAX";
    case BuiltinOp::kPad: return "PAD";
    case BuiltinOp::kTranspose: return "TRANSPOSE";
    case BuiltinOp::kMean: return "MEAN";
    case BuiltinOp::kSplit: return "SPLIT";
    case BuiltinOp::kPadV2: return "PADV2";
    case BuiltinOp::kQuantize: return "QUANTIZE";
    case BuiltinOp::kHardSwish: return "HARD_SWISH";
  }
  return "?";
}

const char* tensor_type_name(TensorType type) {
  switch (type) {
    case TensorType::kFloat32: return "float32";
    case TensorType::kInt32: return "int32";
    case TensorType::kUInt8: return "uint8";
    case TensorType::kInt8: return "int8";
  }
  return "?";
}

int tensor_type_size(TensorType type) {
  return type == TensorType::kFloat32 || type == TensorType::kInt32 ? 4 : 1;
}

int64_t Tensor::elements() const {
  int64_t n = 1;
  for (int d : shape) n *= d;
  return n;
}

std::vector<float> Tensor::floats() const {
  if (type != TensorType::kFloat32) throw runtime_error("tensor '" + name + "' is not float32");
  std::vector<float> values(data.size() / sizeof(float));
  std::memcpy(values.data(), data.data(), values.size() * sizeof(float));
  return values;
}

std::vector<int32_t> Tensor::ints() const {
  if (type != TensorType::kInt32) throw runtime_error("tensor '" + name + "' is not int32");
  std::vector<int32_t> values(data.size() / sizeof(int32_t));
  std::memcpy(values.data(), data.data(), values.size() * sizeof(int32_t));
  return values;
}

int Model::add_tensor(Tensor tensor) {
  tensors.push_back(std::move(tensor));
  return static_cast<int>(tensors.size()) - 1;
}

int Model::add_activation(const std::string& name, std::vector<int> shape, TensorType type) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.type = type;
  return add_tensor(std::move(t));
}

namespace {
template <typename T>
std::vector<uint8_t> to_bytes(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}
}  // namespace

int Model::add_float_constant(const std::string& name, std::vector<int> shape, const std::vector<float>& values) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.type = TensorType::kFloat32;
  t.data = to_bytes(values);
  if (t.elements() != static_cast<int64_t>(values.size())) {
    throw runtime_error("constant '" + name + "': " + std::to_string(values.size()) + " values for its shape");
  }
  return add_tensor(std::move(t));
}

int Model::add_int32_constant(const std::string& name, std::vector<int> shape, const std::vector<int32_t>& values) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.type = TensorType::kInt32;
  t.data = to_bytes(values);
  return add_tensor(std::move(t));
}

int Model::add_operator(Operator op) {
  operators.push_back(std::move(op));
  return static_cast<int>(operators.size()) - 1;
}

// Mirrors TFLite's GetBuiltinOperatorVersion for the ops and types nasctl writes.
int operator_version(const Model& model, const Operator& op) {
  auto type = [&](int tensor) { return model.tensors.at(tensor).type; };
  auto rank = [&](int tensor) { return model.tensors.at(tensor).shape.size(); };
  TensorType in = type(op.inputs.at(0));
  bool int8_in = in == TensorType::kInt8;
  switch (op.op) {
    case BuiltinOp::kConv2d: {
      const Tensor& x = model.tensors.at(op.inputs[0]);
      const Tensor& w = model.tensors.at(op.inputs[1]);
      if (x.shape.back() != w.shape.back()) return 6;  // grouped convolution
      return int8_in && w.type == TensorType::kInt8 && type(op.outputs[0]) == TensorType::kInt8 ? 3 : 1;
    }
    case BuiltinOp::kDepthwiseConv2d:
      return int8_in && type(op.inputs[1]) == TensorType::kInt8 && type(op.outputs[0]) == TensorType::kInt8 ? 3 : 1;
    case BuiltinOp::kFullyConnected:
      if (op.inputs.size() == 2) return 6;
      return int8_in && type(op.inputs[1]) == TensorType::kInt8 && type(op.outputs[0]) == TensorType::kInt8 ? 4 : 1;
    case BuiltinOp::kMul: {
      if (!int8_in) return 1;
      const Quantization& a = model.tensors.at(op.inputs[0]).quant;
      const Quantization& b = model.tensors.at(op.inputs[1]).quant;
      const Quantization& o = model.tensors.at(op.outputs[0]).quant;
      if (!a.empty() && !b.empty() && !o.empty() && double(a.scale[0]) * b.scale[0] / o.scale[0] >= 1.0) return 3;
      return 2;
    }
    case BuiltinOp::kTranspose:
      if (rank(op.inputs[0]) > 4) return 4;
      return int8_in ? 2 : 1;
    case BuiltinOp::kPad:
    case BuiltinOp::kPadV2:
      if (rank(op.inputs[0]) > 4) return 4;
      return int8_in ? 2 : 1;
    case BuiltinOp::kDequantize:
      return int8_in ? 2 : 1;
    case BuiltinOp::kQuantize:
      return 1;
    case BuiltinOp::kRelu:
      return int8_in || in == TensorType::kUInt8 ? 2 : 1;
    case BuiltinOp::kSplit:
      return type(op.inputs.at(1)) == TensorType::kInt8 ? 2 : 1;
    case BuiltinOp::kAdd:
    case BuiltinOp::kAveragePool2d:
    case BuiltinOp::kMaxPool2d:
    case BuiltinOp::kConcatenation:
    case BuiltinOp::kLogistic:
    case BuiltinOp::kSoftmax:
    case BuiltinOp::kMean:
    case BuiltinOp::kRelu6:
      return int8_in ? 2 : 1;
    case BuiltinOp::kReshape:
    case BuiltinOp::kHardSwish:
      return 1;
  }
  return 1;
}

}  // namespace nasctl::exporter
