#pragma once
// Building blocks shared by the zoo networks (implementation-only).

#include <string>

#include "nasctl/graph/builder.h"
#include "nasctl/graph/zoo.h"

namespace nasctl::graph::zoo {

/// Rounds `value` to a multiple of `divisor`, at least `min_value` (default: the divisor), and
/// never more than 10% below `value`: torchvision's _make_divisible, which is also the TPU
/// repository's round_filters.
int make_divisible(double value, int divisor = 8, int min_value = 0);

/// A GraphBuilder that knows the network's input, classes and batch-norm epsilon.
class ZooBuilder : public GraphBuilder {
 public:
  /// `options.input_size` must already be resolved (> 0).
  ZooBuilder(const std::string& name, const ZooOptions& options, double bn_epsilon);

  int classes() const { return classes_; }

  /// conv2d without bias + batch_norm carrying the activation (the usual conv/BN/act unit).
  std::string conv_norm(const std::string& x, int filters, int kernel, int stride, Activation act,
                        Padding pad = Padding::kSame, const std::string& prefix = "conv");
  /// The same with a kernel_h x kernel_w kernel (Inception's 1x7 / 7x1), stride 1, same padding.
  std::string conv_norm_hw(const std::string& x, int filters, int kernel_h, int kernel_w, Activation act,
                           const std::string& prefix = "conv");
  /// depthwise conv without bias + batch_norm carrying the activation.
  std::string depthwise_norm(const std::string& x, int kernel, int stride, Activation act,
                             const std::string& prefix = "dw");
  /// batch_norm with this network's epsilon.
  std::string norm(const std::string& x, Activation act, const std::string& prefix = "bn");
  /// Squeeze-excite: global_avg_pool -> 1x1 conv with bias to `reduced` + relu -> 1x1 conv with bias
  /// back to the channels of `x` + `gate` -> mul(x, scale).
  std::string squeeze_excite(const std::string& x, int reduced, Activation gate, const std::string& prefix = "se");
  /// PyTorch's MaxPool2d(kernel, stride, ceil_mode=True) without padding: the last window may hang
  /// over the bottom/right edge. Emitted as a zero pad there + a valid max pool, which is exact
  /// because every caller pools a ReLU output (>= 0), so a zero never wins over real data.
  std::string ceil_max_pool(const std::string& x, int kernel, int stride, const std::string& prefix = "maxpool");
  /// global_avg_pool -> fully_connected(classes): the classifier head of most networks.
  std::string classifier(const std::string& x);

 private:
  double bn_epsilon_;
  int classes_;
};

}  // namespace nasctl::graph::zoo
