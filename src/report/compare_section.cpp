// Several runs side by side: a sortable table and top-1 against predicted latency with the
// Pareto front.
#include <algorithm>
#include <cmath>

#include "report/html.h"
#include "report/sections.h"

namespace nasctl::report {
namespace {

std::string pareto_plot(const std::vector<RunSummary>& runs, PageContext& context, size_t* plotted) {
  std::vector<double> latency, top1;
  for (const RunSummary& r : runs) {
    latency.push_back(r.latency_ms);
    top1.push_back(100 * r.top1);
  }
  std::vector<size_t> front = pareto_front(latency, top1);
  std::vector<bool> on_front(runs.size(), false);
  for (size_t i : front) on_front[i] = true;

  svg::Figure fig;
  fig.panel_width = 760;
  fig.panel_height = 420;
  svg::Panel& panel = fig.add_panel("Best validation top-1 against predicted latency");
  panel.x.label = "predicted latency (ms)";
  panel.y.label = "top-1 (%)";
  panel.legend = svg::LegendPosition::kBottomRight;
  std::vector<double> fx, fy;
  for (size_t i : front) fx.push_back(latency[i]), fy.push_back(top1[i]);
  svg::Line& line = panel.add_line("Pareto front", fx, fy);
  line.color = "#e15759";
  line.dashed = true;
  svg::Points& on = panel.add_points("on the front", {}, {});
  on.color = "#e15759";
  on.radius = 5;
  svg::Points& off = panel.add_points("dominated", {}, {});
  off.color = "#4e79a7";
  // Axes with room around the points, so that none sits on the frame and every label shows.
  double max_ms = 0, lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!std::isfinite(latency[i]) || !std::isfinite(top1[i])) continue;
    max_ms = std::max(max_ms, latency[i]);
    lo = std::min(lo, top1[i]);
    hi = std::max(hi, top1[i]);
  }
  panel.x.min = 0;
  panel.x.max = max_ms > 0 ? 1.2 * max_ms : 1;
  if (std::isfinite(lo)) {
    panel.y.min = std::floor(lo) - 1;
    panel.y.max = std::ceil(hi) + 1;
  }
  *plotted = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!std::isfinite(latency[i]) || !std::isfinite(top1[i])) continue;
    svg::Points& p = on_front[i] ? panel.points[0] : panel.points[1];
    p.x.push_back(latency[i]);
    p.y.push_back(top1[i]);
    p.tooltips.push_back(runs[i].name + ": " + html::fixed(top1[i], 2) + "% at " + html::fixed(latency[i], 3) + " ms");
    panel.notes.push_back({latency[i], top1[i], runs[i].name, "#333"});
    ++*plotted;
  }
  return context.figure(fig, "figure pareto");
}

}  // namespace

std::string comparison_section(const std::vector<RunSummary>& runs, const std::vector<std::string>& anchors,
                               PageContext& context) {
  std::string out = "<section class=\"comparison\" id=\"comparison\"><h2>Comparison</h2>\n";
  std::vector<std::vector<html::Cell>> rows;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunSummary& r = runs[i];
    std::string q = std::isfinite(r.q) ? html::fixed(r.q, 3) : "";
    rows.push_back({{"<a href=\"#" + anchors[i] + "\">" + html::escape(r.name) + "</a>", ""},
                    html::text_cell(r.kind),
                    html::text_cell(r.network),
                    html::text_cell(r.status),
                    html::number_cell(r.latency_ms, 3),
                    html::text_cell(r.hardware),
                    html::number_cell(100 * r.top1, 2, "%"),
                    {q, q.empty() ? "-1e300" : q},
                    html::number_cell(r.params >= 0 ? double(r.params) : NAN, 0),
                    html::number_cell(r.macs >= 0 ? double(r.macs) / 1e6 : NAN, 2)});
  }
  out += html::table({"run", "kind", "network", "status", "latency (ms)", "hardware", "best val top-1", "supernet Q",
                      "params", "MMACs"},
                     rows, "runs");
  size_t plotted = 0;
  std::string plot = pareto_plot(runs, context, &plotted);
  if (plotted > 0) {
    out += "<p class=\"caption\">Trained networks by their best validation top-1 and predicted latency; the dashed "
           "line joins the Pareto front (no other network is both faster and more accurate). Hover a point for its "
           "numbers.</p>\n" + plot;
  } else {
    out += "<p class=\"note\">No trained network with a predicted latency: nothing to plot against latency "
           "(searches and exports have no validation top-1).</p>\n";
  }
  return out + "</section>\n";
}

}  // namespace nasctl::report
