// The numbers each run contributes to the comparison, and the Pareto front.
#include <algorithm>
#include <cmath>
#include <optional>

#include "nasctl/core/error.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/latency/hardware_profile.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/lower.h"
#include "report/html.h"
#include "report/sections.h"

namespace nasctl::report {
namespace {

// The trained network, rebuilt from what config.json records (the arch it resolved, the zoo
// model with the data's input and classes, or the graph file).
std::optional<graph::Graph> trained_network(const Json& config) {
  if (!config.is_object() || !config.contains("resolved")) return std::nullopt;
  const Json& resolved = config["resolved"];
  if (resolved.contains("arch")) return space::lower(space::arch_from_json(resolved["arch"], "config.json: resolved.arch"));
  if (config.contains("model")) {
    const Json& input = resolved.at("network").at("input");
    graph::ZooOptions zoo;
    zoo.input_size = input.at(0).get<int>();
    zoo.channels = input.at(2).get<int>();
    zoo.classes = resolved.at("classes").get<int>();
    zoo.width = config.value("width", 1.0);
    return graph::zoo_model(config["model"].get<std::string>(), zoo);
  }
  if (config.contains("graph")) return graph::load_graph_file(config["graph"].get<std::string>());
  return std::nullopt;
}

double tail_mean_q(const std::vector<Json>& lines) {
  size_t n = std::max<size_t>(1, lines.size() / 10);
  double sum = 0;
  size_t count = 0;
  for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    double q = number(lines[i], "q");
    if (std::isfinite(q)) sum += q, ++count;
  }
  return count ? sum / double(count) : NAN;
}

void summarize_train(const Run& run, RunSummary& s, PageContext& context) {
  const Json network = run.config.is_object() && run.config.contains("resolved")
                           ? run.config["resolved"].value("network", Json::object())
                           : Json::object();
  s.network = network.value("name", std::string());
  s.params = network.value("params", -1LL);
  s.macs = network.value("macs", -1LL);
  // best.ckpt is chosen by EMA top-1 when the run has EMA, else by raw top-1: the same here.
  for (const Json& m : run.metrics) {
    double ema = number(m, "ema_val_top1"), raw = number(m, "val_top1");
    double v = std::isfinite(ema) ? ema : raw;
    if (std::isfinite(v) && !(v <= s.top1)) {
      s.top1 = v;
      s.top1_source = std::isfinite(ema) ? "EMA" : "raw";
    }
  }
  s.hardware = context.hardware;
  try {
    std::optional<graph::Graph> g = trained_network(run.config);
    if (!g) return;
    if (s.params >= 0 && g->stats().params != s.params) {
      context.warnings.push_back(run.path + ": the network rebuilt from config.json has " +
                                 std::to_string(g->stats().params) + " parameters, the run " +
                                 std::to_string(s.params) + "; its latency is left out");
      return;
    }
    s.latency_ms = latency::EdgeTpuModel(latency::load_hardware_profile(context.hardware)).predict_ms(*g);
  } catch (const Error& e) {
    context.warnings.push_back(run.path + ": no predicted latency (" + e.what() + ")");
  }
}

RunSummary search_summary(const Run& run, const std::vector<Json>& lines, const Json& result, const std::string& name) {
  RunSummary s;
  s.name = name;
  s.kind = "search";
  s.top1 = s.latency_ms = NAN;
  s.q = tail_mean_q(lines);
  s.status = run.finished ? "finished" : run.progress;
  if (!result.is_object()) {
    if (!lines.empty()) s.latency_ms = number(lines.back(), "most_likely_latency_ms");
    return s;
  }
  s.hardware = result.value("hardware", std::string());
  s.latency_ms = number(result, "latency_ms");
  try {
    space::ArchSpec arch = space::arch_from_json(result.at("arch"), "arch");
    graph::GraphStats stats = space::lower(arch).stats();
    s.network = arch.name;
    s.params = stats.params;
    s.macs = stats.macs;
  } catch (const std::exception&) {
    // Shown without counts; the search section says why the architecture cannot be drawn.
  }
  return s;
}

}  // namespace

