#include "nasctl/graph/graph.h"

#include <algorithm>
#include <queue>
#include <unordered_map>

#include "graph/shape_inference.h"
#include "nasctl/core/error.h"

namespace nasctl::graph {

std::string Shape::str() const { return std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c); }

namespace {

struct OpEntry {
  Op op;
  const char* name;
};
constexpr OpEntry kOps[] = {
    {Op::kConv2d, "conv2d"},          {Op::kDepthwiseConv2d, "depthwise_conv2d"},
    {Op::kBatchNorm, "batch_norm"},   {Op::kActivation, "activation"},
    {Op::kAdd, "add"},                {Op::kMul, "mul"},
    {Op::kConcat, "concat"},          {Op::kMaxPool2d, "max_pool2d"},
    {Op::kAvgPool2d, "avg_pool2d"},   {Op::kGlobalAvgPool, "global_avg_pool"},
    {Op::kFullyConnected, "fully_connected"}, {Op::kReshape, "reshape"},
    {Op::kPad, "pad"},                {Op::kSoftmax, "softmax"},
    {Op::kChannelShuffle, "channel_shuffle"},
};

struct ActivationEntry {
  Activation activation;
  const char* name;
};
constexpr ActivationEntry kActivations[] = {
    {Activation::kNone, "none"},           {Activation::kRelu, "relu"},
    {Activation::kRelu6, "relu6"},         {Activation::kHardSwish, "hard_swish"},
    {Activation::kHardSigmoid, "hard_sigmoid"}, {Activation::kSigmoid, "sigmoid"},
    {Activation::kSwish, "swish"},
};

template <typename Table>
std::string known_names(const Table& table) {
  std::string out;
  for (const auto& e : table) out += (out.empty() ? "" : ", ") + std::string(e.name);
  return out;
}

}  // namespace

const char* op_name(Op op) {
  for (const auto& e : kOps) {
    if (e.op == op) return e.name;
  }
  return "?";
}

const char* activation_name(Activation a) {
  for (const auto& e : kActivations) {
    if (e.activation == a) return e.name;
  }
  return "?";
}

const char* padding_name(Padding p) { return p == Padding::kSame ? "same" : "valid"; }

Op parse_op(const std::string& name, const std::string& where) {
  for (const auto& e : kOps) {
    if (name == e.name) return e.op;
  }
  if (name == "flatten") return Op::kReshape;
  throw Error(where + " must be one of " + known_names(kOps) + ", flatten, but got \"" + name + "\"");
}

Activation parse_activation(const std::string& name, const std::string& where) {
  for (const auto& e : kActivations) {
    if (name == e.name) return e.activation;
  }
  if (name == "linear" || name == "identity") return Activation::kNone;
  throw Error(where + " must be one of " + known_names(kActivations) + ", but got \"" + name + "\"");
}

Padding parse_padding(const std::string& name, const std::string& where) {
  if (name == "same") return Padding::kSame;
  if (name == "valid") return Padding::kValid;
  throw Error(where + " must be \"same\" or \"valid\", but got \"" + name + "\"");
}

int Node::same_pad_top() const {
  return padding == Padding::kSame ? (kernel_h - 1) / 2 : 0;
}
int Node::same_pad_left() const {
  return padding == Padding::kSame ? (kernel_w - 1) / 2 : 0;
}

int Graph::find(const std::string& id) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

const Node& Graph::node(const std::string& id) const {
  int index = find(id);
  if (index < 0) throw Error("graph '" + name + "': no node '" + id + "'");
  return nodes[index];
}

namespace {

// Ids name weights (checkpoints, GraphNet submodules), so they are one printable token without '.'.
void check_node_id(const std::string& graph_name, const std::string& id) {
  constexpr size_t kMaxIdLength = 256;
  bool printable = std::none_of(id.begin(), id.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '.';
  });
  if (printable && id.size() <= kMaxIdLength) return;
  std::string shown = id.size() > 40 ? id.substr(0, 40) + "..." : id;
  for (char& c : shown) c = static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  throw Error("graph '" + graph_name + "': node id \"" + shown + "\" must be at most " + std::to_string(kMaxIdLength) +
              " characters without '.', spaces or control characters");
}

