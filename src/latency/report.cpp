#include "nasctl/latency/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "nasctl/core/svg.h"

namespace nasctl::latency {
namespace {

const char* short_name(const graph::Node& n) {
  if (n.op == graph::Op::kBatchNorm) return "bn";
  if (n.op == graph::Op::kActivation) return graph::activation_name(n.activation);
  return graph::op_name(n.op);
}

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

constexpr Bound kBounds[] = {Bound::kCompute, Bound::kMemory, Bound::kWeights, Bound::kOverhead, Bound::kCpu};
const char* const kBoundColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#bab0ac", "#59a14f"};

}  // namespace

std::string fused_label(const graph::Graph& graph, const LatencyReport& report, int node) {
  const graph::Node& root = graph.nodes[size_t(node)];
  std::string label = graph::op_name(root.op);
  if (root.activation != graph::Activation::kNone && root.op != graph::Op::kActivation)
    label += std::string("+") + graph::activation_name(root.activation);
  for (const OpCost& c : report.ops) {
    if (c.fused_into != node) continue;
    const graph::Node& n = graph.nodes[size_t(c.node)];
    label += std::string("+") + short_name(n);
    if (n.op == graph::Op::kBatchNorm && n.activation != graph::Activation::kNone)
      label += std::string("+") + graph::activation_name(n.activation);
  }
  return label;
}

Json report_to_json(const graph::Graph& graph, const LatencyReport& r) {
  Json ops = Json::array();
  const double total_s = r.total_ms * 1e-3;
  for (const OpCost& c : r.ops) {
    if (c.bound == Bound::kFused) continue;
    const graph::Node& n = graph.nodes[size_t(c.node)];
    ops.push_back({{"id", n.id},
                   {"op", fused_label(graph, r, c.node)},
                   {"output", {n.output.h, n.output.w, n.output.c}},
                   {"macs", n.macs},
                   {"param_bytes", c.param_bytes},
                   {"cached_bytes", c.cached_bytes},
                   {"streamed_bytes", c.streamed_bytes},
                   {"activation_bytes", c.bytes},
                   {"utilization", c.utilization},
                   {"compute_us", c.compute_s * 1e6},
                   {"memory_us", c.memory_s * 1e6},
                   {"weights_us", c.weights_s * 1e6},
                   {"overhead_us", c.overhead_s * 1e6},
                   {"time_us", c.time_s * 1e6},
                   {"bound", bound_name(c.bound)},
                   {"share", total_s > 0 ? c.time_s / total_s : 0.0},
                   {"on_edgetpu", c.on_edgetpu}});
  }
  Json unsupported = Json::array();
  for (const UnsupportedOp& u : r.unsupported) unsupported.push_back({{"id", u.id}, {"op", graph::op_name(u.op)}, {"reason", u.reason}});
  return {{"name", r.network},
          {"hardware", r.hardware},
          {"latency_ms", r.total_ms},
          {"latency_lo_ms", r.lo_ms},
          {"latency_hi_ms", r.hi_ms},
          {"interval_coverage", r.interval_coverage},
          {"op_mix", op_mix_name(r.mix)},
          {"on_edgetpu", r.on_edgetpu},
          {"edgetpu_ms", r.edgetpu_ms},
          {"cpu_ms", r.cpu_ms},
          {"transfer_ms", r.transfer_ms},
          {"overhead_ms", r.overhead_ms},
          {"cached_param_bytes", r.cached_param_bytes},
          {"streamed_param_bytes", r.streamed_param_bytes},
          {"cut_at", r.cut_node >= 0 ? Json(graph.nodes[size_t(r.cut_node)].id) : Json(nullptr)},
          {"unsupported", unsupported},
          {"ops", ops}};
}

std::string report_svg(const graph::Graph& graph, const LatencyReport& r, const EdgeTpuModel& model) {
  const HardwareProfile& hw = model.profile();
  svg::Figure fig;
  fig.title = r.network + " on " + r.hardware + ": " + fmt("%.3f", r.total_ms) + " ms";
  fig.panel_width = 900;
  fig.panel_height = 460;

  svg::Panel& roof = fig.add_panel("Roofline (Edge TPU ops)");
  roof.x = {"operational intensity (ops per byte of activations and streamed weights)", svg::Scale::kLog};
  roof.y = {"attained ops/s", svg::Scale::kLog};
  roof.legend = svg::LegendPosition::kBottomRight;
  double xmin = 1e300, xmax = 0;
  std::vector<svg::Points> by_bound(std::size(kBounds));
  for (size_t b = 0; b < std::size(kBounds); ++b) {
    by_bound[b].name = bound_name(kBounds[b]);
    by_bound[b].color = kBoundColors[b];
  }
  for (const OpCost& c : r.ops) {
    if (!c.on_edgetpu || c.bound == Bound::kFused || c.ops <= 0 || c.time_s <= 0) continue;
    double bytes = c.bytes + double(c.streamed_bytes);
    if (bytes <= 0) continue;
    double x = c.ops / bytes, y = c.ops / c.time_s;
    xmin = std::min(xmin, x);
    xmax = std::max(xmax, x);
    size_t b = size_t(std::find(std::begin(kBounds), std::end(kBounds), c.bound) - std::begin(kBounds));
    by_bound[b].x.push_back(x);
    by_bound[b].y.push_back(y);
    by_bound[b].tooltips.push_back(graph.nodes[size_t(c.node)].id + " " + fused_label(graph, r, c.node) + ": " +
                                   fmt("%.1f us", c.time_s * 1e6));
  }
  if (xmax <= 0) xmin = 0.1, xmax = 1000;
  xmin /= 3;
  xmax *= 3;
  const double peak = model.peak_ops_per_s();
  auto roof_line = [&](const std::string& name, double bandwidth, const std::string& color, bool dashed) {
    std::vector<double> xs, ys;
    for (int i = 0; i <= 60; ++i) {
      double x = xmin * std::pow(xmax / xmin, i / 60.0);
      xs.push_back(x);
      ys.push_back(std::min(peak, bandwidth * x));
    }
    svg::Line& l = roof.add_line(name, xs, ys);
    l.color = color;
    l.dashed = dashed;
  };
  roof_line("on-chip roof " + fmt("%.2g B/s", hw.onchip_bandwidth), hw.onchip_bandwidth, "#333", false);
  roof_line("host-link roof " + fmt("%.2g B/s", hw.host_bandwidth), hw.host_bandwidth, "#999", true);
  roof.notes.push_back({xmax / 30, peak * 1.15, "compute roof " + fmt("%.3g ops/s", peak)});
  for (svg::Points& p : by_bound)
    if (!p.x.empty()) roof.points.push_back(std::move(p));

  svg::Panel& bars = fig.add_panel("Per-layer latency");
  bars.y.label = "time (us)";
  bars.stacked = true;
  std::vector<std::vector<double>> values(std::size(kBounds));
  std::vector<std::string> tooltips;
  for (const OpCost& c : r.ops) {
    if (c.bound == Bound::kFused) continue;
    const std::string& id = graph.nodes[size_t(c.node)].id;
    bars.categories.push_back(id);
    tooltips.push_back(id + " " + fused_label(graph, r, c.node) + ": " + fmt("%.1f us", c.time_s * 1e6) + " (" +
                       bound_name(c.bound) + ")");
    for (size_t b = 0; b < std::size(kBounds); ++b) values[b].push_back(kBounds[b] == c.bound ? c.time_s * 1e6 : 0.0);
  }
  for (size_t b = 0; b < std::size(kBounds); ++b) {
    if (std::all_of(values[b].begin(), values[b].end(), [](double v) { return v == 0; })) continue;
    svg::Bars& s = bars.add_bars(bound_name(kBounds[b]) + std::string("-bound"), values[b]);
    s.color = kBoundColors[b];
    s.tooltips = tooltips;  // drawn only where this series has a bar
  }
  return fig.render();
}

}  // namespace nasctl::latency
