#include "nasctl/export/edgetpu_check.h"

#include <map>

#include "nasctl/latency/edgetpu_ops.h"

namespace nasctl::exporter {
namespace {

// Coral: "If a tensor has more than 3 dimensions, then only the 3 innermost dimensions may have a
// size greater than 1."
bool rank_ok(const std::vector<int>& shape) {
  for (size_t d = 0; d + 3 < shape.size(); ++d) {
    if (shape[d] > 1) return false;
  }
  return true;
}

// Why the compiler would not map this TFLite operator by itself, or "".
std::string operator_reason(const Model& m, const Operator& op) {
  if (op.op == BuiltinOp::kDequantize) return "DEQUANTIZE is not mapped (it converts the output to float32 on the CPU)";
  if (op.op == BuiltinOp::kPadV2) return "PADV2 (padding with the lowest value, for a max pool) is not mapped";
  bool quantize_edge = op.op == BuiltinOp::kQuantize;  // float/uint8 -> int8 at the input is mapped
  for (const std::vector<int>* list : {&op.inputs, &op.outputs}) {
    for (int t : *list) {
      const Tensor& tensor = m.tensors[t];
      if (!quantize_edge && tensor.type == TensorType::kFloat32) {
        return "float32 operator: the Edge TPU runs only full-integer models (export with --quantize int8)";
      }
      if (!tensor.is_constant() && !rank_ok(tensor.shape)) {
        return "tensor '" + tensor.name + "' has more than 3 dimensions larger than 1";
      }
    }
  }
  return "";
}

// The operator of a node that the node-level reason is about: a hard_swish activation is the
// HARD_SWISH op, a softmax the SOFTMAX op; otherwise the node's first operator.
bool culprit(const Operator& op, const graph::Node& n) {
  if (n.activation == graph::Activation::kHardSwish) return op.op == BuiltinOp::kHardSwish;
  if (n.op == graph::Op::kSoftmax) return op.op == BuiltinOp::kSoftmax;
  return true;
}

}  // namespace

EdgeTpuReport check_edgetpu_model(const Model& model, const graph::Graph& graph) {
  std::map<std::string, const graph::Node*> nodes;
  for (const graph::Node& n : graph.nodes) nodes[n.id] = &n;
  EdgeTpuReport report;
  report.total_ops = static_cast<int>(model.operators.size());
  std::map<std::string, bool> node_reported;
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const Operator& op = model.operators[i];
    std::string reason = operator_reason(model, op);
    auto node = nodes.find(op.origin);
    if (reason.empty() && node != nodes.end() && node->second->op != graph::Op::kChannelShuffle &&
        !node_reported[op.origin] && culprit(op, *node->second)) {
      if (const char* r = latency::edgetpu_unsupported_reason(*node->second)) {
        reason = r;
        node_reported[op.origin] = true;  // one entry per node, at its first operator
      }
    }
    if (reason.empty()) continue;
    report.unsupported.push_back({static_cast<int>(i), builtin_op_name(op.op), op.origin, reason});
  }
  // The cut: the first unmapped operator, unless all that follow it are the output DEQUANTIZEs.
  for (const EdgeTpuIssue& issue : report.unsupported) {
    bool trailing = true;
    for (size_t j = issue.op_index; j < model.operators.size(); ++j) {
      trailing = trailing && model.operators[j].op == BuiltinOp::kDequantize;
    }
    if (trailing) break;
    report.cut_op = issue.op_index;
    report.cut_node = issue.node;
    break;
  }
  report.edgetpu_ops = report.cut_op < 0 ? report.total_ops : report.cut_op;
  report.cpu_ops = report.total_ops - report.edgetpu_ops;
  return report;
}

Json EdgeTpuReport::to_json() const {
  Json issues = Json::array();
  for (const EdgeTpuIssue& i : unsupported) {
    issues.push_back({{"op_index", i.op_index}, {"op", i.op}, {"node", i.node}, {"reason", i.reason}});
  }
  Json j = {{"one_partition", one_partition()}, {"operators", total_ops}, {"edgetpu_operators", edgetpu_ops},
            {"cpu_operators", cpu_ops}, {"unsupported", issues}};
  if (cut_op >= 0) j["cut"] = {{"op_index", cut_op}, {"node", cut_node}};
  return j;
}

std::string EdgeTpuReport::to_text() const {
  std::string text;
  // Runs of consecutive operators with the same reason (a float32 model) take one line.
  for (size_t k = 0; k < unsupported.size();) {
    const EdgeTpuIssue& i = unsupported[k];
    size_t end = k + 1;
    while (end < unsupported.size() && unsupported[end].reason == i.reason &&
           unsupported[end].op_index == unsupported[end - 1].op_index + 1) {
      ++end;
    }
    if (end - k > 2) {
      text += "  ops " + std::to_string(i.op_index) + "-" + std::to_string(unsupported[end - 1].op_index) + " (" +
              std::to_string(end - k) + " operators): " + i.reason + "\n";
      k = end;
      continue;
    }
    text += "  op " + std::to_string(i.op_index) + " " + i.op + (i.node.empty() ? "" : " (node '" + i.node + "')") +
            ": " + i.reason + "\n";
    ++k;
  }
  if (one_partition()) {
    text += "Edge TPU: all " + std::to_string(total_ops) + " operators map to the Edge TPU (one partition)";
    if (!unsupported.empty()) text += "; the trailing DEQUANTIZE runs on the CPU";
    return text + "\n";
  }
  return text + "Edge TPU: the compiler cuts the graph at op " + std::to_string(cut_op) +
         (cut_node.empty() ? "" : " (node '" + cut_node + "')") + ": " + std::to_string(edgetpu_ops) +
         " operators on the Edge TPU, " + std::to_string(cpu_ops) + " on the CPU\n";
}

}  // namespace nasctl::exporter
