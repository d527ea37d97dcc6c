// Full-integer quantization: activation parameters (shared groups, fixed outputs), model edges.
#include "nasctl/export/quantize.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "export/quantize_impl.h"
#include "nasctl/core/error.h"

namespace nasctl::exporter {

const char* io_type_name(IoType type) {
  switch (type) {
    case IoType::kInt8: return "int8";
    case IoType::kUInt8: return "uint8";
    case IoType::kFloat32: return "float32";
  }
  return "?";
}

IoType parse_io_type(const std::string& name, const std::string& key) {
  if (name == "int8") return IoType::kInt8;
  if (name == "uint8") return IoType::kUInt8;
  if (name == "float32") return IoType::kFloat32;
  throw Error(key + " must be one of int8, uint8, float32, but got \"" + name + "\"");
}

Quantization activation_quantization(float lo, float hi) {
  double min = std::min<double>(lo, 0.0), max = std::max<double>(hi, 0.0);
  // A (near-)constant zero tensor still needs a positive scale that keeps rescale factors sane.
  if (max - min < 1e-3) max = min + 1e-3;
  double scale = (max - min) / 255.0;
  double zero_point = std::round(-128.0 - min / scale);
  Quantization q;
  q.scale = {static_cast<float>(scale)};
  q.zero_point = {static_cast<int64_t>(std::clamp(zero_point, -128.0, 127.0))};
  return q;
}

namespace detail {

namespace {

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int x) { return parent[x] == x ? x : parent[x] = find(parent[x]); }
  void unite(int a, int b) { parent[find(a)] = find(b); }
};

// Input slots of ops whose int8 kernels need the quantization of their output.
std::vector<size_t> shared_inputs(const Operator& op) {
  switch (op.op) {
    case BuiltinOp::kConcatenation: {
      std::vector<size_t> all(op.inputs.size());
      std::iota(all.begin(), all.end(), 0);
      return all;
    }
    case BuiltinOp::kMaxPool2d:
    case BuiltinOp::kAveragePool2d:
    case BuiltinOp::kReshape:
    case BuiltinOp::kPad:
    case BuiltinOp::kPadV2:
    case BuiltinOp::kTranspose:
      return {0};
    case BuiltinOp::kSplit:
      return {1};
    default:
      return {};
  }
}

bool fixed_output(BuiltinOp op) { return op == BuiltinOp::kLogistic || op == BuiltinOp::kSoftmax; }

}  // namespace

Quantization fixed_output_quantization() {
  Quantization q;
  q.scale = {1.0f / 256.0f};
  q.zero_point = {-128};
  return q;
}

ActivationPlan plan_activations(const Model& m, const std::vector<TensorRange>& ranges) {
  const size_t n = m.tensors.size();
  if (ranges.size() != n) {
    throw runtime_error("quantize: " + std::to_string(ranges.size()) + " ranges for " + std::to_string(n) + " tensors");
  }
  std::vector<bool> pinned(n, false);
  for (const Operator& op : m.operators) {
    if (fixed_output(op.op)) pinned[op.outputs[0]] = true;
  }
  UnionFind groups(n);
  struct Edge {
    size_t op, slot;
  };
  std::vector<Edge> pinned_edges;
  for (size_t i = 0; i < m.operators.size(); ++i) {
    const Operator& op = m.operators[i];
    for (size_t slot : shared_inputs(op)) {
      int t = op.inputs[slot];
      if (pinned[t]) {
        pinned_edges.push_back({i, slot});
        continue;
      }
      for (int out : op.outputs) groups.unite(t, out);
    }
  }
  // A fixed-quantization tensor joins its group when the group's values fit its [0, 1) range;
  // otherwise the op reads a requantized copy.
  auto group_range = [&](int root) {
    TensorRange r;
    for (size_t t = 0; t < n; ++t) {
      if (!m.tensors[t].is_constant() && groups.find(static_cast<int>(t)) == root && ranges[t].seen()) {
        r.update(ranges[t].min, ranges[t].max);
      }
    }
    return r;
  };
  ActivationPlan plan;
  std::vector<bool> group_pinned(n, false);
  for (size_t t = 0; t < n; ++t) {
    if (pinned[t]) group_pinned[groups.find(static_cast<int>(t))] = true;
  }
  for (const Edge& e : pinned_edges) {
    const Operator& op = m.operators[e.op];
    int t = op.inputs[e.slot];
    int root = groups.find(op.outputs[0]);
    TensorRange r = group_range(root);
    if (group_pinned[root] || (r.min >= 0.0f && r.max <= 1.0f)) {
      groups.unite(root, t);
      group_pinned[groups.find(t)] = true;
    } else {
      plan.requantize.push_back({e.op, e.slot});
    }
  }
  plan.quant.resize(n);
  std::vector<TensorRange> root_range(n);
  for (size_t t = 0; t < n; ++t) {
    if (m.tensors[t].is_constant()) continue;
    if (!ranges[t].seen()) {
      throw runtime_error("quantize: tensor '" + m.tensors[t].name + "' was never observed during calibration");
    }
    root_range[groups.find(static_cast<int>(t))].update(ranges[t].min, ranges[t].max);
  }
  for (size_t t = 0; t < n; ++t) {
    if (m.tensors[t].is_constant()) continue;
    int root = groups.find(static_cast<int>(t));
    plan.quant[t] = group_pinned[root] ? fixed_output_quantization()
                                       : activation_quantization(root_range[root].min, root_range[root].max);
  }
  return plan;
}

