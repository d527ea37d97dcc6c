#pragma once
/// An in-memory TFLite model: the tensors and operators that nasctl writes, before they become a
/// .tflite flatbuffer (serialize_tflite) and after one is read back (parse_tflite). Lowering a
/// Graph produces a float Model; quantization turns it into a full-integer one. No LibTorch here.
///
/// Conventions are TFLite's: NHWC activations with batch 1, conv weights OHWI, depthwise weights
/// [1, kh, kw, C * multiplier], fully-connected weights [units, inputs], little-endian data.
/// (The module's namespace is nasctl::exporter: `export` is a C++ keyword.)

#include <cstdint>
#include <string>
#include <vector>

namespace nasctl::exporter {

/// Element types (TFLite's TensorType numbers).
enum class TensorType : int8_t { kFloat32 = 0, kInt32 = 2, kUInt8 = 3, kInt8 = 9 };

/// The builtin operators nasctl emits (TFLite's BuiltinOperator numbers).
enum class BuiltinOp : int32_t {
  kAdd = 0,
  kAveragePool2d = 1,
  kConcatenation = 2,
  kConv2d = 3,
  kDepthwiseConv2d = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2d = 17,
  kMul = 18,
  kRelu = 19,
  kRelu6 = 21,
  kReshape = 22,
  kSoftmax = 25,
  kPad = 34,
  kTranspose = 39,
  kMean = 40,
  kSplit = 49,
  kPadV2 = 60,
  kQuantize = 114,
  kHardSwish = 117,
};

/// Activations TFLite fuses into an op (TFLite's ActivationFunctionType numbers).
enum class FusedActivation : int8_t { kNone = 0, kRelu = 1, kRelu6 = 3 };

/// TFLite padding: SAME puts the odd pixel after (bottom/right); VALID pads nothing.
enum class TflitePadding : int8_t { kSame = 0, kValid = 1 };

const char* builtin_op_name(BuiltinOp op);      ///< "CONV_2D", ...
const char* tensor_type_name(TensorType type);  ///< "float32", "int8", ...
int tensor_type_size(TensorType type);          ///< bytes per element

/// Affine quantization: real = scale * (q - zero_point), per tensor (one scale) or per channel
/// along `dimension`.
struct Quantization {
  std::vector<float> scale;
  std::vector<int64_t> zero_point;
  int dimension = 0;  ///< quantized_dimension; default 0
  bool empty() const { return scale.empty(); }
};

/// One tensor. Constants carry `data` (little-endian elements of `type`); activations have none.
struct Tensor {
  std::string name;
  std::vector<int> shape;
  TensorType type = TensorType::kFloat32;
  std::vector<uint8_t> data;  ///< empty for activations
  Quantization quant;

  bool is_constant() const { return !data.empty(); }
  int64_t elements() const;
  /// The data read as floats (type must be float32).
  std::vector<float> floats() const;
  /// The data read as int32 (type must be int32).
  std::vector<int32_t> ints() const;
};

/// Builtin options; each op reads the fields it has in TFLite's schema and ignores the rest.
struct OpOptions {
  TflitePadding padding = TflitePadding::kValid;
  int stride_w = 1, stride_h = 1;
  int filter_w = 1, filter_h = 1;          ///< pools
  int depth_multiplier = 1;                 ///< depthwise
  FusedActivation activation = FusedActivation::kNone;
  int axis = 0;                             ///< concatenation
  bool keep_dims = false;                   ///< mean
  float beta = 1.0f;                        ///< softmax
  std::vector<int> new_shape;               ///< reshape
  int num_splits = 0;                       ///< split
};

/// One operator: a builtin applied to tensors (indices into Model::tensors).
struct Operator {
  BuiltinOp op = BuiltinOp::kAdd;
  std::vector<int> inputs;
  std::vector<int> outputs;
  OpOptions options;
  std::string origin;  ///< the graph node it was lowered from ("" for inserted ops)
};

/// A single-subgraph TFLite model.
struct Model {
  std::string description = "nasctl";
  std::vector<Tensor> tensors;
  std::vector<Operator> operators;  ///< in execution order
  std::vector<int> inputs;
  std::vector<int> outputs;

  /// Appends a tensor and returns its index.
  int add_tensor(Tensor tensor);
  /// Appends an activation tensor.
  int add_activation(const std::string& name, std::vector<int> shape, TensorType type = TensorType::kFloat32);
  /// Appends constant tensors built from values.
  int add_float_constant(const std::string& name, std::vector<int> shape, const std::vector<float>& values);
  int add_int32_constant(const std::string& name, std::vector<int> shape, const std::vector<int32_t>& values);
  /// Appends an operator and returns its index.
  int add_operator(Operator op);
};

/// The version of each operator as TFLite's op versioning assigns it for its tensor types (TFLite's
/// tools/versioning/op_version.cc): e.g. int8 CONV_2D 3, int8 FULLY_CONNECTED 4, int8 ADD 2.
int operator_version(const Model& model, const Operator& op);

/// The .tflite flatbuffer: file identifier "TFL3", schema version 3, buffer 0 empty, one buffer per
/// constant tensor with its data aligned to 16 bytes, both builtin_code and deprecated_builtin_code
/// set, one operator code per (builtin, version) used.
std::string serialize_tflite(const Model& model);

/// Reads a .tflite flatbuffer written with the ops above (any writer). Throws Error naming `origin`
/// when the buffer is not a valid TFLite model or uses an operator outside this set.
Model parse_tflite(const std::string& bytes, const std::string& origin);

/// Facts about the file itself that parse_tflite does not keep (for tests and `--json`).
struct TfliteFileInfo {
  uint32_t version = 0;
  std::string identifier;  ///< "TFL3"
  struct Code {
    int32_t builtin_code = 0;
    int8_t deprecated_builtin_code = 0;
    int version = 1;
  };
  std::vector<Code> operator_codes;
  size_t buffers = 0;
  bool buffer0_empty = false;
  bool buffers_aligned = false;  ///< every non-empty buffer starts at a multiple of 16 in the file
};
TfliteFileInfo inspect_tflite(const std::string& bytes, const std::string& origin);

}  // namespace nasctl::exporter
