// A training run: headline numbers, loss / top-1 / learning rate / throughput per epoch, the
// per-class accuracy and confusion matrix of an evaluation saved beside it, the checkpoints.
#include <cmath>

#include "report/html.h"
#include "report/sections.h"

namespace nasctl::report {
namespace {

std::vector<double> series(const std::vector<Json>& lines, const char* key, double scale = 1) {
  std::vector<double> out;
  for (const Json& l : lines) out.push_back(scale * number(l, key));
  return out;
}

bool any_finite(const std::vector<double>& values) {
  for (double v : values) {
    if (std::isfinite(v)) return true;
  }
  return false;
}

std::string curves(const std::vector<Json>& lines, PageContext& context) {
  std::vector<double> epoch = series(lines, "epoch");
  svg::Figure fig;
  fig.columns = 2;
  fig.panel_width = 560;
  fig.panel_height = 300;
  svg::Panel& loss = fig.add_panel("Loss");
  loss.x.label = "epoch";
  loss.add_line("train (smoothed labels)", epoch, series(lines, "train_loss")).markers = true;
  loss.add_line("val", epoch, series(lines, "val_loss")).markers = true;
  svg::Panel& acc = fig.add_panel("Top-1 (%)");
  acc.x.label = "epoch";
  acc.legend = svg::LegendPosition::kBottomRight;
  acc.add_line("train (augmented)", epoch, series(lines, "train_top1", 100)).markers = true;
  acc.add_line("val, raw weights", epoch, series(lines, "val_top1", 100)).markers = true;
  std::vector<double> ema = series(lines, "ema_val_top1", 100);
  if (any_finite(ema)) acc.add_line("val, EMA weights", epoch, ema).markers = true;
  svg::Panel& lr = fig.add_panel("Learning rate (last step of the epoch)");
  lr.x.label = "epoch";
  lr.legend = svg::LegendPosition::kNone;
  lr.y.min = 0;
  lr.add_line("lr", epoch, series(lines, "lr")).markers = true;
  svg::Panel& speed = fig.add_panel("Training throughput (images/s)");
  speed.x.label = "epoch";
  speed.legend = svg::LegendPosition::kNone;
  speed.y.min = 0;
  speed.add_line("images/s", epoch, series(lines, "images_per_s")).markers = true;
  return context.figure(fig, "figure curves");
}

std::string network_line(const Run& run) {
  if (!run.config.is_object()) return "";
  const Json resolved = run.config.value("resolved", Json::object());
  const Json network = resolved.value("network", Json::object());
  std::string source = run.config.contains("arch")    ? "architecture " + run.config["arch"].get<std::string>()
                       : run.config.contains("graph") ? "graph " + run.config["graph"].get<std::string>()
                                                      : "zoo model " + run.config.value("model", std::string("?"));
  const Json optimizer = run.config.value("optimizer", Json::object());
  return "<p class=\"caption\">Network <b>" + html::escape(network.value("name", std::string("?"))) + "</b> (" +
         html::escape(source) + ", " + html::grouped(network.value("params", 0LL)) + " parameters, " +
         html::grouped(network.value("macs", 0LL)) + " MACs) on <b>" +
         html::escape(run.config.value("data", std::string("?"))) + "</b>; " +
         html::escape(optimizer.value("name", std::string("?"))) + ", batch " +
         html::escape(resolved.value("global_batch", Json(nullptr)).dump()) + ", peak lr " +
         html::fixed(number(resolved, "peak_lr"), 4) + ", EMA decay " + html::fixed(number(run.config, "ema_decay"), 4) +
         ".</p>\n";
}

std::string checkpoints(const Run& run) {
  std::string out = "<p class=\"caption\">Checkpoints: ";
  if (run.checkpoints.empty()) return out + "none yet.</p>\n";
  for (size_t i = 0; i < run.checkpoints.size(); ++i) {
    out += (i ? ", " : "") + std::string("<code class=\"checkpoint\">") + html::escape(run.path + "/" + run.checkpoints[i]) +
           "</code>";
  }
  return out + " (best.ckpt holds the epoch with the best " +
         (run.config.value("ema_decay", 0.0) > 0 ? std::string("EMA") : std::string("raw")) + " validation top-1).</p>\n";
}

// `nasctl eval --per-class --json` saved as RUN_DIR/eval.json: per-class top-1, and the confusion
// matrix when it carries one.
std::string evaluation(const Run& run, PageContext& context) {
  const Json& eval = run.result;
  if (!eval.is_object()) return "";
  std::string out = "<h3>Evaluation (eval.json)</h3>\n<p class=\"caption\">" +
                    html::escape(eval.value("checkpoint", std::string("?"))) + ", " +
                    html::escape(eval.value("weights", std::string("?"))) + " weights, on " +
                    html::escape(eval.value("data", std::string("?"))) + ": top-1 <b>" +
                    html::percent(number(eval, "top1")) + "</b>, top-5 " + html::percent(number(eval, "top5")) +
                    ".</p>\n";
  if (eval.contains("per_class") && eval["per_class"].is_array()) {
    svg::Figure fig;
    fig.panel_width = 1120;
    fig.panel_height = 280;
    svg::Panel& panel = fig.add_panel("Top-1 per class (%)");
    panel.legend = svg::LegendPosition::kNone;
    std::vector<double> values;
    std::vector<std::string> tips;
    for (const Json& c : eval["per_class"]) {
      std::string name = c.value("name", std::string());
      panel.categories.push_back(name.empty() ? c.value("class", Json(nullptr)).dump() : name);
      values.push_back(100 * number(c, "top1"));
      tips.push_back(panel.categories.back() + ": " + html::fixed(values.back(), 2) + "% of " +
                     c.value("images", Json(nullptr)).dump());
    }
    panel.y.min = 0;
    panel.y.max = 100;
    panel.add_bars("top-1", values).tooltips = tips;
    out += context.figure(fig, "figure per-class");
  }
  if (eval.contains("confusion") && eval["confusion"].is_array()) {
    const Json& m = eval["confusion"];
    out += "<table class=\"confusion\"><caption>Confusion matrix (rows: true class, columns: predicted)</caption>";
    for (size_t t = 0; t < m.size(); ++t) {
      double row_total = 0;
      for (const Json& v : m[t]) row_total += v.is_number() ? v.get<double>() : 0;
      out += "<tr><th>" + std::to_string(t) + "</th>";
      for (const Json& v : m[t]) {
        double share = row_total > 0 && v.is_number() ? v.get<double>() / row_total : 0;
        out += "<td style=\"background:rgba(8,48,107," + html::fixed(share, 2) + ");color:" +
               (share > 0.5 ? "#fff" : "#222") + "\">" + v.dump() + "</td>";
      }
      out += "</tr>";
    }
    out += "</table>\n";
  }
  return out;
}

}  // namespace

std::string train_section(const Run& run, const RunSummary& summary, const std::string& anchor, PageContext& context) {
  std::string out = "<section class=\"run training\" id=\"" + anchor + "\" data-kind=\"training\"><h2>Training: " +
                    html::escape(run.name) + "</h2>\n";
  if (!run.finished) {
    out += "<p class=\"unfinished\">Unfinished: " + html::escape(run.progress) +
           " so far. This report shows the epochs the run has written.</p>\n";
  }
  out += network_line(run);
  const Json last = run.metrics.empty() ? Json::object() : run.metrics.back();
  out += html::facts({
      {"best val top-1 (" + (summary.top1_source.empty() ? std::string("none yet") : summary.top1_source) + ")",
       "<span class=\"final-top1\" data-value=\"" + html::fixed(summary.top1, 6) + "\">" + html::percent(summary.top1) +
           "</span>"},
      {"last val top-1 raw / EMA",
       html::percent(number(last, "val_top1")) + " / " + html::percent(number(last, "ema_val_top1"))},
      {"predicted latency (" + summary.hardware + ")", html::fixed(summary.latency_ms, 3) + " ms"},
      {"epochs", html::escape(run.progress)},
      {"throughput", html::fixed(number(last, "images_per_s"), 0) + " img/s"},
  });
  out += "<h3>Curves</h3>\n";
  out += run.metrics.empty() ? "<p class=\"note\">No epoch has finished yet.</p>\n" : curves(run.metrics, context);
  out += evaluation(run, context);
  out += checkpoints(run);
  return out + "</section>\n";
}

}  // namespace nasctl::report
