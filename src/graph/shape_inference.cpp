#include "graph/shape_inference.h"

#include "nasctl/core/error.h"

namespace nasctl::graph {
namespace {

[[noreturn]] void fail(const Node& n, const std::string& message) {
  throw Error("node '" + n.id + "' (" + op_name(n.op) + "): " + message);
}

void expect_inputs(const Node& n, size_t min, size_t max) {
  size_t got = n.input_shapes.size();
  if (got < min || got > max) {
    std::string want = min == max ? std::to_string(min) : std::to_string(min) + ".." + std::to_string(max);
    fail(n, "takes " + want + " input(s), but got " + std::to_string(got));
  }
}

void expect_positive(const Node& n, const char* key, int value) {
  if (value <= 0) fail(n, std::string(key) + " must be > 0, but got " + std::to_string(value));
  if (value > kMaxDim) fail(n, std::string(key) + " must be at most " + std::to_string(kMaxDim) + ", but got " + std::to_string(value));
}

// a * b, or an Error naming the node when the count would not fit in 64 bits.
int64_t count_mul(const Node& n, int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) fail(n, "its counts (MACs, parameters) overflow 64 bits");
  return out;
}

// The output computed in 64 bits, checked against the limits before it narrows to a Shape.
Shape checked_shape(const Node& n, int64_t h, int64_t w, int64_t c) {
  std::string text = std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c);
  if (h < 1 || w < 1 || c < 1 || h > kMaxDim || w > kMaxDim) {
    fail(n, "output " + text + " must have positive dimensions, height and width at most " + std::to_string(kMaxDim));
  }
  // h * w fits (both <= 2^24); then both factors are <= 2^31.
  if (h * w > kMaxTensorElements || c > kMaxTensorElements || h * w * c > kMaxTensorElements) {
    fail(n, "output " + text + " has more than " + std::to_string(kMaxTensorElements) + " elements");
  }
  return {int(h), int(w), int(c)};
}

Shape window_shape(const Node& n, const Shape& in, int channels) {
  expect_positive(n, "kernel", std::min(n.kernel_h, n.kernel_w));
  expect_positive(n, "stride", std::min(n.stride_h, n.stride_w));
  if (n.padding == Padding::kValid && (n.kernel_h > in.h || n.kernel_w > in.w)) {
    fail(n, "window " + std::to_string(n.kernel_h) + "x" + std::to_string(n.kernel_w) +
                " is larger than its valid-padded input " + in.str());
  }
  return checked_shape(n, window_output(in.h, n.kernel_h, n.stride_h, n.padding),
                       window_output(in.w, n.kernel_w, n.stride_w, n.padding), channels);
}

void count_conv(Node& n, const Shape& in) {
  int64_t per_output = count_mul(n, count_mul(n, n.kernel_h, n.kernel_w), in.c / n.groups);
  n.macs = count_mul(n, n.output.elements(), per_output);
  n.weight_params = count_mul(n, per_output, n.filters);
  n.params = n.weight_params + (n.bias ? n.filters : 0);
  n.param_bytes_int8 = n.weight_params + (n.bias ? 4 * int64_t(n.filters) : 0);
}

void infer_conv(Node& n) {
  expect_inputs(n, 1, 1);
  const Shape& in = n.input_shapes[0];
  if (n.op == Op::kDepthwiseConv2d) {
    if (n.filters == 0) n.filters = in.c;
    n.groups = in.c;
  }
  expect_positive(n, "filters", n.filters);
  expect_positive(n, "groups", n.groups);
  if (in.c % n.groups != 0) {
    fail(n, "input channels " + std::to_string(in.c) + " are not divisible by groups " + std::to_string(n.groups));
  }
  if (n.filters % n.groups != 0) {
    fail(n, "filters " + std::to_string(n.filters) + " are not divisible by groups " + std::to_string(n.groups));
  }
  if (n.op == Op::kConv2d && n.groups > 1 && n.groups == in.c) n.op = Op::kDepthwiseConv2d;
  n.output = window_shape(n, in, n.filters);
  count_conv(n, in);
}

void infer_same_shape_inputs(Node& n) {
  expect_inputs(n, 2, 64);
  for (size_t i = 1; i < n.input_shapes.size(); ++i) {
    if (n.input_shapes[i] != n.input_shapes[0]) {
      fail(n, "input '" + n.inputs[i] + "' has shape " + n.input_shapes[i].str() + ", but input '" + n.inputs[0] +
                  "' has " + n.input_shapes[0].str());
    }
  }
  n.output = n.input_shapes[0];
}

void infer_mul(Node& n) {
  expect_inputs(n, 2, 2);
  const Shape& x = n.input_shapes[0];
  const Shape& s = n.input_shapes[1];
  bool broadcast = s.h == 1 && s.w == 1 && s.c == x.c;
  if (s != x && !broadcast) {
    fail(n, "second input '" + n.inputs[1] + "' must have shape " + x.str() + " or 1x1x" + std::to_string(x.c) +
                ", but got " + s.str());
  }
  n.output = x;
}