// Orders nodes so that producers come first, keeping the given order where it already is valid.
std::vector<Node> topological_order(const std::string& graph_name, std::vector<Node> nodes) {
  std::unordered_map<std::string, int> index;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    if (n.id.empty()) throw Error("graph '" + graph_name + "': node #" + std::to_string(i) + " has an empty id");
    if (n.id == "input") throw Error("graph '" + graph_name + "': node id 'input' is reserved for the network input");
    check_node_id(graph_name, n.id);
    if (!index.emplace(n.id, static_cast<int>(i)).second) {
      throw Error("graph '" + graph_name + "': node id '" + n.id + "' is used twice");
    }
  }
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<int>> consumers(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].inputs.empty()) {
      throw Error("graph '" + graph_name + "': node '" + nodes[i].id + "' (" + op_name(nodes[i].op) + ") has no inputs");
    }
    for (const std::string& in : nodes[i].inputs) {
      if (in == "input") continue;
      auto it = index.find(in);
      if (it == index.end()) {
        throw Error("graph '" + graph_name + "': node '" + nodes[i].id + "' has unknown input '" + in + "'");
      }
      ++pending[i];
      consumers[it->second].push_back(static_cast<int>(i));
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (pending[i] == 0) ready.push(static_cast<int>(i));
  }
  std::vector<Node> ordered;
  ordered.reserve(nodes.size());
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    for (int consumer : consumers[i]) {
      if (--pending[consumer] == 0) ready.push(consumer);
    }
    ordered.push_back(std::move(nodes[i]));
  }
  if (ordered.size() != nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (pending[i] > 0) throw Error("graph '" + graph_name + "': cycle through node '" + nodes[i].id + "'");
    }
  }
  return ordered;
}

}  // namespace

void Graph::finalize() {
  if (input.h <= 0 || input.w <= 0 || input.c <= 0) {
    throw Error("graph '" + name + "': input shape must be positive, but got " + input.str());
  }
  if (input.h > kMaxDim || input.w > kMaxDim || input.c > kMaxDim ||
      int64_t(input.h) * input.w > kMaxTensorElements || input.elements() > kMaxTensorElements) {
    throw Error("graph '" + name + "': input " + input.str() + " is too large (each dimension at most " +
                std::to_string(kMaxDim) + ", at most " + std::to_string(kMaxTensorElements) + " elements)");
  }
  nodes = topological_order(name, std::move(nodes));
  std::unordered_map<std::string, int> index;
  for (size_t i = 0; i < nodes.size(); ++i) index[nodes[i].id] = static_cast<int>(i);
  for (Node& n : nodes) {
    n.input_index.clear();
    n.input_shapes.clear();
    for (const std::string& in : n.inputs) {
      int producer = in == "input" ? kGraphInput : index.at(in);
      n.input_index.push_back(producer);
      n.input_shapes.push_back(producer == kGraphInput ? input : nodes[producer].output);
    }
    infer_node(n);
  }
  if (outputs.empty()) throw Error("graph '" + name + "': no outputs");
  for (const std::string& out : outputs) {
    if (!index.count(out)) throw Error("graph '" + name + "': output '" + out + "' is not a node");
  }
  finalized_ = true;
}

std::vector<int> Graph::output_indices() const {
  std::vector<int> out;
  for (const std::string& id : outputs) out.push_back(find(id));
  return out;
}

Shape Graph::output_shape() const {
  if (outputs.empty()) throw Error("graph '" + name + "': no outputs");
  return node(outputs.front()).output;
}

GraphStats Graph::stats() const {
  GraphStats s;
  for (const Node& n : nodes) {
    s.macs += n.macs;
    s.params += n.params;
    s.param_bytes_int8 += n.param_bytes_int8;
    s.activation_bytes += n.activation_bytes;
    int64_t live = n.activation_bytes;
    for (const Shape& in : n.input_shapes) live += in.elements();
    s.peak_activation_bytes = std::max(s.peak_activation_bytes, live);
  }
  return s;
}

}  // namespace nasctl::graph
