#include "nasctl/latency/edgetpu_model.h"

#include <algorithm>
#include <cmath>

#include "nasctl/core/error.h"

namespace nasctl::latency {
namespace {

using graph::Activation;
using graph::Node;
using graph::Op;

/// Per-graph working arrays, reused across calls on one thread so the hot path does not allocate.
struct Scratch {
  std::vector<int> consumers;
  std::vector<int> fused_into;
  std::vector<Activation> activation;  // activation applied at the end of a fused group
  std::vector<int64_t> extra_params;   // folded batch-norm parameters
  std::vector<uint8_t> crossing;       // tensor already counted as a cut transfer
  std::vector<OpTerms> terms;
};
thread_local Scratch tls_scratch;

/// Element-wise passes the compiler emits for an activation it cannot fuse into its producer:
/// LOGISTIC; LOGISTIC + MUL; ADD(+RELU6) + MUL; HARD_SWISH.
int activation_passes(Activation a) {
  switch (a) {
    case Activation::kSigmoid: return 1;
    case Activation::kSwish: return 2;
    case Activation::kHardSigmoid: return 2;
    case Activation::kHardSwish: return 1;
    default: return 0;
  }
}

/// TFLite fuses only these into a conv / fully-connected / add / mul.
bool fusable(Activation a) { return a == Activation::kRelu || a == Activation::kRelu6; }

bool absorbs_batch_norm(Op op) { return op == Op::kConv2d || op == Op::kDepthwiseConv2d || op == Op::kFullyConnected; }

bool absorbs_activation(Op op) {
  return absorbs_batch_norm(op) || op == Op::kAdd || op == Op::kMul || op == Op::kBatchNorm;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Calls f(index) for each graph output. Outputs are usually the last nodes, so search backwards
/// (Graph::output_indices allocates, which the hot path avoids).
template <typename F>
void for_each_output(const graph::Graph& g, F f) {
  for (const std::string& id : g.outputs) {
    for (int i = int(g.nodes.size()) - 1; i >= 0; --i) {
      if (g.nodes[size_t(i)].id == id) {
        f(i);
        break;
      }
    }
  }
}

/// Marks batch norms folded into the op before them and ReLU/ReLU6 ops fused into their producer.
void find_fusions(const graph::Graph& g, Scratch& s) {
  const size_t n = g.nodes.size();
  s.consumers.assign(n, 0);
  s.fused_into.assign(n, -1);
  s.activation.resize(n);
  s.extra_params.assign(n, 0);
  for (const Node& node : g.nodes)
    for (int p : node.input_index)
      if (p >= 0) ++s.consumers[size_t(p)];
  for_each_output(g, [&](int out) { ++s.consumers[size_t(out)]; });  // an output cannot be fused away
  for (size_t i = 0; i < n; ++i) {
    const Node& node = g.nodes[i];
    s.activation[i] = node.activation;
    if (node.input_index.size() != 1 || node.input_index[0] < 0) continue;
    int p = node.input_index[0];
    if (s.consumers[size_t(p)] != 1) continue;
    int root = s.fused_into[size_t(p)] >= 0 ? s.fused_into[size_t(p)] : p;
    if (s.activation[size_t(root)] != Activation::kNone) continue;
    const Node& producer = g.nodes[size_t(root)];
    if (node.op == Op::kBatchNorm && root == p && absorbs_batch_norm(producer.op)) {
      s.fused_into[i] = root;
      s.activation[size_t(root)] = node.activation;
      if (!producer.bias) s.extra_params[size_t(root)] += node.param_bytes_int8;
    } else if (node.op == Op::kActivation && fusable(node.activation) && absorbs_activation(producer.op)) {
      s.fused_into[i] = root;
      s.activation[size_t(root)] = node.activation;
    }
  }
}

}  // namespace

const char* bound_name(Bound bound) {
  switch (bound) {
    case Bound::kCompute: return "compute";
    case Bound::kMemory: return "memory";
    case Bound::kWeights: return "weights";
    case Bound::kOverhead: return "overhead";
    case Bound::kFused: return "fused";
    case Bound::kCpu: return "cpu";
  }
  return "?";
}

EdgeTpuModel::EdgeTpuModel(HardwareProfile profile) : profile_(std::move(profile)) {
  profile_.validate("hardware profile '" + profile_.name + "'");
  if (profile_.calibration.is_object() && profile_.calibration.contains("interval")) {
    interval_ = IntervalModel::from_json(profile_.calibration.at("interval"),
                                         "hardware profile '" + profile_.name + "': calibration.interval");
  }
}

double EdgeTpuModel::peak_ops_per_s() const {
  return 2.0 * profile_.array_rows * profile_.array_cols * profile_.clock_hz * profile_.conv_efficiency;
}

LatencyReport EdgeTpuModel::predict(const graph::Graph& graph) const {
  LatencyReport report;
  report.network = graph.name;
  report.hardware = profile_.name;
  report.unsupported = check_edgetpu(graph);
  report.ops.resize(graph.nodes.size());
  evaluate(graph, &report);
  return report;
}

double EdgeTpuModel::predict_ms(const graph::Graph& graph) const { return evaluate(graph, nullptr).ms; }

LatencyPrediction EdgeTpuModel::predict_interval(const graph::Graph& graph) const { return evaluate(graph, nullptr); }

namespace {

/// Compute-side cost of one op group on the Edge TPU: seconds and arithmetic ops; sets the array
/// utilisation for systolic ops.
struct Work {
  double seconds = 0;
  double ops = 0;
  double utilization = 0;
  double cpu_macs = 0;      // for the CPU estimate
  double cpu_elements = 0;
};

Work systolic(const HardwareProfile& hw, int64_t groups, int64_t reduction, int64_t outputs, int64_t pixels) {
  // One input vector enters the array per cycle, so a pass over one weight tile costs one cycle per
  // output pixel. The next tile's weights load while the current one computes (double-buffered),
  // so a pass lasts at least the weight load: few-pixel layers (fully connected, 1x1 heads) are
  // weight-load bound.
  int64_t tiles = groups * ceil_div(reduction, int64_t(hw.array_rows)) * ceil_div(outputs, int64_t(hw.array_cols));
  double cycles = double(tiles) * std::max(double(pixels), hw.weight_load_cycles);
  double macs = double(groups) * double(reduction) * double(outputs) * double(pixels);
  Work w;
  w.seconds = cycles / (hw.clock_hz * hw.conv_efficiency);
  w.ops = 2 * macs;
  w.utilization = macs / (cycles * hw.array_rows * hw.array_cols);  // share of the array's MAC slots used
  w.cpu_macs = macs;
  return w;
}

Work element_work(double elements, double per_cycle, double clock) {
  Work w;
  w.ops = elements;
  w.seconds = elements / (per_cycle * clock);
  w.cpu_elements = elements;
  return w;
}

Work op_work(const HardwareProfile& hw, const Node& n) {
  const double clock = hw.clock_hz;
  const double out = double(n.output.elements());
  switch (n.op) {
    case Op::kConv2d: {
      int64_t in_c = n.input_shapes[0].c;
      return systolic(hw, n.groups, in_c / n.groups * n.kernel_h * n.kernel_w, n.filters / n.groups,
                      int64_t(n.output.h) * n.output.w);
    }
    case Op::kFullyConnected:
      return systolic(hw, 1, n.input_shapes[0].elements(), n.units, 1);
    case Op::kDepthwiseConv2d: {
      Work w;
      w.ops = 2 * double(n.macs);
      w.seconds = double(n.macs) / (hw.depthwise_macs_per_cycle * clock);
      w.cpu_macs = double(n.macs);
      return w;
    }
    // Max pooling is a running compare; average pooling (padding excluded from the count) needs a
    // per-position divisor and a requantisation, and is measurably slower on the Edge TPU.
    case Op::kMaxPool2d:
      return element_work(out * n.kernel_h * n.kernel_w, hw.maxpool_ops_per_cycle, clock);
    case Op::kAvgPool2d:
      return element_work(out * n.kernel_h * n.kernel_w, hw.avgpool_ops_per_cycle, clock);
    case Op::kGlobalAvgPool:
      return element_work(double(n.input_shapes[0].elements()), hw.avgpool_ops_per_cycle, clock);
    case Op::kAdd:
      return element_work(out * double(n.input_shapes.size()), hw.elementwise_ops_per_cycle, clock);
    case Op::kMul:
    case Op::kBatchNorm:  // not folded: a MUL and an ADD by per-channel constants
      return element_work(2 * out, hw.elementwise_ops_per_cycle, clock);
    case Op::kActivation:
      return element_work(out * std::max(1, activation_passes(n.activation)), hw.elementwise_ops_per_cycle, clock);
    case Op::kSoftmax:  // exp, sum, scale
      return element_work(3 * out, hw.elementwise_ops_per_cycle, clock);
    case Op::kConcat:
    case Op::kPad:
    case Op::kChannelShuffle:
    case Op::kReshape: {
      Work w;  // data movement only: priced by the memory term
      w.cpu_elements = n.op == Op::kReshape ? 0 : out;
      return w;
    }
  }
  return {};
}

double activation_bytes(const Node& n) {
  if (n.op == Op::kReshape) return 0;  // a view: no data moves
  double bytes = double(n.output.elements());
  for (const graph::Shape& s : n.input_shapes) bytes += double(s.elements());
  return bytes;
}

/// Bytes over the host link per inference: the input goes in and the outputs come back; with a
/// cut, the tensors that cross from Edge TPU ops to CPU ops come back instead. Nothing when the
/// whole graph runs on the CPU.
double link_bytes(const graph::Graph& g, int tpu_end, Scratch& s) {
  if (tpu_end == 0) return 0;
  double bytes = double(g.input.elements());
  const int n = int(g.nodes.size());
  s.crossing.assign(size_t(n), 0);
  auto count = [&](int k) {
    if (k >= 0 && k < tpu_end && !s.crossing[size_t(k)]) {
      s.crossing[size_t(k)] = 1;
      bytes += double(g.nodes[size_t(k)].output.elements());
    }
  };
  for_each_output(g, count);
  for (int j = tpu_end; j < n; ++j)
    for (int k : g.nodes[size_t(j)].input_index) count(k);
  return bytes;
}

}  // namespace

namespace {

bool is_pool_or_elementwise(Op op) {
  switch (op) {
    case Op::kMaxPool2d:
    case Op::kAvgPool2d:
    case Op::kGlobalAvgPool:
    case Op::kAdd:
    case Op::kMul:
    case Op::kBatchNorm:
    case Op::kActivation:
    case Op::kSoftmax:
      return true;
    default:
      return false;
  }
}


}  // namespace

namespace {

/// The per-op terms of the Edge TPU ops (into s.terms) and the network terms; fills the report's
/// per-op fields that do not depend on the parameter cache, and prices the ops after the cut.
NetworkTerms collect_terms(const HardwareProfile& hw, const graph::Graph& g, Scratch& s, int tpu_end, LatencyReport* report) {
  if (!g.finalized()) throw Error("latency: graph '" + g.name + "' must be finalized before prediction");
  find_fusions(g, s);
  const int n = int(g.nodes.size());
  std::vector<OpTerms>& terms = s.terms;
  terms.clear();
  double cpu_s = 0;
  for (int i = 0; i < n; ++i) {
    const Node& node = g.nodes[size_t(i)];
    const bool on_tpu = i < tpu_end;
    OpCost* cost = report ? &report->ops[size_t(i)] : nullptr;
    if (cost) {
      cost->node = i;
      cost->on_edgetpu = on_tpu;
    }
    if (s.fused_into[size_t(i)] >= 0 || node.op == Op::kReshape) {
      if (cost) {
        cost->fused_into = s.fused_into[size_t(i)];
        cost->bound = Bound::kFused;
      }
      continue;
    }
    Work w = op_work(hw, node);
    // Extra element-wise passes for an activation the compiler cannot fuse into this op (an
    // activation op's own function is already its work).
    const int passes = node.op == Op::kActivation ? 0 : activation_passes(s.activation[size_t(i)]);
    const double out = double(node.output.elements());
    double bytes = activation_bytes(node) + 2.0 * passes * out;
    int64_t params = node.param_bytes_int8 + s.extra_params[size_t(i)];
    if (cost) {
      cost->ops = w.ops + (on_tpu ? passes * out : 0.0);
      cost->bytes = bytes;
      cost->param_bytes = params;
      cost->utilization = on_tpu ? w.utilization : 0.0;
    }
    if (!on_tpu) {
      double t = w.cpu_macs / hw.cpu_macs_per_s + (w.cpu_elements + passes * out) / hw.cpu_elements_per_s +
                 hw.cpu_op_overhead_s * (1 + passes);
      cpu_s += t;
      if (cost) {
        cost->time_s = t;
        cost->compute_s = t;
        cost->bound = Bound::kCpu;
      }
      continue;
    }
    OpTerms t;
    t.node = i;
    t.compute_s = w.seconds + passes * out / (hw.elementwise_ops_per_cycle * hw.clock_hz);
    t.memory_s = bytes / hw.onchip_bandwidth;
    t.overhead_s = hw.op_overhead_s * (1 + passes);
    t.param_bytes = params;
    t.pool_or_elementwise = is_pool_or_elementwise(node.op);
    terms.push_back(t);
  }
  NetworkTerms net;
  net.link_bytes = link_bytes(g, tpu_end, s);
  net.on_edgetpu = tpu_end > 0;
  net.cpu_s = cpu_s;
  return net;
}

}  // namespace

LatencyPrediction EdgeTpuModel::evaluate(const graph::Graph& g, LatencyReport* report) const {
  Scratch& s = tls_scratch;
  const int n = int(g.nodes.size());
  const int cut = g.finalized() ? first_unsupported_node(g) : -1;
  NetworkTerms net = collect_terms(profile_, g, s, cut < 0 ? n : cut, report);
  LatencyPrediction p = combine(s.terms.data(), s.terms.size(), net, report);
  if (report) {
    report->on_edgetpu = cut < 0;
    report->cut_node = cut;
  }
  return p;
}

void EdgeTpuModel::terms(const graph::Graph& g, std::vector<OpTerms>* ops, NetworkTerms* network) const {
  Scratch& s = tls_scratch;
  const int n = int(g.nodes.size());
  const int cut = g.finalized() ? first_unsupported_node(g) : -1;
  *network = collect_terms(profile_, g, s, cut < 0 ? n : cut, nullptr);
  ops->assign(s.terms.begin(), s.terms.end());
}

LatencyPrediction EdgeTpuModel::combine(const OpTerms* ops, size_t count, const NetworkTerms& net,
                                        LatencyReport* report) const {
  const HardwareProfile& hw = profile_;
  double sram_left = hw.sram_param_bytes;
  double tpu_s = 0, mix_s = 0;
  int64_t cached_total = 0, streamed_total = 0;
  for (size_t k = 0; k < count; ++k) {
    const OpTerms& op = ops[k];
    int64_t cached = std::min<int64_t>(op.param_bytes, int64_t(sram_left));
    int64_t streamed = op.param_bytes - cached;
    sram_left -= double(cached);
    double weights = double(streamed) / hw.host_bandwidth;
    double busy = std::max(op.compute_s, std::max(op.memory_s, weights));
    double t = busy + op.overhead_s;
    tpu_s += t;
    if (op.pool_or_elementwise) mix_s += t;
    cached_total += cached;
    streamed_total += streamed;
    if (report) {
      OpCost* cost = &report->ops[size_t(op.node)];
      cost->cached_bytes = cached;
      cost->streamed_bytes = streamed;
      cost->compute_s = op.compute_s;
      cost->memory_s = op.memory_s;
      cost->weights_s = weights;
      cost->overhead_s = op.overhead_s;
      cost->time_s = t;
      cost->bound = op.overhead_s > busy   ? Bound::kOverhead
                    : busy == op.compute_s ? Bound::kCompute
                    : busy == op.memory_s  ? Bound::kMemory
                                           : Bound::kWeights;
    }
  }
  const double overhead_s = net.on_edgetpu ? hw.inference_overhead_s : 0.0;
  const double transfer_s = net.link_bytes / hw.host_bandwidth;
  LatencyPrediction p;
  p.ms = 1e3 * (overhead_s + transfer_s + tpu_s + net.cpu_s);
  p.mix = classify_op_mix(streamed_total, tpu_s > 0 ? mix_s / tpu_s : 0.0);
  interval_.apply(p);
  if (report) {
    report->total_ms = p.ms;
    report->lo_ms = p.lo_ms;
    report->hi_ms = p.hi_ms;
    report->interval_coverage = interval_.coverage;
    report->mix = p.mix;
    report->edgetpu_ms = 1e3 * tpu_s;
    report->cpu_ms = 1e3 * net.cpu_s;
    report->transfer_ms = 1e3 * transfer_s;
    report->overhead_ms = 1e3 * overhead_s;
    report->cached_param_bytes = cached_total;
    report->streamed_param_bytes = streamed_total;
  }
  return p;
}

}  // namespace nasctl::latency
