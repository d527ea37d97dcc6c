// LibTorch interpreter of float TFLite models: activations NHWC, weights as TFLite stores them.
#include "nasctl/export/reference.h"

#include "nasctl/core/error.h"

namespace nasctl::exporter {
namespace {

namespace F = torch::nn::functional;

torch::Tensor constant(const Tensor& t) {
  std::vector<int64_t> shape(t.shape.begin(), t.shape.end());
  if (t.type == TensorType::kFloat32) {
    std::vector<float> v = t.floats();
    return torch::from_blob(v.data(), shape, torch::kFloat32).clone();
  }
  if (t.type == TensorType::kInt32) {
    std::vector<int32_t> v = t.ints();
    return torch::from_blob(v.data(), shape, torch::kInt32).to(torch::kInt64);
  }
  throw Error("reference interpreter: constant '" + t.name + "' is " + tensor_type_name(t.type) + ", not float");
}

torch::Tensor activate(torch::Tensor x, FusedActivation a) {
  if (a == FusedActivation::kRelu) return torch::relu(x);
  if (a == FusedActivation::kRelu6) return torch::clamp(x, 0.0, 6.0);
  return x;
}

// TFLite's SAME padding for one axis: total / 2 before, the rest after.
std::pair<int64_t, int64_t> same_pad(int64_t in, int64_t kernel, int64_t stride) {
  int64_t out = (in + stride - 1) / stride;
  int64_t total = std::max<int64_t>((out - 1) * stride + kernel - in, 0);
  return {total / 2, total - total / 2};
}

// x NCHW padded for a window op per `options` (value `fill` in the padding).
torch::Tensor pad_window(const torch::Tensor& x, const OpOptions& o, int64_t kh, int64_t kw, double fill) {
  if (o.padding == TflitePadding::kValid) return x;
  auto [top, bottom] = same_pad(x.size(2), kh, o.stride_h);
  auto [left, right] = same_pad(x.size(3), kw, o.stride_w);
  return F::pad(x, F::PadFuncOptions({left, right, top, bottom}).value(fill));
}

torch::Tensor nchw(const torch::Tensor& x) { return x.permute({0, 3, 1, 2}); }
torch::Tensor nhwc(const torch::Tensor& x) { return x.permute({0, 2, 3, 1}).contiguous(); }

torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& w_ohwi, const torch::Tensor& b, const OpOptions& o,
                   bool depthwise) {
  torch::Tensor w = depthwise ? w_ohwi.permute({3, 0, 1, 2}) : w_ohwi.permute({0, 3, 1, 2});  // -> OIHW
  int64_t groups = depthwise ? x.size(3) : x.size(3) / w_ohwi.size(3);
  torch::Tensor in = pad_window(nchw(x), o, w.size(2), w.size(3), 0.0);
  std::vector<int64_t> stride = {o.stride_h, o.stride_w}, zero = {0, 0}, one = {1, 1};
  torch::Tensor y = torch::conv2d(in, w.contiguous(), b, stride, zero, one, groups);
  return activate(nhwc(y), o.activation);
}

torch::Tensor pool(const torch::Tensor& x, const OpOptions& o, bool max) {
  std::vector<int64_t> k = {o.filter_h, o.filter_w}, s = {o.stride_h, o.stride_w};
  if (max) {
    double lowest = -std::numeric_limits<double>::infinity();
    return activate(nhwc(torch::max_pool2d(pad_window(nchw(x), o, k[0], k[1], lowest), k, s)), o.activation);
  }
  // TFLite averages over the real pixels only: window sums over window counts.
  torch::Tensor sums = torch::avg_pool2d(pad_window(nchw(x), o, k[0], k[1], 0.0), k, s) * double(k[0] * k[1]);
  torch::Tensor ones = torch::ones({1, 1, x.size(1), x.size(2)}, x.options());
  torch::Tensor counts = torch::avg_pool2d(pad_window(ones, o, k[0], k[1], 0.0), k, s) * double(k[0] * k[1]);
  return activate(nhwc(sums / counts), o.activation);
}

std::vector<int64_t> batched(const std::vector<int>& shape, int64_t n) {
  std::vector<int64_t> s(shape.begin(), shape.end());
  if (!s.empty()) s[0] = n;
  return s;
}

}  // namespace

