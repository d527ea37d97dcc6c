// Lowering rules for the ops without weights: pools, element-wise ops, reshapes.
#include "export/lowering_impl.h"
#include "nasctl/core/error.h"

namespace nasctl::exporter::detail {

using graph::Activation;
using graph::Node;
using graph::Op;

namespace {

// Number of real (unpadded) input positions under each output window along one axis.
std::vector<int> window_counts(int in, int out, int kernel, int stride, int before) {
  std::vector<int> counts(out);
  for (int o = 0; o < out; ++o) {
    int start = o * stride - before;
    int lo = std::max(start, 0), hi = std::min(start + kernel, in);
    counts[o] = std::max(hi - lo, 0);
  }
  return counts;
}

}  // namespace

void Lowerer::lower_pool(size_t i) {
  const Node& n = graph_.nodes[i];
  const graph::Shape& in = n.input_shapes[0];
  bool max = n.op == Op::kMaxPool2d;
  OpOptions o;
  o.stride_h = n.stride_h;
  o.stride_w = n.stride_w;
  o.filter_h = n.kernel_h;
  o.filter_w = n.kernel_w;
  BuiltinOp op = max ? BuiltinOp::kMaxPool2d : BuiltinOp::kAveragePool2d;
  std::vector<int> out_shape = {1, n.output.h, n.output.w, n.output.c};
  int x = as_4d(input(n, 0));
  nonneg_[i] = input_nonneg(n, 0);
  AxisPad ph = axis_pad(in.h, n.kernel_h, n.stride_h, n.padding);
  AxisPad pw = axis_pad(in.w, n.kernel_w, n.stride_w, n.padding);
  if (ph.tflite_same && pw.tflite_same) {
    // TFLite pools ignore their SAME padding (max of real pixels, average over real pixels), as the
    // Graph defines them.
    o.padding = n.padding == graph::Padding::kSame ? TflitePadding::kSame : TflitePadding::kValid;
    value_[i] = emit(op, {x}, out_shape, n.id, o);
    return;
  }
  o.padding = TflitePadding::kValid;
  int padded = emit_pad(x, ph.before, std::max(ph.after, 0), pw.before, std::max(pw.after, 0), n.id + "/pad",
                        /*lowest=*/max && !nonneg_[i]);
  if (max) {
    value_[i] = emit(op, {padded}, out_shape, n.id, o);
    return;
  }
  // VALID averages divide by the whole window; rescale each position to its count of real pixels.
  int y = emit(op, {padded}, out_shape, n.id + "/sum_over_window", o);
  std::vector<int> ch = window_counts(in.h, n.output.h, n.kernel_h, n.stride_h, ph.before);
  std::vector<int> cw = window_counts(in.w, n.output.w, n.kernel_w, n.stride_w, pw.before);
  std::vector<float> factor;
  for (int a : ch) {
    for (int b : cw) factor.push_back(float(n.kernel_h * n.kernel_w) / float(std::max(a * b, 1)));
  }
  int f = model_.add_float_constant(n.id + "/window_correction", {1, n.output.h, n.output.w, 1}, factor);
  value_[i] = emit(BuiltinOp::kMul, {y, f}, out_shape, n.id);
}

void Lowerer::lower_elementwise(size_t i) {
  const Node& n = graph_.nodes[i];
  std::vector<int> xs;
  bool any_4d = false, all_nonneg = true;
  for (size_t k = 0; k < n.input_index.size(); ++k) {
    xs.push_back(input(n, k));
    any_4d = any_4d || shape(xs.back()).size() == 4;
    all_nonneg = all_nonneg && input_nonneg(n, k);
  }
  if (any_4d) {
    for (int& x : xs) x = as_4d(x);
  }
  const std::vector<int> s0 = shape(xs[0]);
  switch (n.op) {
    case Op::kActivation:
      value_[i] = emit_activation(xs[0], n.activation, n.id);
      nonneg_[i] = produces_nonneg(n.activation);
      return;
    case Op::kAdd: {
      OpOptions last;
      last.activation = fused_part(n.activation);
      bool tail = n.activation != Activation::kNone && last.activation == FusedActivation::kNone;
      int sum = xs[0];
      for (size_t k = 1; k < xs.size(); ++k) {
        bool final = k + 1 == xs.size();
        std::string name = final ? (tail ? n.id + "/sum" : n.id) : n.id + "/partial" + std::to_string(k);
        sum = emit(BuiltinOp::kAdd, {sum, xs[k]}, s0, name, final ? last : OpOptions{});
      }
      value_[i] = tail ? emit_activation(sum, n.activation, n.id) : sum;
      nonneg_[i] = produces_nonneg(n.activation) || all_nonneg;
      return;
    }
    case Op::kMul:
      value_[i] = emit(BuiltinOp::kMul, {xs[0], xs[1]}, s0, n.id);
      nonneg_[i] = all_nonneg;
      return;
    case Op::kConcat: {
      if (xs.size() == 1) {
        value_[i] = xs[0];
        nonneg_[i] = all_nonneg;
        return;
      }
      std::vector<int> out = s0;
      out.back() = n.output.c;
      OpOptions o;
      o.axis = static_cast<int>(out.size()) - 1;
      value_[i] = emit(BuiltinOp::kConcatenation, xs, out, n.id, o);
      nonneg_[i] = all_nonneg;
      return;
    }
    case Op::kSoftmax: {
      OpOptions o;
      o.beta = 1.0f;
      value_[i] = emit(BuiltinOp::kSoftmax, {xs[0]}, s0, n.id, o);
      nonneg_[i] = true;
      return;
    }
    case Op::kGlobalAvgPool: {
      int x = as_4d(xs[0]);
      int axes = model_.add_int32_constant(n.id + "/axes", {2}, {1, 2});
      OpOptions o;
      o.keep_dims = true;
      value_[i] = emit(BuiltinOp::kMean, {x, axes}, {1, 1, 1, n.output.c}, n.id, o);
      nonneg_[i] = all_nonneg;
      return;
    }
    case Op::kPad: {
      int x = as_4d(xs[0]);
      value_[i] = emit_pad(x, n.pad_top, n.pad_bottom, n.pad_left, n.pad_right, n.id);  // x itself when all 0
      nonneg_[i] = all_nonneg;
      return;
    }
    default:
      throw no_lowering(n);
  }
}

void Lowerer::lower_reshape(size_t i) {
  const Node& n = graph_.nodes[i];
  std::vector<int> target = n.output.h == 1 && n.output.w == 1 ? std::vector<int>{1, n.output.c}
                                                                : std::vector<int>{1, n.output.h, n.output.w, n.output.c};
  int dims = model_.add_int32_constant(n.id + "/shape", {static_cast<int>(target.size())}, target);
  OpOptions o;
  o.new_shape = target;
  value_[i] = emit(BuiltinOp::kReshape, {input(n, 0), dims}, target, n.id, o);
  nonneg_[i] = input_nonneg(n, 0);
}

void Lowerer::lower_channel_shuffle(size_t i) {
  // PyTorch's view(N, g, C/g, H, W).transpose(1, 2) in NHWC: [1, HW, g, C/g] -> [1, HW, C/g, g].
  const Node& n = graph_.nodes[i];
  const graph::Shape& s = n.output;
  int g = n.groups;
  int x = as_4d(input(n, 0));
  std::vector<int> grouped = {1, s.h * s.w, g, s.c / g}, swapped = {1, s.h * s.w, s.c / g, g};
  std::vector<int> back = {1, s.h, s.w, s.c};
  OpOptions o1, o3;
  o1.new_shape = grouped;
  o3.new_shape = back;
  int a = emit(BuiltinOp::kReshape, {x, model_.add_int32_constant(n.id + "/grouped_shape", {4}, grouped)}, grouped,
               n.id + "/grouped", o1);
  int b = emit(BuiltinOp::kTranspose, {a, model_.add_int32_constant(n.id + "/perm", {4}, {0, 1, 3, 2})}, swapped,
               n.id + "/transposed");
  value_[i] = emit(BuiltinOp::kReshape, {b, model_.add_int32_constant(n.id + "/shape", {4}, back)}, back, n.id, o3);
  nonneg_[i] = input_nonneg(n, 0);
}

}  // namespace nasctl::exporter::detail
