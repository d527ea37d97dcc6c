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
    if (line.is_discarded() || !line.is_object() || !line.contains("step")) continue;  // a torn last line
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

Json result_json(const SearchResult& r, const TargetResult& t, const space::SearchSpace& space) {
  return Json{{"format", "nasctl.search_result"},
              {"version", 1},
              {"arch", space::arch_to_json(t.arch)},
              {"latency_ms", t.latency_ms},
              {"target_ms", t.target_ms},
              {"hardware", r.hardware},
              {"on_edgetpu", t.on_edgetpu},
              {"min_latency_ms", r.min_latency_ms},
              {"max_latency_ms", r.max_latency_ms},
              {"indices", t.indices},
              {"steps", r.steps},
              {"decisions", decisions_json(space, t.probabilities, t.indices)}};
}

Json family_json(const SearchResult& r, const space::SearchSpace& space) {
  Json targets = Json::array();
  for (const TargetResult& t : r.targets) {
    targets.push_back({{"target_ms", t.target_ms},
                       {"arch", t.arch_file},
                       {"latency_ms", t.latency_ms},
                       {"on_edgetpu", t.on_edgetpu},
                       {"indices", t.indices},
                       {"spec", space::arch_to_json(t.arch)},
                       {"decisions", decisions_json(space, t.probabilities, t.indices)}});
  }
  return Json{{"format", "nasctl.search_family"},
              {"version", 1},
              {"hardware", r.hardware},
              {"steps", r.steps},
              {"min_latency_ms", r.min_latency_ms},
              {"max_latency_ms", r.max_latency_ms},
              {"targets", targets}};
}

std::vector<Json> target_entries(const Json& line) {
  auto it = line.find("controllers");
  if (it != line.end() && it->is_array()) return std::vector<Json>(it->begin(), it->end());
  return {line};
}

namespace {

// One target's tracks over the run: reward, baseline, Q, sampled and most likely latency.
struct TargetTracks {
  std::vector<double> step, q, reward, baseline, latency, likely_latency;
};

std::vector<TargetTracks> target_tracks(const std::vector<Json>& metrics, size_t count) {
  std::vector<TargetTracks> tracks(count);
  for (const Json& m : metrics) {
    std::vector<Json> entries = target_entries(m);
    for (size_t k = 0; k < count; ++k) {
      Json entry = k < entries.size() ? entries[k] : Json::object();
      tracks[k].step.push_back(number_or_nan(m, "step"));
      tracks[k].q.push_back(number_or_nan(entry, "q"));
      tracks[k].reward.push_back(number_or_nan(entry, "reward"));
      tracks[k].baseline.push_back(number_or_nan(entry, "baseline"));
      tracks[k].latency.push_back(number_or_nan(entry, "latency_ms"));
      tracks[k].likely_latency.push_back(number_or_nan(entry, "most_likely_latency_ms"));
    }
  }
  return tracks;
}

void add_decision_panels(svg::Figure& fig, const std::vector<Json>& metrics, const space::SearchSpace& space) {
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
}

}  // namespace

void write_search_svg(const std::string& path, const std::vector<Json>& metrics, const space::SearchSpace& space,
                      const std::vector<double>& targets_ms, const std::string& title) {
  const bool family = targets_ms.size() > 1;
  std::vector<TargetTracks> tracks = target_tracks(metrics, targets_ms.size());
  svg::Figure fig;
  fig.title = title;
  fig.columns = 2;
  fig.panel_width = 560;
  fig.panel_height = 320;

  svg::Panel& rewards = fig.add_panel(family ? "Reward per target (smoothed)" : "Reward and accuracy (smoothed)");
  rewards.x.label = "step";
  rewards.legend = svg::LegendPosition::kBottomRight;
  svg::Panel& lat = fig.add_panel(family ? "Most likely latency per target (ms)" : "Predicted latency (ms)");
  lat.x.label = "step";
  for (size_t k = 0; k < targets_ms.size(); ++k) {
    const TargetTracks& t = tracks[k];
    const std::string name = Json(targets_ms[k]).dump() + " ms";
    if (family) {
      rewards.add_line("reward, T0 " + name, t.step, smooth(t.reward, 0.95));
      lat.add_line("most likely, T0 " + name, t.step, t.likely_latency);
    } else {
      rewards.add_line("Q (validation batch)", t.step, smooth(t.q, 0.95));
      rewards.add_line("reward", t.step, smooth(t.reward, 0.95));
      rewards.add_line("baseline", t.step, t.baseline).dashed = true;
      lat.add_line("sampled (smoothed)", t.step, smooth(t.latency, 0.95));
      lat.add_line("most likely", t.step, t.likely_latency);
    }
  }
  if (!metrics.empty()) {
    double first = number_or_nan(metrics.front(), "step"), last = number_or_nan(metrics.back(), "step");
    for (double target : targets_ms) {
      std::string name = family ? "target " + Json(target).dump() + " ms" : "target";
      lat.add_line(name, {first, last}, {target, target}).dashed = true;
    }
  }
  if (!family) add_decision_panels(fig, metrics, space);
  fig.save(path);
}

}  // namespace nasctl::search
