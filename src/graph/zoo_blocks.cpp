#include "graph/zoo_blocks.h"

#include <algorithm>

namespace nasctl::graph::zoo {

int make_divisible(double value, int divisor, int min_value) {
  if (min_value <= 0) min_value = divisor;
  int rounded = std::max(min_value, static_cast<int>(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;  // rounding down must not remove more than 10%
  return rounded;
}

ZooBuilder::ZooBuilder(const std::string& name, const ZooOptions& options, double bn_epsilon)
    : GraphBuilder(name, Shape{options.input_size, options.input_size, options.channels}),
      bn_epsilon_(bn_epsilon),
      classes_(options.classes) {}

std::string ZooBuilder::conv_norm(const std::string& x, int filters, int kernel, int stride, Activation act,
                                  Padding pad, const std::string& prefix) {
  return norm(conv(x, filters, kernel, stride, Activation::kNone, pad, 1, false, prefix), act, prefix + "_bn");
}

std::string ZooBuilder::conv_norm_hw(const std::string& x, int filters, int kernel_h, int kernel_w, Activation act,
                                     const std::string& prefix) {
  std::string c = conv_hw(x, filters, kernel_h, kernel_w, 1, 1, Activation::kNone, Padding::kSame, false, prefix);
  return norm(c, act, prefix + "_bn");
}

std::string ZooBuilder::depthwise_norm(const std::string& x, int kernel, int stride, Activation act,
                                       const std::string& prefix) {
  return norm(depthwise(x, kernel, stride, Activation::kNone, Padding::kSame, 1, prefix), act, prefix + "_bn");
}

std::string ZooBuilder::norm(const std::string& x, Activation act, const std::string& prefix) {
  return batch_norm(x, act, bn_epsilon_, prefix);
}

std::string ZooBuilder::squeeze_excite(const std::string& x, int reduced, Activation gate, const std::string& prefix) {
  std::string s = global_avg_pool(x, prefix + "_pool");
  s = conv(s, reduced, 1, 1, Activation::kRelu, Padding::kSame, 1, true, prefix + "_reduce");
  s = conv(s, channels(x), 1, 1, gate, Padding::kSame, 1, true, prefix + "_expand");
  return mul(x, s, prefix + "_scale");
}

std::string ZooBuilder::ceil_max_pool(const std::string& x, int kernel, int stride, const std::string& prefix) {
  Shape in = shape(x);
  // PyTorch's ceil mode: out = ceil((in - kernel) / stride) + 1, less one if the last window would
  // start beyond the input. A window may hang over the edge even where the input is smaller than
  // the kernel. Returns what the last window needs beyond the edge.
  auto overhang = [&](int size) {
    int span = size - kernel;
    int out = (span >= 0 ? (span + stride - 1) / stride : -(-span / stride)) + 1;
    if (out >= 1 && (out - 1) * stride >= size) --out;
    if (out < 1) return 0;  // no window fits: the valid pool below reports the too-small input
    return (out - 1) * stride + kernel - size;
  };
  int bottom = overhang(in.h);
  int right = overhang(in.w);
  std::string padded = bottom > 0 || right > 0 ? pad(x, 0, bottom, 0, right, prefix + "_pad") : x;
  return max_pool(padded, kernel, stride, Padding::kValid, prefix);
}

std::string ZooBuilder::classifier(const std::string& x) {
  return fully_connected(global_avg_pool(x, "gap"), classes_, Activation::kNone, true, "logits");
}

}  // namespace nasctl::graph::zoo
