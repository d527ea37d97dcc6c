// A search run: headline numbers, reward / Q / latency against step, the controller's
// probabilities as a heat map, and the found architecture (one per target for a family search).
#include <algorithm>
#include <cmath>

#include "nasctl/core/error.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/search_space.h"
#include "report/html.h"
#include "report/sections.h"

namespace nasctl::report {
namespace {

constexpr size_t kMaxHeatColumns = 120;

struct DecisionLabel {
  std::string name;
  std::vector<std::string> choices;
  int chosen = -1;
};

std::string choice_text(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

// Names of the decisions and choices: from arch.json, or (before it exists) from the space in
// config.json; numbered when neither is there.
std::vector<DecisionLabel> decision_labels(const Run& run, const Json& result) {
  std::vector<DecisionLabel> labels;
  if (result.is_object() && result.contains("decisions") && result["decisions"].is_array()) {
    for (const Json& d : result["decisions"]) {
      DecisionLabel l;
      l.name = d.value("name", std::string());
      for (const Json& c : d.value("choices", Json::array())) l.choices.push_back(choice_text(c));
      l.chosen = d.value("chosen", -1);
      labels.push_back(std::move(l));
    }
    return labels;
  }
  try {
    space::SearchSpace space =
        space::SearchSpace::from_json(run.config.at("resolved").at("space"), "config.json: resolved.space");
    for (const space::Decision& d : space.decisions()) {
      DecisionLabel l;
      l.name = d.name;
      for (const Json& c : d.choices) l.choices.push_back(choice_text(c));
      labels.push_back(std::move(l));
    }
  } catch (const std::exception&) {
    // Numbered labels below.
  }
  return labels;
}

std::vector<double> series(const std::vector<Json>& lines, const char* key) {
  std::vector<double> out;
  for (const Json& l : lines) out.push_back(number(l, key));
  return out;
}

// Exponential smoothing that skips gaps (NaN), as the search's own plot.
std::vector<double> smooth(const std::vector<double>& values, double momentum) {
  std::vector<double> out;
  double state = NAN;
  for (double v : values) {
    if (std::isfinite(v)) state = std::isfinite(state) ? momentum * state + (1 - momentum) * v : v;
    out.push_back(state);
  }
  return out;
}

double tail_mean(const std::vector<double>& values) {
  size_t n = std::max<size_t>(1, values.size() / 10);
  double sum = 0;
  size_t count = 0;
  for (size_t i = values.size() > n ? values.size() - n : 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) sum += values[i], ++count;
  }
  return count ? sum / double(count) : NAN;
}

std::string progress_plots(const std::vector<Json>& lines, double target_ms, PageContext& context) {
  std::vector<double> step = series(lines, "step");
  svg::Figure fig;
  fig.columns = 2;
  fig.panel_width = 560;
  fig.panel_height = 320;
  svg::Panel& reward = fig.add_panel("Reward, Q and baseline (smoothed)");
  reward.x.label = "step";
  reward.legend = svg::LegendPosition::kBottomRight;
  reward.add_line("Q (validation batch)", step, smooth(series(lines, "q"), 0.95));
  reward.add_line("reward", step, smooth(series(lines, "reward"), 0.95));
  reward.add_line("baseline", step, series(lines, "baseline")).dashed = true;
  svg::Panel& lat = fig.add_panel("Predicted latency (ms)");
  lat.x.label = "step";
  lat.add_line("sampled (smoothed)", step, smooth(series(lines, "latency_ms"), 0.95));
  lat.add_line("most likely", step, series(lines, "most_likely_latency_ms"));
  if (!step.empty() && std::isfinite(target_ms)) {
    std::vector<double> ends = {step.front(), step.back()};
    lat.add_line("target", ends, {target_ms, target_ms}).color = "#333";
    for (double side : {1.05, 0.95}) {
      svg::Line& band = lat.add_line(side > 1 ? "target \u00b15%" : "", ends, {side * target_ms, side * target_ms});
      band.dashed = true;
      band.color = "#999";
    }
  }
  return context.figure(fig, "figure progress");
}

// White (0) to dark blue (1).
std::string heat_colour(double p) {
  p = std::min(1.0, std::max(0.0, std::isfinite(p) ? p : 0.0));
  auto channel = [&](int from, int to) { return static_cast<int>(std::lround(from + (to - from) * p)); };
  char buf[16];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", channel(255, 8), channel(255, 48), channel(255, 107));
  return buf;
}

std::string heat_map(const std::vector<Json>& lines, const std::vector<DecisionLabel>& labels) {
  std::vector<const Json*> snapshots;
  for (const Json& l : lines) {
    if (l.contains("probabilities") && l["probabilities"].is_array()) snapshots.push_back(&l);
  }
  if (snapshots.empty()) return "<p class=\"note\">No controller probabilities logged yet.</p>\n";
  std::vector<const Json*> columns;
  size_t n = std::min(kMaxHeatColumns, snapshots.size());
  for (size_t c = 0; c < n; ++c) columns.push_back(snapshots[n == 1 ? snapshots.size() - 1 : c * (snapshots.size() - 1) / (n - 1)]);
  const Json& last = (*columns.back())["probabilities"];

  const double label_w = 230, cell_h = 13, gap = 6, value_w = 100, map_w = 600;
  double cell_w = map_w / double(columns.size());
  size_t rows = 0;
  for (const Json& d : last) rows += d.size();
  double height = 24 + double(rows) * cell_h + double(last.size()) * gap;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"" +
                    html::fixed(label_w + map_w + value_w, 0) + "\" height=\"" + html::fixed(height, 0) +
                    "\" font-family=\"sans-serif\" font-size=\"10\">\n";
  svg += "<text x=\"" + html::fixed(label_w, 0) + "\" y=\"12\">step " + html::escape((*columns.front())["step"].dump()) +
         "</text><text x=\"" + html::fixed(label_w + map_w, 0) + "\" y=\"12\" text-anchor=\"end\">step " +
         html::escape((*columns.back())["step"].dump()) + "</text><text x=\"" + html::fixed(label_w + map_w + 4, 0) +
         "\" y=\"12\">final p</text>\n";
  double y = 20;
  for (size_t d = 0; d < last.size(); ++d) {
    const DecisionLabel* label = d < labels.size() ? &labels[d] : nullptr;
    for (size_t c = 0; c < last[d].size(); ++c) {
      std::string choice = label && c < label->choices.size() ? label->choices[c] : std::to_string(c);
      std::string name = (c == 0 ? (label ? label->name : "decision " + std::to_string(d)) + ": " : "") + choice;
      bool chosen = label && label->chosen == static_cast<int>(c);
      svg += "<text x=\"" + html::fixed(label_w - 4, 0) + "\" y=\"" + html::fixed(y + cell_h - 3, 1) +
             "\" text-anchor=\"end\"" + (chosen ? " font-weight=\"bold\"" : "") + ">" + html::escape(name) + "</text>";
      for (size_t k = 0; k < columns.size(); ++k) {
        const Json& probs = (*columns[k])["probabilities"];
        double p = d < probs.size() && c < probs[d].size() && probs[d][c].is_number() ? probs[d][c].get<double>() : NAN;
        svg += "<rect x=\"" + html::fixed(label_w + double(k) * cell_w, 2) + "\" y=\"" + html::fixed(y, 1) +
               "\" width=\"" + html::fixed(cell_w + 0.3, 2) + "\" height=\"" + html::fixed(cell_h - 1, 1) +
               "\" fill=\"" + heat_colour(p) + "\"/>";
      }
      double p_last = last[d][c].is_number() ? last[d][c].get<double>() : NAN;
      svg += "<text x=\"" + html::fixed(label_w + map_w + 4, 0) + "\" y=\"" + html::fixed(y + cell_h - 3, 1) + "\"" +
             (chosen ? " font-weight=\"bold\"" : "") + ">" + html::fixed(p_last, 2) + (chosen ? " chosen" : "") +
             "</text>\n";
      y += cell_h;
    }
    y += gap;
  }
  return "<div class=\"figure\">" + svg + "</svg></div>\n";
}

std::string headline(const Run& run, const Json& result, const std::vector<Json>& lines, double target_ms) {
  double latency = number(result, "latency_ms");
  if (!std::isfinite(latency) && !lines.empty()) latency = number(lines.back(), "most_likely_latency_ms");
  std::string latency_label = run.finished ? "found network's latency" : "most likely network's latency (so far)";
  std::vector<std::pair<std::string, std::string>> items = {
      {latency_label, "<span class=\"final-latency\" data-value=\"" + html::fixed(latency, 6) + "\">" +
                          html::fixed(latency, 3) + " ms</span>"},
      {"target", html::fixed(target_ms, 3) + " ms" +
                     (std::isfinite(latency) && target_ms > 0
                          ? " <small>(" + std::string(latency >= target_ms ? "+" : "") +
                                html::fixed(100 * (latency / target_ms - 1), 1) + "%)</small>"
                          : "")},
      {"supernet Q, last 10% of steps", html::fixed(tail_mean(series(lines, "q")), 3)},
      {"steps", html::escape(run.progress)}};
  if (result.is_object() && result.contains("on_edgetpu")) {
    items.push_back({"runs fully on the Edge TPU", result["on_edgetpu"].get<bool>() ? "yes" : "<b class=\"bad\">no</b>"});
  }
  double seconds = lines.empty() ? NAN : number(lines.back(), "elapsed_s");
  if (std::isfinite(seconds)) {
    items.push_back({"search time", seconds < 60 ? html::fixed(seconds, 1) + " s" : html::fixed(seconds / 60, 1) + " min"});
  }
  return html::facts(items);
}

std::string settings_line(const Run& run, const Json& result) {
  const Json search = run.config.is_object() ? run.config.value("search", Json::object()) : Json::object();
  std::string hardware = result.is_object() ? result.value("hardware", std::string()) : "";
  if (hardware.empty()) hardware = search.value("hardware", std::string("?"));
  const Json controller = search.value("controller", Json::object());
  return "<p class=\"caption\">space <b>" + html::escape(search.value("space", std::string("?"))) + "</b> on <b>" +
         html::escape(search.value("data", std::string("?"))) + "</b>, hardware <b>" + html::escape(hardware) +
         "</b>, reward " + html::escape(controller.value("reward", std::string("?"))) + ", seed " +
         html::escape(search.value("seed", Json(nullptr)).dump()) + ".</p>\n";
}

Json hardware_profile(const Run& run) {
  if (!run.config.is_object() || !run.config.contains("resolved")) return nullptr;
  return run.config["resolved"].value("hardware", Json(nullptr));
}

// An unfinished search has no arch.json yet: the controller's most likely architecture at the last
// logged step, decoded with the space saved in config.json, stands in for it.
Json most_likely_result(const Run& run, const std::vector<Json>& lines, PageContext& context) {
  if (lines.empty() || !lines.back().contains("most_likely")) return nullptr;
  try {
    const Json& resolved = run.config.at("resolved");
    space::SearchSpace space = space::SearchSpace::from_json(resolved.at("space"), "config.json: resolved.space");
    const Json& input = resolved.at("input");
    space.set_input({input.at(0).get<int>(), input.at(1).get<int>(), input.at(2).get<int>()},
                    resolved.at("classes").get<int>());
    space::ArchSpec arch = space.decode(lines.back()["most_likely"].get<std::vector<int>>());
    return Json{{"arch", space::arch_to_json(arch)},
                {"hardware", run.config.at("search").value("hardware", std::string("coral-usb3"))},
                {"latency_ms", lines.back().value("most_likely_latency_ms", 0.0)}};
  } catch (const std::exception& e) {
    context.warnings.push_back(run.path + ": the most likely architecture could not be decoded (" + e.what() + ")");
    return nullptr;
  }
}

std::string one_target(const Run& run, const Json& result, const std::vector<Json>& lines, double target_ms,
                       PageContext& context) {
  std::string out = headline(run, result, lines, target_ms);
  out += "<h3>Search progress</h3>\n" + progress_plots(lines, target_ms, context);
  out += "<h3>Controller probabilities over time</h3>\n<p class=\"caption\">One row per choice of each decision, "
         "darker = more likely; the chosen choice is in bold.</p>\n";
  out += heat_map(lines, decision_labels(run, result));
  out += architecture_view(result, hardware_profile(run), context);
  return out;
}

}  // namespace

std::string search_section(const Run& run, const std::string& anchor, PageContext& context) {
  std::string out = "<section class=\"run search\" id=\"" + anchor + "\" data-kind=\"search\"><h2>Search: " +
                    html::escape(run.name) + "</h2>\n";
  if (!run.finished) {
    out += "<p class=\"unfinished\">Unfinished: " + html::escape(run.progress) +
           " so far. This report shows what the run has written; the architecture is the controller's most likely "
           "one at the last logged step.</p>\n";
  }
  out += settings_line(run, run.result);
  double target = run.config.is_object() && run.config.contains("search") ? number(run.config["search"], "target_ms")
                                                                          : number(run.result, "target_ms");
  if (run.targets.empty()) {
    Json result = run.result.is_object() ? run.result : most_likely_result(run, run.metrics, context);
    out += one_target(run, result, run.metrics, target, context);
  } else {
    for (size_t k = 0; k < run.targets.size(); ++k) {
      const TargetArch& t = run.targets[k];
      std::vector<Json> lines = target_lines(run.metrics, t.target_ms, k);
      out += "<div class=\"target\" data-target-ms=\"" + html::fixed(t.target_ms, 6) + "\"><h3 class=\"target-title\">"
             "Target " + html::fixed(t.target_ms, 3) + " ms (" +
             html::escape(t.arch_file.empty() ? "no architecture file yet" : t.arch_file) + ")</h3>\n";
      out += one_target(run, t.arch.is_object() ? t.arch : most_likely_result(run, lines, context), lines, t.target_ms,
                        context);
      out += "</div>\n";
    }
  }
  return out + "</section>\n";
}

}  // namespace nasctl::report
