#include "nasctl/graph/graph_json.h"

#include <unordered_map>

#include "nasctl/core/error.h"

namespace nasctl::graph {
namespace {

// Keys each op accepts besides "id", "op", "inputs".
std::vector<std::string> op_keys(Op op) {
  switch (op) {
    case Op::kConv2d: return {"filters", "kernel", "stride", "padding", "groups", "bias", "activation"};
    case Op::kDepthwiseConv2d: return {"filters", "depth_multiplier", "kernel", "stride", "padding", "bias", "activation"};
    case Op::kBatchNorm: return {"epsilon", "activation"};
    case Op::kActivation: return {"activation"};
    case Op::kAdd: return {"activation"};
    case Op::kMaxPool2d:
    case Op::kAvgPool2d: return {"kernel", "stride", "padding"};
    case Op::kFullyConnected: return {"units", "bias", "activation"};
    case Op::kReshape: return {"shape"};
    case Op::kPad: return {"pads"};
    case Op::kChannelShuffle: return {"groups"};
    case Op::kMul:
    case Op::kConcat:
    case Op::kGlobalAvgPool:
    case Op::kSoftmax: return {};
  }
  return {};
}

void check_node_keys(const JsonView& v, Op op) {
  std::vector<std::string> keys = op_keys(op);
  keys.insert(keys.end(), {"id", "op", "inputs"});
  for (auto it = v.raw().begin(); it != v.raw().end(); ++it) {
    bool known = false;
    for (const std::string& k : keys) known = known || k == it.key();
    if (!known) {
      std::string list;
      for (const std::string& k : keys) list += (list.empty() ? "" : ", ") + k;
      throw Error(v.path(it.key()) + " is not a field of " + op_name(op) + " (fields: " + list + ")");
    }
  }
}

// "kernel": 3 or [1, 7].
void read_pair(const JsonView& v, const std::string& key, int* h, int* w) {
  if (!v.has(key)) return;
  std::vector<int> values = v.get_int_list(key);
  if (values.size() == 1) values.push_back(values[0]);
  if (values.size() != 2) v.fail(key, "an integer or [h, w]");
  if (values[0] <= 0 || values[1] <= 0) v.fail(key, "positive");
  *h = values[0];
  *w = values[1];
}

Node parse_node(const JsonView& v) {
  Node n;
  n.id = v.get_string("id");
  std::string op_text = v.get_string("op");
  n.op = parse_op(op_text, v.path("op"));
  check_node_keys(v, n.op);
  if (op_text == "flatten" && v.has("shape")) v.fail("shape", "absent for flatten (use reshape)");
  n.inputs = v.get_strict_string_list("inputs");
  n.bias = v.get_bool("bias", n.op == Op::kFullyConnected);
  n.filters = v.get_int("filters", 0);
  if (n.op == Op::kDepthwiseConv2d && v.has("depth_multiplier")) {
    int multiplier = v.get_int("depth_multiplier");
    if (multiplier <= 0) v.fail("depth_multiplier", "> 0");
    n.groups = -multiplier;  // resolved below once channels are known (finalize)
  }
  read_pair(v, "kernel", &n.kernel_h, &n.kernel_w);
  read_pair(v, "stride", &n.stride_h, &n.stride_w);
  if ((n.is_conv() || n.op == Op::kMaxPool2d || n.op == Op::kAvgPool2d) && !v.has("kernel")) {
    v.fail("kernel", "given for " + std::string(op_name(n.op)));
  }
  if (v.has("padding")) n.padding = parse_padding(v.get_string("padding"), v.path("padding"));
  if (n.op == Op::kConv2d || n.op == Op::kChannelShuffle) n.groups = v.get_int("groups", 1);
  if (v.has("activation")) n.activation = parse_activation(v.get_string("activation"), v.path("activation"));
  if (n.op == Op::kActivation && !v.has("activation")) v.fail("activation", "given for an activation op");
  n.units = v.get_int("units", 0);
  n.epsilon = v.get_double("epsilon", n.epsilon);
  if (v.has("shape")) {
    std::vector<int> s = v.get_int_list("shape");
    if (s.size() == 1) s = {1, 1, s[0]};
    if (s.size() != 3) v.fail("shape", "[h, w, c] or [c]");
    n.target = {s[0], s[1], s[2]};
  } else if (n.op == Op::kReshape && op_text == "reshape") {
    v.fail("shape", "given for reshape");
  }
  if (v.has("pads")) {
    std::vector<int> p = v.get_int_list("pads");
    if (p.size() == 1) p = {p[0], p[0], p[0], p[0]};
    if (p.size() != 4) v.fail("pads", "an integer or [top, bottom, left, right]");
    n.pad_top = p[0];
    n.pad_bottom = p[1];
    n.pad_left = p[2];
    n.pad_right = p[3];
  }
  return n;
}

// A depthwise multiplier given before the input channels are known becomes filters here.
void resolve_depth_multipliers(Graph& g, const std::string& origin) {
  bool any = false;
  for (const Node& n : g.nodes) any = any || (n.op == Op::kDepthwiseConv2d && n.groups < 0);
  if (!any) return;
  // Resolve one at a time in topological order: finalize needs valid attributes everywhere.
  Graph probe = g;
  for (Node& n : probe.nodes) {
    if (n.op == Op::kDepthwiseConv2d && n.groups < 0) n.groups = 1;
  }
  probe.finalize();
  std::unordered_map<std::string, const Node*> by_id;  // probe.node() would search: quadratic
  for (const Node& n : probe.nodes) by_id.emplace(n.id, &n);
  for (Node& n : g.nodes) {
    if (n.op == Op::kDepthwiseConv2d && n.groups < 0) {
      int channels = by_id.at(n.id)->input_shapes.at(0).c;
      int multiplier = -n.groups;
      if (n.filters != 0 && n.filters != channels * multiplier) {
        throw Error(origin + ": node '" + n.id + "' (depthwise_conv2d): filters " + std::to_string(n.filters) +
                    " disagree with depth_multiplier " + std::to_string(multiplier) + " x " +
                    std::to_string(channels) + " channels");
      }
      n.filters = channels * multiplier;
      n.groups = 1;
    }
  }
}

}  // namespace

Graph graph_from_json(const Json& json, const std::string& origin) {
  JsonView root(json, origin);
  root.check_keys({"name", "input", "nodes", "outputs", "format", "version"});
  if (root.has("format") && root.get_string("format") != "nasctl.graph") root.fail("format", "\"nasctl.graph\"");
  if (root.has("version") && root.get_int("version") != 1) root.fail("version", "1");
  Graph g;
  g.name = root.get_string("name", "graph");
  std::vector<int> input = root.get_int_list("input");
  if (input.size() != 3 || input[0] <= 0 || input[1] <= 0 || input[2] <= 0) root.fail("input", "[height, width, channels], all > 0");
  g.input = {input[0], input[1], input[2]};
  for (const JsonView& node_json : root.array("nodes")) g.nodes.push_back(parse_node(node_json));
  if (g.nodes.empty()) root.fail("nodes", "a non-empty list");
  g.outputs = root.get_string_list("outputs");
  try {
    resolve_depth_multipliers(g, origin);
    g.finalize();
  } catch (const Error& e) {
    std::string message = e.what();
    if (message.rfind(origin, 0) == 0) throw;
    throw Error(origin + ": " + message);
  }
  return g;
}

Graph load_graph_file(const std::string& path) { return graph_from_json(load_json_file(path), path); }

namespace {

Json pair_json(int h, int w) { return h == w ? Json(h) : Json::array({h, w}); }

Json node_to_json(const Node& n) {
  Json j;
  j["id"] = n.id;
  bool flatten = n.op == Op::kReshape && n.target.h == 0 && n.target.w == 0 && n.target.c == 0;
  j["op"] = flatten ? "flatten" : op_name(n.op);
  j["inputs"] = n.inputs;
  switch (n.op) {
    case Op::kConv2d:
    case Op::kDepthwiseConv2d:
      j["filters"] = n.filters;
      j["kernel"] = pair_json(n.kernel_h, n.kernel_w);
      j["stride"] = pair_json(n.stride_h, n.stride_w);
      j["padding"] = padding_name(n.padding);
      if (n.op == Op::kConv2d) j["groups"] = n.groups;
      j["bias"] = n.bias;
      j["activation"] = activation_name(n.activation);
      break;
    case Op::kBatchNorm:
      j["epsilon"] = n.epsilon;
      if (n.activation != Activation::kNone) j["activation"] = activation_name(n.activation);
      break;
    case Op::kActivation:
      j["activation"] = activation_name(n.activation);
      break;
    case Op::kAdd:
      if (n.activation != Activation::kNone) j["activation"] = activation_name(n.activation);
      break;
    case Op::kMaxPool2d:
    case Op::kAvgPool2d:
      j["kernel"] = pair_json(n.kernel_h, n.kernel_w);
      j["stride"] = pair_json(n.stride_h, n.stride_w);
      j["padding"] = padding_name(n.padding);
      break;
    case Op::kFullyConnected:
      j["units"] = n.units;
      j["bias"] = n.bias;
      if (n.activation != Activation::kNone) j["activation"] = activation_name(n.activation);
      break;
    case Op::kReshape:
      if (!flatten) j["shape"] = {n.target.h, n.target.w, n.target.c};
      break;
    case Op::kPad:
      j["pads"] = {n.pad_top, n.pad_bottom, n.pad_left, n.pad_right};
      break;
    case Op::kChannelShuffle:
      j["groups"] = n.groups;
      break;
    case Op::kMul:
    case Op::kConcat:
    case Op::kGlobalAvgPool:
    case Op::kSoftmax:
      break;
  }
  return j;
}

}  // namespace

Json graph_to_json(const Graph& graph) {
  Json j;
  j["format"] = "nasctl.graph";
  j["version"] = 1;
  j["name"] = graph.name;
  j["input"] = {graph.input.h, graph.input.w, graph.input.c};
  Json nodes = Json::array();
  for (const Node& n : graph.nodes) nodes.push_back(node_to_json(n));
  j["nodes"] = std::move(nodes);
  j["outputs"] = graph.outputs;
  return j;
}

}  // namespace nasctl::graph
