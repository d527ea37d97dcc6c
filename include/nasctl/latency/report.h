#pragma once
/// A LatencyReport as JSON and as an SVG figure (roofline chart + per-layer latency bars).

#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/graph/graph.h"
#include "nasctl/latency/edgetpu_model.h"

namespace nasctl::latency {

/// "conv2d+bn+relu" for every node: its op and what the compiler fused into it (one pass over the
/// report, so a report of any size labels in linear time; fused nodes get their own op's name).
std::vector<std::string> fused_labels(const graph::Graph& graph, const LatencyReport& report);

/// The report as JSON: totals, unsupported ops and one entry per op that costs time (fused ops
/// are named in their root's "op" label).
Json report_to_json(const graph::Graph& graph, const LatencyReport& report);

/// SVG with two panels: a roofline chart (each Edge TPU op at its operational intensity and
/// attained ops/s, under the compute roof and the on-chip and host-link bandwidth roofs) and a
/// per-layer latency bar chart coloured by what bounds each op.
std::string report_svg(const graph::Graph& graph, const LatencyReport& report, const EdgeTpuModel& model);

}  // namespace nasctl::latency
