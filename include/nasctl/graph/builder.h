#pragma once
/// GraphBuilder: a fluent way to write networks in C++ (the zoo, ArchSpec lowering). Each call
/// adds a node, gives it a unique id from `prefix`, and returns that id.

#include <string>
#include <unordered_map>
#include <vector>

#include "nasctl/graph/graph.h"

namespace nasctl::graph {

class GraphBuilder {
 public:
  GraphBuilder(std::string name, Shape input);

  /// Input id to pass to the first op.
  static constexpr const char* kInput = "input";

  /// With exact ids on, each `prefix` is used as the node id as given (no "_N" suffix) and a
  /// repeated id throws; for callers whose ids must not depend on what came before, such as
  /// ArchSpec lowering (the supernet and checkpoints address weights by node id). Default off.
  void set_exact_ids(bool exact) { exact_ids_ = exact; }

  std::string conv(const std::string& x, int filters, int kernel, int stride = 1,
                   Activation act = Activation::kNone, Padding pad = Padding::kSame, int groups = 1,
                   bool bias = false, const std::string& prefix = "conv");
  /// Non-square kernels and strides (Inception's 1x7 / 7x1).
  std::string conv_hw(const std::string& x, int filters, int kernel_h, int kernel_w, int stride_h, int stride_w,
                      Activation act, Padding pad, bool bias, const std::string& prefix = "conv");
  std::string depthwise(const std::string& x, int kernel, int stride = 1, Activation act = Activation::kNone,
                        Padding pad = Padding::kSame, int multiplier = 1, const std::string& prefix = "dw");
  std::string batch_norm(const std::string& x, Activation act = Activation::kNone, double epsilon = 1e-5,
                         const std::string& prefix = "bn");
  /// conv (no bias) + batch_norm with fused activation: the usual block.
  std::string conv_bn(const std::string& x, int filters, int kernel, int stride, Activation act,
                      int groups = 1, const std::string& prefix = "conv");
  std::string depthwise_bn(const std::string& x, int kernel, int stride, Activation act,
                           const std::string& prefix = "dw");
  std::string activation(const std::string& x, Activation act, const std::string& prefix = "act");
  std::string add(const std::vector<std::string>& xs, Activation act = Activation::kNone,
                  const std::string& prefix = "add");
  std::string mul(const std::string& x, const std::string& scale, const std::string& prefix = "mul");
  std::string concat(const std::vector<std::string>& xs, const std::string& prefix = "concat");
  std::string max_pool(const std::string& x, int kernel, int stride, Padding pad = Padding::kSame,
                       const std::string& prefix = "maxpool");
  std::string avg_pool(const std::string& x, int kernel, int stride, Padding pad = Padding::kSame,
                       const std::string& prefix = "avgpool");
  std::string global_avg_pool(const std::string& x, const std::string& prefix = "gap");
  std::string fully_connected(const std::string& x, int units, Activation act = Activation::kNone,
                              bool bias = true, const std::string& prefix = "fc");
  std::string flatten(const std::string& x, const std::string& prefix = "flatten");
  std::string reshape(const std::string& x, Shape target, const std::string& prefix = "reshape");
  std::string pad(const std::string& x, int top, int bottom, int left, int right, const std::string& prefix = "pad");
  std::string softmax(const std::string& x, const std::string& prefix = "softmax");
  std::string channel_shuffle(const std::string& x, int groups, const std::string& prefix = "shuffle");

  /// Adds a node as given (its id is made unique from node.id).
  std::string add_node(Node node);
  /// Shape and channels of a tensor added so far.
  Shape shape(const std::string& x) const;
  int channels(const std::string& x) const;

  /// Marks `outputs` and returns the finalized Graph.
  Graph build(const std::vector<std::string>& outputs);
  Graph build(const std::string& output) { return build(std::vector<std::string>{output}); }

 private:
  std::string unique_id(const std::string& prefix);

  Graph graph_;
  std::unordered_map<std::string, Shape> shapes_;
  int counter_ = 0;
  bool exact_ids_ = false;
};

}  // namespace nasctl::graph
