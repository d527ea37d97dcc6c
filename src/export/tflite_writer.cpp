// Model -> .tflite flatbuffer, through the code flatc generates from schema/tflite_subset.fbs.
#include <map>
#include <utility>

#include "nasctl/core/error.h"
#include "nasctl/export/tflite_model.h"
#include "tflite_subset_generated.h"

namespace nasctl::exporter {
namespace {

namespace fb = flatbuffers;

constexpr uint32_t kSchemaVersion = 3;
constexpr int32_t kPlaceholderForGreaterOpCodes = 127;

fb::Offset<tflite::QuantizationParameters> write_quantization(fb::FlatBufferBuilder& b, const Quantization& q) {
  if (q.empty()) return 0;
  return tflite::CreateQuantizationParametersDirect(b, nullptr, nullptr, &q.scale, &q.zero_point,
                                                    tflite::QuantizationDetails::NONE, 0, q.dimension);
}

tflite::ActivationFunctionType fused(FusedActivation a) { return static_cast<tflite::ActivationFunctionType>(a); }
tflite::Padding padding(TflitePadding p) { return static_cast<tflite::Padding>(p); }

// The builtin options table of `op` (type, offset).
std::pair<tflite::BuiltinOptions, fb::Offset<void>> write_options(fb::FlatBufferBuilder& b, const Operator& op) {
  const OpOptions& o = op.options;
  using O = tflite::BuiltinOptions;
  switch (op.op) {
    case BuiltinOp::kConv2d:
      return {O::Conv2DOptions,
              tflite::CreateConv2DOptions(b, padding(o.padding), o.stride_w, o.stride_h, fused(o.activation)).Union()};
    case BuiltinOp::kDepthwiseConv2d:
      return {O::DepthwiseConv2DOptions,
              tflite::CreateDepthwiseConv2DOptions(b, padding(o.padding), o.stride_w, o.stride_h, o.depth_multiplier,
                                                   fused(o.activation)).Union()};
    case BuiltinOp::kAveragePool2d:
    case BuiltinOp::kMaxPool2d:
      return {O::Pool2DOptions, tflite::CreatePool2DOptions(b, padding(o.padding), o.stride_w, o.stride_h, o.filter_w,
                                                            o.filter_h, fused(o.activation)).Union()};
    case BuiltinOp::kFullyConnected:
      return {O::FullyConnectedOptions, tflite::CreateFullyConnectedOptions(b, fused(o.activation)).Union()};
    case BuiltinOp::kSoftmax:
      return {O::SoftmaxOptions, tflite::CreateSoftmaxOptions(b, o.beta).Union()};
    case BuiltinOp::kConcatenation:
      return {O::ConcatenationOptions, tflite::CreateConcatenationOptions(b, o.axis, fused(o.activation)).Union()};
    case BuiltinOp::kAdd:
      return {O::AddOptions, tflite::CreateAddOptions(b, fused(o.activation)).Union()};
    case BuiltinOp::kMul:
      return {O::MulOptions, tflite::CreateMulOptions(b, fused(o.activation)).Union()};
    case BuiltinOp::kReshape:
      return {O::ReshapeOptions, tflite::CreateReshapeOptionsDirect(b, &o.new_shape).Union()};
    case BuiltinOp::kPad:
      return {O::PadOptions, tflite::CreatePadOptions(b).Union()};
    case BuiltinOp::kPadV2:
      return {O::PadV2Options, tflite::CreatePadV2Options(b).Union()};
    case BuiltinOp::kTranspose:
      return {O::TransposeOptions, tflite::CreateTransposeOptions(b).Union()};
    case BuiltinOp::kMean:
      return {O::ReducerOptions, tflite::CreateReducerOptions(b, o.keep_dims).Union()};
    case BuiltinOp::kSplit:
      return {O::SplitOptions, tflite::CreateSplitOptions(b, o.num_splits).Union()};
    case BuiltinOp::kDequantize:
      return {O::DequantizeOptions, tflite::CreateDequantizeOptions(b).Union()};
    case BuiltinOp::kQuantize:
      return {O::QuantizeOptions, tflite::CreateQuantizeOptions(b).Union()};
    case BuiltinOp::kHardSwish:
      return {O::HardSwishOptions, tflite::CreateHardSwishOptions(b).Union()};
    case BuiltinOp::kLogistic:
    case BuiltinOp::kRelu:
    case BuiltinOp::kRelu6:
      return {O::NONE, 0};  // TFLite's converter writes no options for these
  }
  return {O::NONE, 0};
}

void check_model(const Model& model) {
  auto check_index = [&](int t, const std::string& what) {
    if (t < 0 || t >= static_cast<int>(model.tensors.size())) {
      throw runtime_error("TFLite writer: " + what + " refers to tensor " + std::to_string(t) + ", but there are " +
                          std::to_string(model.tensors.size()));
    }
  };
  for (int t : model.inputs) check_index(t, "model input");
  for (int t : model.outputs) check_index(t, "model output");
  for (const Operator& op : model.operators) {
    for (int t : op.inputs) check_index(t, builtin_op_name(op.op));
    for (int t : op.outputs) check_index(t, builtin_op_name(op.op));
  }
}

}  // namespace

std::string serialize_tflite(const Model& model) {
  check_model(model);
  fb::FlatBufferBuilder b(1 << 16);

  // Buffers: 0 is the empty sentinel; then one per constant tensor, its data aligned to 16 bytes.
  std::vector<fb::Offset<tflite::Buffer>> buffers;
  buffers.push_back(tflite::CreateBuffer(b));
  std::vector<uint32_t> buffer_of(model.tensors.size(), 0);
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    const Tensor& t = model.tensors[i];
    if (!t.is_constant()) continue;
    if (static_cast<int64_t>(t.data.size()) != t.elements() * tensor_type_size(t.type)) {
      throw runtime_error("TFLite writer: constant '" + t.name + "' holds " + std::to_string(t.data.size()) +
                          " bytes, but its shape needs " + std::to_string(t.elements() * tensor_type_size(t.type)));
    }
    buffer_of[i] = static_cast<uint32_t>(buffers.size());
    buffers.push_back(tflite::CreateBufferDirect(b, &t.data));
  }

