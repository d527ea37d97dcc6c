// An export: the model card beside a .tflite (input and output types and quantization, the
// operators and whether each maps to the Edge TPU, the predicted latency).
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "report/html.h"
#include "report/sections.h"

namespace nasctl::report {
namespace {

std::string tensor_rows(const Json& tensors, const std::string& role) {
  std::string out;
  if (!tensors.is_array()) return out;
  for (const Json& t : tensors) {
    const Json q = t.value("quantization", Json(nullptr));
    std::string quant = "none (float)";
    if (q.is_object()) {
      char scale[32];
      std::snprintf(scale, sizeof scale, "%.6g", number(q, "scale"));
      quant = std::string("scale ") + scale + ", zero point " + html::escape(q.value("zero_point", Json(nullptr)).dump());
    }
    out += "<tr><td>" + role + "</td><td>" + html::escape(t.value("name", std::string())) + "</td><td>" +
           html::escape(t.value("shape", Json(nullptr)).dump()) + "</td><td>" +
           html::escape(t.value("dtype", std::string())) + "</td><td>" + quant + "</td></tr>";
  }
  return out;
}

std::string operators(const Json& card) {
  const Json edgetpu = card.value("edgetpu", Json(nullptr));
  std::map<std::string, std::set<std::string>> reasons;  // op -> why it is not mapped
  if (edgetpu.is_object()) {
    for (const Json& issue : edgetpu.value("unsupported", Json::array())) {
      reasons[issue.value("op", std::string())].insert(issue.value("reason", std::string()));
    }
  }
  std::vector<std::vector<html::Cell>> rows;
  const Json ops = card.contains("tflite") ? card["tflite"].value("operators", Json::object()) : Json::object();
  for (auto it = ops.begin(); it != ops.end(); ++it) {
    std::string maps = !edgetpu.is_object() ? "not checked" : reasons.count(it.key()) ? "no" : "yes";
    std::string why;
    for (const std::string& r : reasons[it.key()]) why += (why.empty() ? "" : "; ") + r;
    rows.push_back({html::text_cell(it.key()), html::number_cell(it->get<double>(), 0),
                    {"<span class=\"" + std::string(maps == "no" ? "bad" : "good") + "\">" + maps + "</span>", ""},
                    html::text_cell(why)});
  }
  return html::table({"operator", "count", "on the Edge TPU", "why not"}, rows, "operators");
}

}  // namespace

std::string export_section(const Run& run, const std::string& anchor, PageContext& /*context*/) {
  const Json& card = run.result;
  const Json latency = card.value("latency", Json::object());
  const Json edgetpu = card.value("edgetpu", Json(nullptr));
  const Json network = card.value("network", Json::object());
  std::string out = "<section class=\"run export\" id=\"" + anchor + "\" data-kind=\"export\"><h2>Export: " +
                    html::escape(card.value("model", run.name)) + "</h2>\n";
  std::string on_tpu = "not checked";
  if (edgetpu.is_object()) {
    on_tpu = edgetpu.value("one_partition", false) ? "yes, one partition"
                                                   : "<b class=\"bad\">no</b>: " +
                                                         html::escape(edgetpu.value("cpu_operators", Json(0)).dump()) +
                                                         " of " + html::escape(edgetpu.value("operators", Json(0)).dump()) +
                                                         " operators on the CPU";
  }
  std::string interval;  // the model's prediction interval, when the card has one
  if (std::isfinite(number(latency, "predicted_lo_ms")) && std::isfinite(number(latency, "predicted_hi_ms"))) {
    interval = " <small>(" + html::fixed(number(latency, "predicted_lo_ms"), 3) + " to " +
               html::fixed(number(latency, "predicted_hi_ms"), 3) + ", " +
               html::percent(number(latency, "interval_coverage"), 0) + " interval)</small>";
  }
  out += html::facts({{"precision", html::escape(card.value("precision", std::string("?")))},
                      {"predicted latency (" + latency.value("hardware", std::string("?")) + ")",
                       "<span class=\"final-latency\" data-value=\"" + html::fixed(number(latency, "predicted_ms"), 6) +
                           "\">" + html::fixed(number(latency, "predicted_ms"), 3) + " ms</span>" + interval},
                      {"Edge TPU", on_tpu},
                      {"parameters", html::grouped(network.value("params", 0LL))},
                      {"MACs", html::grouped(network.value("macs", 0LL))}});
  out += "<p class=\"caption\">Model card " + html::escape(run.path) + " for network <b>" +
         html::escape(card.value("name", std::string("?"))) + "</b>, " +
         html::escape(card.value("classes", Json(nullptr)).dump()) + " classes. " +
         html::escape(card.value("feeding", std::string())) + " Output: " +
         html::escape(card.contains("output") ? card["output"].value("meaning", std::string()) : std::string()) +
         ".</p>\n";
  const Json input = card.value("input", Json::object());
  const Json output = card.value("output", Json::object());
  out += "<table class=\"tensors\"><thead><tr><th></th><th>tensor</th><th>shape</th><th>type</th><th>quantization</th>"
         "</tr></thead><tbody>" +
         tensor_rows(input.value("tensors", Json::array()), "input") +
         tensor_rows(output.value("tensors", Json::array()), "output") + "</tbody></table>\n";
  out += "<h3>Operators</h3>\n" + operators(card);
  if (edgetpu.is_object() && edgetpu.contains("cut")) {
    out += "<p class=\"caption\">The compiler maps operators up to op " +
           html::escape(edgetpu["cut"].value("op_index", Json(nullptr)).dump()) + " (node " +
           html::escape(edgetpu["cut"].value("node", Json(nullptr)).dump()) +
           "); it and every later operator run on the CPU.</p>\n";
  }
  const Json source = card.value("source", Json::object());
  if (source.is_object() && source.value("checkpoint", Json(nullptr)).is_string()) {
    out += "<p class=\"caption\">Exported from <code class=\"checkpoint\">" +
           html::escape(source["checkpoint"].get<std::string>()) + "</code> (" +
           html::escape(source.value("weights", std::string("?"))) + " weights).</p>\n";
  }
  return out + "</section>\n";
}

}  // namespace nasctl::report