std::vector<torch::Tensor> run_reference(const Model& model, const torch::Tensor& input, const TensorObserver& observe) {
  if (model.inputs.size() != 1) throw Error("reference interpreter: the model must have one input");
  const Tensor& in = model.tensors.at(model.inputs[0]);
  if (in.type != TensorType::kFloat32) throw Error("reference interpreter: only float32 models run");
  std::vector<int64_t> expected = batched(in.shape, input.size(0));
  if (input.sizes().vec() != expected) {
    throw Error("reference interpreter: input has shape " + c10::str(input.sizes()) + ", but the model takes " +
                c10::str(c10::IntArrayRef(expected)));
  }
  const int64_t n = input.size(0);
  std::vector<torch::Tensor> values(model.tensors.size());
  for (size_t i = 0; i < model.tensors.size(); ++i) {
    if (model.tensors[i].is_constant()) values[i] = constant(model.tensors[i]);
  }
  values[model.inputs[0]] = input.to(torch::kFloat32).contiguous();
  if (observe) observe(model.inputs[0], values[model.inputs[0]]);
  // Activations are dropped after their last reader (calibration batches at full resolution would
  // otherwise keep every activation of the network alive at once).
  std::vector<size_t> last_use(model.tensors.size(), model.operators.size());
  for (size_t k = 0; k < model.operators.size(); ++k) {
    for (int t : model.operators[k].inputs) last_use[t] = k;
  }
  for (int t : model.outputs) last_use[t] = model.operators.size();
  for (size_t index = 0; index < model.operators.size(); ++index) {
    const Operator& op = model.operators[index];
    auto release = [&] {
      for (int t : op.inputs) {
        if (last_use[t] == index && !model.tensors[t].is_constant()) values[t] = torch::Tensor();
      }
    };
    auto arg = [&](size_t k) -> const torch::Tensor& { return values.at(op.inputs.at(k)); };
    const OpOptions& o = op.options;
    torch::Tensor y;
    switch (op.op) {
      case BuiltinOp::kConv2d:
      case BuiltinOp::kDepthwiseConv2d:
        y = conv(arg(0), arg(1), op.inputs.size() > 2 ? arg(2) : torch::Tensor(), o,
                 op.op == BuiltinOp::kDepthwiseConv2d);
        break;
      case BuiltinOp::kFullyConnected: {
        const torch::Tensor& w = arg(1);
        y = activate(torch::nn::functional::linear(arg(0).reshape({n, w.size(1)}), w,
                                                   op.inputs.size() > 2 ? arg(2) : torch::Tensor()),
                     o.activation);
        break;
      }
      case BuiltinOp::kAdd: y = activate(arg(0) + arg(1), o.activation); break;
      case BuiltinOp::kMul: y = activate(arg(0) * arg(1), o.activation); break;
      case BuiltinOp::kAveragePool2d: y = pool(arg(0), o, false); break;
      case BuiltinOp::kMaxPool2d: y = pool(arg(0), o, true); break;
      case BuiltinOp::kMean: {
        std::vector<int64_t> axes(arg(1).data_ptr<int64_t>(), arg(1).data_ptr<int64_t>() + arg(1).numel());
        y = arg(0).mean(axes, o.keep_dims);
        break;
      }
      case BuiltinOp::kConcatenation: {
        std::vector<torch::Tensor> xs;
        for (size_t k = 0; k < op.inputs.size(); ++k) xs.push_back(arg(k));
        int64_t axis = o.axis < 0 ? o.axis + xs[0].dim() : o.axis;
        y = activate(torch::cat(xs, axis), o.activation);
        break;
      }
      case BuiltinOp::kReshape:
        y = arg(0).reshape(batched(model.tensors.at(op.outputs[0]).shape, n));
        break;
      case BuiltinOp::kSoftmax: y = torch::softmax(arg(0) * o.beta, -1); break;
      case BuiltinOp::kPad:
      case BuiltinOp::kPadV2: {
        torch::Tensor p = arg(1).reshape({-1}).contiguous();
        const int64_t* pp = p.data_ptr<int64_t>();
        double fill = op.op == BuiltinOp::kPadV2 ? arg(2).item<double>() : 0.0;
        std::vector<int64_t> pads;
        for (int64_t d = arg(1).size(0) - 1; d >= 1; --d) {  // F::pad lists the last dim first
          pads.push_back(pp[2 * d]);
          pads.push_back(pp[2 * d + 1]);
        }
        y = F::pad(arg(0), F::PadFuncOptions(pads).value(fill));
        break;
      }
      case BuiltinOp::kTranspose: {
        std::vector<int64_t> perm(arg(1).data_ptr<int64_t>(), arg(1).data_ptr<int64_t>() + arg(1).numel());
        y = arg(0).permute(perm).contiguous();
        break;
      }
      case BuiltinOp::kSplit: {
        int64_t axis = arg(0).item<int64_t>();
        std::vector<torch::Tensor> parts = arg(1).chunk(o.num_splits, axis);
        for (size_t k = 0; k < parts.size(); ++k) {
          values[op.outputs[k]] = parts[k].contiguous();
          if (observe) observe(op.outputs[k], values[op.outputs[k]]);
        }
        release();
        continue;
      }
      case BuiltinOp::kHardSwish: y = arg(0) * torch::clamp(arg(0) + 3.0, 0.0, 6.0) / 6.0; break;
      case BuiltinOp::kLogistic: y = torch::sigmoid(arg(0)); break;
      case BuiltinOp::kRelu: y = torch::relu(arg(0)); break;
      case BuiltinOp::kRelu6: y = torch::clamp(arg(0), 0.0, 6.0); break;
      case BuiltinOp::kQuantize:
      case BuiltinOp::kDequantize:
        throw Error(std::string("reference interpreter: ") + builtin_op_name(op.op) + " is not a float op");
    }
    values[op.outputs[0]] = y;
    if (observe) observe(op.outputs[0], y);
    release();
  }
  std::vector<torch::Tensor> outputs;
  for (int t : model.outputs) outputs.push_back(values.at(t));
  return outputs;
}

}  // namespace nasctl::exporter