  std::vector<fb::Offset<tflite::Tensor>> tensors;
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    const Tensor& t = model.tensors[i];
    auto quant = write_quantization(b, t.quant);
    tensors.push_back(tflite::CreateTensorDirect(b, &t.shape, static_cast<tflite::TensorType>(t.type), buffer_of[i],
                                                 t.name.c_str(), quant));
  }

  // One operator code per (builtin, version), in order of first use.
  std::map<std::pair<int32_t, int>, uint32_t> code_index;
  std::vector<fb::Offset<tflite::OperatorCode>> codes;
  std::vector<fb::Offset<tflite::Operator>> operators;
  for (const Operator& op : model.operators) {
    int32_t code = static_cast<int32_t>(op.op);
    int version = operator_version(model, op);
    auto key = std::make_pair(code, version);
    auto found = code_index.find(key);
    if (found == code_index.end()) {
      auto deprecated = static_cast<int8_t>(code < kPlaceholderForGreaterOpCodes ? code : kPlaceholderForGreaterOpCodes);
      codes.push_back(tflite::CreateOperatorCode(b, deprecated, 0, version, static_cast<tflite::BuiltinOperator>(code)));
      found = code_index.emplace(key, static_cast<uint32_t>(codes.size() - 1)).first;
    }
    auto [options_type, options] = write_options(b, op);
    operators.push_back(tflite::CreateOperatorDirect(b, found->second, &op.inputs, &op.outputs, options_type, options));
  }

  std::vector<fb::Offset<tflite::SubGraph>> subgraphs = {
      tflite::CreateSubGraphDirect(b, &tensors, &model.inputs, &model.outputs, &operators, "main")};
  auto root = tflite::CreateModelDirect(b, kSchemaVersion, &codes, &subgraphs, model.description.c_str(), &buffers);
  tflite::FinishModelBuffer(b, root);
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

}  // namespace nasctl::exporter