// Inserts the requantizing QUANTIZE ops the plan asks for (int8 -> int8 with the reader's group
// parameters: those of the op's output).
void insert_requantize(Model& m, const ActivationPlan& plan) {
  std::vector<Operator> ops;
  for (size_t i = 0; i < m.operators.size(); ++i) {
    Operator op = m.operators[i];
    for (const auto& [index, slot] : plan.requantize) {
      if (index != i) continue;
      int from = op.inputs[slot];
      Tensor copy;
      copy.name = m.tensors[from].name + "/requantized";
      copy.shape = m.tensors[from].shape;
      copy.type = TensorType::kInt8;
      copy.quant = m.tensors[op.outputs[0]].quant;
      int to = m.add_tensor(std::move(copy));
      Operator q;
      q.op = BuiltinOp::kQuantize;
      q.inputs = {from};
      q.outputs = {to};
      q.origin = op.origin;
      ops.push_back(std::move(q));
      op.inputs[slot] = to;
    }
    ops.push_back(std::move(op));
  }
  m.operators = std::move(ops);
}

// Converts the model's input and output to `io` with QUANTIZE / DEQUANTIZE at the edges.
void convert_io(Model& m, IoType io) {
  if (io == IoType::kInt8) return;
  auto edge_tensor = [&](int t, const std::string& suffix) {
    Tensor edge;
    edge.name = m.tensors[t].name;
    m.tensors[t].name += suffix;
    edge.shape = m.tensors[t].shape;
    if (io == IoType::kUInt8) {
      edge.type = TensorType::kUInt8;
      edge.quant = m.tensors[t].quant;
      edge.quant.zero_point[0] += 128;
    }
    return m.add_tensor(std::move(edge));
  };
  std::vector<Operator> ops;
  for (int& in : m.inputs) {
    int outer = edge_tensor(in, "/int8");
    Operator q;
    q.op = BuiltinOp::kQuantize;
    q.inputs = {outer};
    q.outputs = {in};
    ops.push_back(std::move(q));
    in = outer;
  }
  ops.insert(ops.end(), m.operators.begin(), m.operators.end());
  for (int& out : m.outputs) {
    int outer = edge_tensor(out, "/int8");
    Operator q;
    q.op = io == IoType::kFloat32 ? BuiltinOp::kDequantize : BuiltinOp::kQuantize;
    q.inputs = {out};
    q.outputs = {outer};
    ops.push_back(std::move(q));
    out = outer;
  }
  m.operators = std::move(ops);
}

}  // namespace detail

Model quantize_int8(const Model& float_model, const std::vector<TensorRange>& ranges, const QuantizeOptions& options) {
  for (const Tensor& t : float_model.tensors) {
    if (!t.is_constant() && t.type != TensorType::kFloat32) {
      throw Error("quantize: tensor '" + t.name + "' is " + tensor_type_name(t.type) + "; the model must be float32");
    }
  }
  Model m = float_model;
  detail::ActivationPlan plan = detail::plan_activations(m, ranges);
  for (size_t t = 0; t < m.tensors.size(); ++t) {
    if (m.tensors[t].is_constant()) continue;
    m.tensors[t].type = TensorType::kInt8;
    m.tensors[t].quant = plan.quant[t];
  }
  detail::quantize_constants(m);
  detail::insert_requantize(m, plan);
  detail::convert_io(m, options.io_type);
  m.description += " (full-integer int8, io " + std::string(io_type_name(options.io_type)) + ")";
  return m;
}

}  // namespace nasctl::exporter
