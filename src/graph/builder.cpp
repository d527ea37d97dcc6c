#include "nasctl/graph/builder.h"

#include "graph/shape_inference.h"
#include "nasctl/core/error.h"

namespace nasctl::graph {

GraphBuilder::GraphBuilder(std::string name, Shape input) {
  graph_.name = std::move(name);
  graph_.input = input;
}

std::string GraphBuilder::unique_id(const std::string& prefix) {
  if (exact_ids_) {
    if (prefix == kInput || shapes_.count(prefix)) {
      throw Error("graph builder '" + graph_.name + "': node id '" + prefix + "' is " +
                  (prefix == kInput ? "reserved for the network input" : "used twice"));
    }
    return prefix;
  }
  // ids read like "conv_12": a per-builder counter keeps them unique and ordered.
  return prefix + "_" + std::to_string(counter_++);
}

std::string GraphBuilder::add_node(Node node) {
  node.id = unique_id(node.id.empty() ? op_name(node.op) : node.id);
  // Infer as we go: errors surface at the call that made them, and channels() is a lookup.
  Node probe = node;
  for (const std::string& in : probe.inputs) probe.input_shapes.push_back(shape(in));
  infer_node(probe);
  shapes_[node.id] = probe.output;
  graph_.nodes.push_back(std::move(node));
  return graph_.nodes.back().id;
}

Shape GraphBuilder::shape(const std::string& x) const {
  if (x == kInput) return graph_.input;
  auto it = shapes_.find(x);
  if (it == shapes_.end()) throw Error("graph builder '" + graph_.name + "': no tensor '" + x + "'");
  return it->second;
}

int GraphBuilder::channels(const std::string& x) const { return shape(x).c; }

std::string GraphBuilder::conv(const std::string& x, int filters, int kernel, int stride, Activation act, Padding pad,
                               int groups, bool bias, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kConv2d;
  n.inputs = {x};
  n.filters = filters;
  n.kernel_h = n.kernel_w = kernel;
  n.stride_h = n.stride_w = stride;
  n.padding = pad;
  n.groups = groups;
  n.bias = bias;
  n.activation = act;
  return add_node(std::move(n));
}

std::string GraphBuilder::conv_hw(const std::string& x, int filters, int kernel_h, int kernel_w, int stride_h,
                                  int stride_w, Activation act, Padding pad, bool bias, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kConv2d;
  n.inputs = {x};
  n.filters = filters;
  n.kernel_h = kernel_h;
  n.kernel_w = kernel_w;
  n.stride_h = stride_h;
  n.stride_w = stride_w;
  n.padding = pad;
  n.bias = bias;
  n.activation = act;
  return add_node(std::move(n));
}

std::string GraphBuilder::depthwise(const std::string& x, int kernel, int stride, Activation act, Padding pad,
                                    int multiplier, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kDepthwiseConv2d;
  n.inputs = {x};
  n.filters = channels(x) * multiplier;
  n.kernel_h = n.kernel_w = kernel;
  n.stride_h = n.stride_w = stride;
  n.padding = pad;
  n.activation = act;
  return add_node(std::move(n));
}

std::string GraphBuilder::batch_norm(const std::string& x, Activation act, double epsilon, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kBatchNorm;
  n.inputs = {x};
  n.activation = act;
  n.epsilon = epsilon;
  return add_node(std::move(n));
}

std::string GraphBuilder::conv_bn(const std::string& x, int filters, int kernel, int stride, Activation act, int groups,
                                  const std::string& prefix) {
  std::string c = conv(x, filters, kernel, stride, Activation::kNone, Padding::kSame, groups, false, prefix);
  return batch_norm(c, act);
}

std::string GraphBuilder::depthwise_bn(const std::string& x, int kernel, int stride, Activation act,
                                       const std::string& prefix) {
  return batch_norm(depthwise(x, kernel, stride, Activation::kNone, Padding::kSame, 1, prefix), act);
}

std::string GraphBuilder::activation(const std::string& x, Activation act, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kActivation;
  n.inputs = {x};
  n.activation = act;
  return add_node(std::move(n));
}

std::string GraphBuilder::add(const std::vector<std::string>& xs, Activation act, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kAdd;
  n.inputs = xs;
  n.activation = act;
  return add_node(std::move(n));
}

std::string GraphBuilder::mul(const std::string& x, const std::string& scale, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kMul;
  n.inputs = {x, scale};
  return add_node(std::move(n));
}

std::string GraphBuilder::concat(const std::vector<std::string>& xs, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kConcat;
  n.inputs = xs;
  return add_node(std::move(n));
}

namespace {
Node pool_node(Op op, const std::string& x, int kernel, int stride, Padding pad, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = op;
  n.inputs = {x};
  n.kernel_h = n.kernel_w = kernel;
  n.stride_h = n.stride_w = stride;
  n.padding = pad;
  return n;
}
}  // namespace

std::string GraphBuilder::max_pool(const std::string& x, int kernel, int stride, Padding pad, const std::string& prefix) {
  return add_node(pool_node(Op::kMaxPool2d, x, kernel, stride, pad, prefix));
}

std::string GraphBuilder::avg_pool(const std::string& x, int kernel, int stride, Padding pad, const std::string& prefix) {
  return add_node(pool_node(Op::kAvgPool2d, x, kernel, stride, pad, prefix));
}

std::string GraphBuilder::global_avg_pool(const std::string& x, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kGlobalAvgPool;
  n.inputs = {x};
  return add_node(std::move(n));
}

std::string GraphBuilder::fully_connected(const std::string& x, int units, Activation act, bool bias,
                                          const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kFullyConnected;
  n.inputs = {x};
  n.units = units;
  n.activation = act;
  n.bias = bias;
  return add_node(std::move(n));
}

std::string GraphBuilder::flatten(const std::string& x, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kReshape;
  n.inputs = {x};
  return add_node(std::move(n));
}

std::string GraphBuilder::reshape(const std::string& x, Shape target, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kReshape;
  n.inputs = {x};
  n.target = target;
  return add_node(std::move(n));
}

std::string GraphBuilder::pad(const std::string& x, int top, int bottom, int left, int right, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kPad;
  n.inputs = {x};
  n.pad_top = top;
  n.pad_bottom = bottom;
  n.pad_left = left;
  n.pad_right = right;
  return add_node(std::move(n));
}

std::string GraphBuilder::softmax(const std::string& x, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kSoftmax;
  n.inputs = {x};
  return add_node(std::move(n));
}

std::string GraphBuilder::channel_shuffle(const std::string& x, int groups, const std::string& prefix) {
  Node n;
  n.id = prefix;
  n.op = Op::kChannelShuffle;
  n.inputs = {x};
  n.groups = groups;
  return add_node(std::move(n));
}

Graph GraphBuilder::build(const std::vector<std::string>& outputs) {
  Graph g = graph_;
  g.outputs = outputs;
  g.finalize();
  return g;
}

}  // namespace nasctl::graph