double number(const Json& json, const char* key) {
  if (!json.is_object()) return NAN;
  auto it = json.find(key);
  return it != json.end() && it->is_number() ? it->get<double>() : NAN;
}

std::vector<Json> target_lines(const std::vector<Json>& lines, double target_ms, size_t index) {
  auto same = [&](double t) { return std::abs(t - target_ms) <= 1e-9 * std::max(1.0, std::abs(target_ms)); };
  std::vector<Json> out;
  for (const Json& line : lines) {
    auto it = line.find("controllers");
    if (it != line.end() && it->is_array()) {
      const Json* entry = nullptr;
      for (const Json& c : *it) {
        if (same(number(c, "target_ms"))) entry = &c;
      }
      if (!entry && index < it->size()) entry = &(*it)[index];
      if (!entry) continue;
      Json flat = line;
      flat.erase("controllers");
      flat.update(*entry);
      out.push_back(std::move(flat));
      continue;
    }
    double t = number(line, "target_ms");
    if (!std::isfinite(t) || same(t)) out.push_back(line);
  }
  return out;
}

std::string PageContext::figure(const svg::Figure& fig, const std::string& css_class) {
  return figure(fig.render(), css_class);
}

std::string PageContext::figure(const std::string& svg_document, const std::string& css_class) {
  std::string prefix = "f" + std::to_string(++figures) + "-";
  return "<div class=\"" + css_class + "\">" + html::inline_svg(svg_document, prefix) + "</div>\n";
}

std::vector<RunSummary> summarize(const Run& run, PageContext& context) {
  if (run.kind == RunKind::kSearch) {
    if (run.targets.empty()) return {search_summary(run, run.metrics, run.result, run.name)};
    std::vector<RunSummary> out;
    for (size_t k = 0; k < run.targets.size(); ++k) {
      const TargetArch& t = run.targets[k];
      out.push_back(search_summary(run, target_lines(run.metrics, t.target_ms, k), t.arch,
                                   run.name + " @ " + html::fixed(t.target_ms, 3) + " ms"));
    }
    return out;
  }
  RunSummary s;
  s.name = run.name;
  s.kind = run_kind_name(run.kind);
  s.top1 = s.latency_ms = s.q = NAN;
  s.status = run.finished ? "finished" : run.progress;
  if (run.kind == RunKind::kTrain) {
    summarize_train(run, s, context);
  } else {
    const Json& card = run.result;
    s.network = card.value("name", std::string());
    const Json latency = card.value("latency", Json::object());
    s.hardware = latency.value("hardware", std::string());
    s.latency_ms = number(latency, "predicted_ms");
    const Json network = card.value("network", Json::object());
    s.params = network.value("params", -1LL);
    s.macs = network.value("macs", -1LL);
  }
  return {s};
}

std::vector<size_t> pareto_front(const std::vector<double>& latency_ms, const std::vector<double>& accuracy) {
  std::vector<size_t> order;
  for (size_t i = 0; i < latency_ms.size(); ++i) {
    if (std::isfinite(latency_ms[i]) && std::isfinite(accuracy[i])) order.push_back(i);
  }
  // Fastest first; among equally fast, most accurate first. A point is on the front when it is
  // more accurate than every faster (or equally fast) point before it.
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (latency_ms[a] != latency_ms[b]) return latency_ms[a] < latency_ms[b];
    if (accuracy[a] != accuracy[b]) return accuracy[a] > accuracy[b];
    return a < b;
  });
  std::vector<size_t> front;
  double best = -INFINITY;
  for (size_t i : order) {
    if (accuracy[i] > best) {
      front.push_back(i);
      best = accuracy[i];
    }
  }
  return front;
}

}  // namespace nasctl::report
