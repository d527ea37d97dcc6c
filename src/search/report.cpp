#include "search/report.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "nasctl/core/error.h"
#include "nasctl/core/svg.h"

namespace nasctl::search {
namespace {

double number_or_nan(const Json& line, const char* key) {
  auto it = line.find(key);
  return it != line.end() && it->is_number() ? it->get<double>() : std::nan("");
}

// Exponential smoothing that ignores gaps (NaN), to see trends in per-step noisy values.
std::vector<double> smooth(const std::vector<double>& values, double momentum) {
  std::vector<double> out;
  double state = std::nan("");
  for (double v : values) {
    if (std::isfinite(v)) state = std::isfinite(state) ? momentum * state + (1 - momentum) * v : v;
    out.push_back(state);
  }
  return out;
}

std::string choice_label(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

}  // namespace

std::vector<Json> read_metrics_lines(const std::string& path, int64_t max_step) {
  std::vector<Json> lines;
  std::ifstream in(path);
  if (!in) return lines;
  std::string text;
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    Json line = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_discarded() || !line.is_object() || !line.contains("step") || !line["step"].is_number_integer())
      continue;  // a torn last line
    if (line["step"].get<int64_t>() <= max_step) lines.push_back(std::move(line));
  }
  return lines;
}

void append_metrics_line(const std::string& path, const Json& line) {
  std::ofstream out(path, std::ios::app);
  out << line.dump() << "\n";
  out.flush();
  if (!out) throw runtime_error("cannot append to " + path);
}

Json decisions_json(const space::SearchSpace& space, const LogitTable& probabilities, const std::vector<int>& chosen) {
  std::vector<bool> active = space.active(chosen);
  Json out = Json::array();
  for (size_t d = 0; d < space.decisions().size(); ++d) {
    const space::Decision& decision = space.decisions()[d];
    out.push_back({{"name", decision.name},
                   {"kind", space::decision_kind_name(decision.kind)},
                   {"choices", decision.choices},
                   {"probabilities", probabilities.at(d)},
                   {"chosen", chosen[d]},
                   {"active", static_cast<bool>(active[d])}});
  }
  return out;
}

Json result_json(const SearchResult& r, const space::SearchSpace& space) {
  return Json{{"format", "nasctl.search_result"},
              {"version", 1},
              {"arch", space::arch_to_json(r.arch)},
              {"latency_ms", r.latency_ms},
              {"target_ms", r.target_ms},
              {"hardware", r.hardware},
              {"on_edgetpu", r.on_edgetpu},
              {"min_latency_ms", r.min_latency_ms},
              {"max_latency_ms", r.max_latency_ms},
              {"indices", r.indices},
              {"steps", r.steps},
              {"decisions", decisions_json(space, r.probabilities, r.indices)}};
}

void write_search_svg(const std::string& path, const std::vector<Json>& metrics, const space::SearchSpace& space,
                      double target_ms, const std::string& title) {
  std::vector<double> step, q, reward, baseline, latency, likely_latency;
  for (const Json& m : metrics) {
    step.push_back(number_or_nan(m, "step"));
    q.push_back(number_or_nan(m, "q"));
    reward.push_back(number_or_nan(m, "reward"));
    baseline.push_back(number_or_nan(m, "baseline"));
    latency.push_back(number_or_nan(m, "latency_ms"));
    likely_latency.push_back(number_or_nan(m, "most_likely_latency_ms"));
  }
  svg::Figure fig;
  fig.title = title;
  fig.columns = 2;
  fig.panel_width = 560;
  fig.panel_height = 320;

  svg::Panel& rewards = fig.add_panel("Reward and accuracy (smoothed)");
  rewards.x.label = "step";
  rewards.add_line("Q (validation batch)", step, smooth(q, 0.95));
  rewards.add_line("reward", step, smooth(reward, 0.95));
  rewards.add_line("baseline", step, baseline).dashed = true;
  rewards.legend = svg::LegendPosition::kBottomRight;

  svg::Panel& lat = fig.add_panel("Predicted latency (ms)");
  lat.x.label = "step";
  lat.add_line("sampled (smoothed)", step, smooth(latency, 0.95));
  lat.add_line("most likely", step, likely_latency);
  if (!step.empty()) lat.add_line("target", {step.front(), step.back()}, {target_ms, target_ms}).dashed = true;

  // Probabilities are logged every few steps.
  for (size_t d = 0; d < space.decisions().size(); ++d) {
    const space::Decision& decision = space.decisions()[d];
    svg::Panel& panel = fig.add_panel(decision.name);
    panel.x.label = "step";
    panel.y.min = 0;
    panel.y.max = 1;
    panel.legend = svg::LegendPosition::kTopLeft;
    for (size_t c = 0; c < decision.choices.size(); ++c) {
      std::vector<double> xs, ps;
      for (const Json& m : metrics) {
        auto it = m.find("probabilities");
        if (it == m.end() || !it->is_array() || it->size() <= d) continue;
        xs.push_back(m["step"].get<double>());
        ps.push_back((*it)[d].at(c).get<double>());
      }
      panel.add_line(choice_label(decision.choices[c]), xs, ps);
    }
  }
  fig.save(path);
}

}  // namespace nasctl::search