void infer_concat(Node& n) {
  expect_inputs(n, 1, 1024);
  Shape out = n.input_shapes[0];
  for (size_t i = 1; i < n.input_shapes.size(); ++i) {
    const Shape& s = n.input_shapes[i];
    if (s.h != out.h || s.w != out.w) {
      fail(n, "input '" + n.inputs[i] + "' is " + s.str() + ", but concat along channels needs " +
                  std::to_string(out.h) + "x" + std::to_string(out.w));
    }
    out.c += s.c;
    if (out.c > kMaxDim) checked_shape(n, out.h, out.w, int64_t(out.c));  // fails before out.c can wrap
  }
  n.output = out;
}

void infer_fully_connected(Node& n) {
  expect_inputs(n, 1, 1);
  expect_positive(n, "units", n.units);
  int64_t in = n.input_shapes[0].elements();
  n.output = checked_shape(n, 1, 1, n.units);
  n.macs = count_mul(n, in, n.units);
  n.weight_params = n.macs;
  n.params = n.weight_params + (n.bias ? n.units : 0);
  n.param_bytes_int8 = n.weight_params + (n.bias ? 4 * int64_t(n.units) : 0);
}

void infer_reshape(Node& n) {
  expect_inputs(n, 1, 1);
  const Shape& in = n.input_shapes[0];
  if (n.target.h == 0 && n.target.w == 0 && n.target.c == 0) {  // flatten
    n.output = {1, 1, static_cast<int>(in.elements())};
    return;
  }
  if (n.target.h <= 0 || n.target.w <= 0 || n.target.c <= 0) fail(n, "shape must be positive, but got " + n.target.str());
  if (n.target.elements() != in.elements()) {
    fail(n, "shape " + n.target.str() + " has " + std::to_string(n.target.elements()) + " elements, but the input " +
                in.str() + " has " + std::to_string(in.elements()));
  }
  n.output = n.target;
}

void infer_pad(Node& n) {
  expect_inputs(n, 1, 1);
  if (n.pad_top < 0 || n.pad_bottom < 0 || n.pad_left < 0 || n.pad_right < 0) fail(n, "pads must be >= 0");
  const Shape& in = n.input_shapes[0];
  n.output = checked_shape(n, int64_t(in.h) + n.pad_top + n.pad_bottom, int64_t(in.w) + n.pad_left + n.pad_right, in.c);
}

}  // namespace

int64_t window_output(int64_t in, int64_t kernel, int64_t stride, Padding padding) {
  if (padding == Padding::kSame) return (in + stride - 1) / stride;
  return (in - kernel) / stride + 1;
}

void infer_node(Node& n) {
  n.macs = n.params = n.weight_params = n.param_bytes_int8 = 0;
  switch (n.op) {
    case Op::kConv2d:
    case Op::kDepthwiseConv2d:
      infer_conv(n);
      break;
    case Op::kBatchNorm:
      expect_inputs(n, 1, 1);
      if (n.epsilon <= 0) fail(n, "epsilon must be > 0, but got " + std::to_string(n.epsilon));
      n.output = n.input_shapes[0];
      n.params = 2 * int64_t(n.output.c);
      n.param_bytes_int8 = 4 * int64_t(n.output.c);  // folded: becomes an int32 bias (or scale + offset)
      break;
    case Op::kActivation:
      expect_inputs(n, 1, 1);
      if (n.activation == Activation::kNone) fail(n, "activation must name a function, but got \"none\"");
      n.output = n.input_shapes[0];
      break;
    case Op::kAdd:
      infer_same_shape_inputs(n);
      break;
    case Op::kMul:
      infer_mul(n);
      break;
    case Op::kConcat:
      infer_concat(n);
      break;
    case Op::kMaxPool2d:
    case Op::kAvgPool2d:
      expect_inputs(n, 1, 1);
      n.output = window_shape(n, n.input_shapes[0], n.input_shapes[0].c);
      break;
    case Op::kGlobalAvgPool:
      expect_inputs(n, 1, 1);
      n.output = {1, 1, n.input_shapes[0].c};
      break;
    case Op::kFullyConnected:
      infer_fully_connected(n);
      break;
    case Op::kReshape:
      infer_reshape(n);
      break;
    case Op::kPad:
      infer_pad(n);
      break;
    case Op::kSoftmax:
      expect_inputs(n, 1, 1);
      n.output = n.input_shapes[0];
      break;
    case Op::kChannelShuffle:
      expect_inputs(n, 1, 1);
      expect_positive(n, "groups", n.groups);
      if (n.input_shapes[0].c % n.groups != 0) {
        fail(n, "channels " + std::to_string(n.input_shapes[0].c) + " are not divisible by groups " +
                    std::to_string(n.groups));
      }
      n.output = n.input_shapes[0];
      break;
  }
  checked_shape(n, n.output.h, n.output.w, n.output.c);
  n.activation_bytes = n.output.elements();
}

}  // namespace nasctl::graph
