// `nasctl latency`: predicted Edge TPU latency of a network, per layer; `--batch` for many
// networks; `nasctl latency calibrate`: fit a hardware profile to measured latencies.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>

#include "cli/app.h"
#include "cli/format.h"
#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/graph/nb201.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/latency/calibration_run.h"
#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/latency/report.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/network_source.h"

namespace nasctl::cli {
namespace {

struct LatencyOptions {
  space::NetworkSource source;        ///< --model / --graph / --arch
  std::string nb201;                  ///< --nb201 ARCH_STR; default none
  std::string hardware = "coral-usb3";  ///< --hardware NAME|FILE; default coral-usb3
  int input_size = 0;                 ///< --input-size; default 0 = the network's own
  int classes = 1000;                 ///< --classes; default 1000
  int channels = 3;                   ///< --channels: input channels of zoo networks; default 3
  double width = 1.0;                 ///< --width: width multiplier of zoo MobileNets; default 1.0
  bool json = false;                  ///< --json
  std::string plot;                   ///< --plot FILE.svg; default none
  std::string batch;                  ///< --batch FILE.jsonl; default none

  void validate() const {
    graph::check_zoo_request(input_size, classes, "--input-size", "--classes");
    if (channels <= 0) throw Error("--channels must be > 0, but got " + std::to_string(channels));
    if (!(width > 0)) throw Error("--width must be > 0, but got " + Json(width).dump());
    int sources = !source.model.empty() + !source.graph_file.empty() + !source.arch_file.empty() + !nb201.empty();
    if (!batch.empty() && sources > 0) throw Error("--batch takes its networks from the file: drop --model/--graph/--arch/--nb201");
    if (batch.empty() && sources != 1)
      throw Error("give exactly one of --model NAME, --graph FILE, --arch FILE, --nb201 ARCH_STR or --batch FILE.jsonl");
    if (!batch.empty() && (!plot.empty() || json)) throw Error("--batch writes JSON lines; --plot and --json do not apply");
  }
};

struct CalibrateCommand {
  latency::CalibrationRequest request;  ///< --hardware, --measurements, --out, --chip-from, --free, --cv, ...
  bool json = false;                    ///< --json
};

std::string ms(double v) { return fixed(v, 3); }
std::string us(double seconds) { return fixed(seconds * 1e6, 1); }

graph::Graph load_graph(const LatencyOptions& o) {
  if (!o.nb201.empty()) {
    graph::Nb201Options nb;
    if (o.input_size > 0) nb.input_size = o.input_size;
    if (o.classes != 1000) nb.classes = o.classes;
    return graph::nb201_graph(o.nb201, nb);
  }
  space::NetworkSource source = o.source;
  source.zoo.input_size = o.input_size;
  source.zoo.classes = o.classes;
  source.zoo.channels = o.channels;
  source.zoo.width = o.width;
  return space::load_network(source);
}

void print_report(const graph::Graph& g, const latency::LatencyReport& r) {
  std::cout << r.network << " on " << r.hardware << ": " << ms(r.total_ms) << " ms";
  if (r.interval_coverage > 0) {
    std::cout << " (" << int(std::lround(100 * r.interval_coverage)) << " % interval " << ms(r.lo_ms) << " .. " << ms(r.hi_ms)
              << " ms, " << latency::op_mix_name(r.mix) << " networks)";
  }
  std::cout << "\n"
            << "  Edge TPU ops " << ms(r.edgetpu_ms) << " ms, host transfers " << ms(r.transfer_ms)
            << " ms, per-inference overhead " << ms(r.overhead_ms) << " ms";
  if (!r.on_edgetpu) std::cout << ", host CPU (estimate) " << ms(r.cpu_ms) << " ms";
  std::cout << "\n  parameters: " << kib(r.cached_param_bytes) << " KiB cached on chip, " << kib(r.streamed_param_bytes)
            << " KiB streamed over the host link per inference\n";
  if (!r.on_edgetpu) {
    std::cout << "  NOT fully on the Edge TPU: the compiler cuts the graph at '" << g.nodes[size_t(r.cut_node)].id
              << "'; it and every op after it run on the host CPU\n";
    for (const latency::UnsupportedOp& u : r.unsupported) std::cout << "    " << u.id << ": " << u.reason << "\n";
  }
  TextTable table({"id", "op", "output", "MACs", "cached KiB", "streamed KiB", "compute us", "memory us", "weights us",
                   "time us", "bound", "share"},
                  {false, false, true, true, true, true, true, true, true, true, false, true});
  const std::vector<std::string> labels = latency::fused_labels(g, r);
  for (const latency::OpCost& c : r.ops) {
    if (c.bound == latency::Bound::kFused) continue;
    const graph::Node& n = g.nodes[size_t(c.node)];
    table.add_row({n.id, labels[size_t(c.node)], n.output.str(), with_commas(n.macs), kib(c.cached_bytes),
                   kib(c.streamed_bytes), us(c.compute_s), us(c.memory_s), us(c.weights_s), us(c.time_s),
                   latency::bound_name(c.bound), percent(c.time_s / (r.total_ms * 1e-3), 1)});
  }
  std::cout << table.str();
}

/// The result line of one --batch line (graph v1 or ArchSpec JSON); `where` is "file:line".
Json batch_result(const std::string& line, const std::string& where, const latency::EdgeTpuModel& model) {
  Json json = parse_json(line, where);
  graph::Graph g = space::is_arch_json(json) ? space::lower(space::arch_from_json(json, where))
                                              : graph::graph_from_json(json, where);
  bool on_edgetpu = latency::first_unsupported_node(g) < 0;
  latency::LatencyPrediction p = model.predict_interval(g);
  return {{"name", g.name}, {"latency_ms", p.ms}, {"latency_lo_ms", p.lo_ms}, {"latency_hi_ms", p.hi_ms},
          {"on_edgetpu", on_edgetpu}};
}

/// One network per line -> one result line. A bad line costs one error line on stderr (naming
/// file and line) and the rest still run; any bad line makes the command fail at the end.
void run_batch(const LatencyOptions& o, const latency::EdgeTpuModel& model) {
  std::ifstream in(o.batch);
  if (!in) throw Error(o.batch + ": cannot open file");
  std::string line;
  int networks = 0, failed = 0;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = o.batch + ":" + std::to_string(number);
    ++networks;
    try {
      std::cout << batch_result(line, where, model).dump() << "\n";
    } catch (const Error& e) {
      std::string message = e.what();
      if (message.rfind(where, 0) != 0) message = where + ": " + message;
      std::cout.flush();  // keeps stdout and stderr in line order when both go to one terminal
      std::cerr << "nasctl: error: " << message << "\n";
      ++failed;
    }
  }
  if (failed > 0) {
    throw Error(o.batch + ": " + std::to_string(failed) + " of " + std::to_string(networks) +
                " networks could not be read (see the errors above)");
  }
}

void run_latency(const LatencyOptions& o) {
  o.validate();
  latency::EdgeTpuModel model(latency::load_hardware_profile(o.hardware));
  if (!o.batch.empty()) {
    run_batch(o, model);
    return;
  }
  graph::Graph g = load_graph(o);
  latency::LatencyReport r = model.predict(g);
  if (!o.plot.empty()) write_file_atomic(o.plot, latency::report_svg(g, r, model));
  if (o.json) {
    std::cout << latency::report_to_json(g, r).dump(2) << "\n";
  } else {
    print_report(g, r);
  }
}

void print_stats_table(const std::string& title, const Json& by_file) {
  std::cout << title << "\n";
  TextTable table({"measurements", "n", "median |err|", "mean |err|", "max |err|", "within 10%", "within 20%", "Spearman"},
                  {false, true, true, true, true, true, true, true});
  auto pct = [](const Json& v) { return percent(v.get<double>(), 1); };
  for (const auto& item : by_file.items()) {
    const Json& s = item.value();
    table.add_row({item.key(), std::to_string(s["n"].get<int>()), pct(s["median_abs_rel_error"]), pct(s["mean_abs_rel_error"]),
                   pct(s["max_abs_rel_error"]), pct(s["within_10pct"]), pct(s["within_20pct"]), fixed(s["spearman"].get<double>(), 3)});
  }
  std::cout << table.str();
}

void print_calibration(const latency::CalibrationReport& r, const latency::CalibrationRequest& o) {
  std::cout << "calibrated " << r.base.name << " (" << r.base.device << ") on " << r.measurements << " measurements: "
            << r.fit.iterations << " iterations" << (r.fit.converged ? "" : " (not converged)") << "\n";
  TextTable params({"constant", "before", "after", "unit", ""}, {false, true, true, false, false});
  for (const latency::FittedParam& p : r.fit.params) {
    const latency::ProfileParam& info = latency::profile_params()[size_t(latency::profile_param_index(p.key))];
    params.add_row({p.key, significant(p.before), significant(p.after), info.unit,
                    p.at_bound ? "at the edge of its range" : ""});
  }
  std::cout << params.str();
  print_stats_table("fit before calibration:", r.before);
  print_stats_table("fit after calibration:", r.calibration["fit"]);
  if (r.calibration.contains("cross_validation"))
    print_stats_table(std::to_string(o.cv_folds) + "-fold cross-validation (each measurement predicted by a fit that did not see it):",
                      r.calibration["cross_validation"]["held_out"]);
  if (!o.out.empty()) std::cout << "wrote " << o.out << "\n";
}

void add_calibrate_command(CLI::App& latency, const GlobalOptions& global) {
  auto c = std::make_shared<CalibrateCommand>();
  latency::CalibrationRequest* options = &c->request;
  CLI::App* cmd = latency.add_subcommand("calibrate", "Fit a hardware profile's free constants to measured latencies");
  cmd->add_option("--hardware", options->hardware, "Base profile: built-in name or JSON file")->required();
  cmd->add_option("--measurements", options->measurements, "Measurement JSON files")->required()->expected(1, -1);
  cmd->add_option("--out", options->out, "Write the calibrated profile to this file");
  cmd->add_option("--chip-from", options->chip_from, "Take the chip constants from this calibrated profile (same Edge TPU)");
  cmd->add_option("--free", options->fit.free, "Constants to fit (default: those marked \"fit\": true in the base)");
  cmd->add_option("--loss-scale", options->fit.loss_scale, "Soft-L1 scale on log(predicted/measured)")->capture_default_str();
  cmd->add_flag("--point-weights", [options](int64_t) { options->fit.equal_file_weights = false; },
                "Weigh every measurement alike (default: every file alike)");
  cmd->add_option("--max-iterations", options->fit.max_iterations, "Levenberg-Marquardt iterations")->capture_default_str();
  cmd->add_option("--cv", options->cv_folds,
                  "Also run K-fold cross-validation holding out whole network groups (zoo families, cell "
                  "topologies), report held-out accuracy and store 80 % prediction intervals from it");
  cmd->add_flag("--json", c->json, "Machine-readable output");
  cmd->callback([c, &global] {
    c->request.seed = global.seed;
    latency::CalibrationReport report = latency::calibrate_profile(c->request);
    for (const std::string& w : report.fit.warnings) spdlog::warn("{}", w);
    if (c->json) {
      std::cout << report.to_json().dump(2) << "\n";
    } else {
      print_calibration(report, c->request);
    }
  });
}

}  // namespace

void add_latency_command(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<LatencyOptions>();
  CLI::App* cmd = app.add_subcommand("latency", "Predicted Edge TPU latency of a network, per layer (or calibrate a profile)");
  cmd->add_option("--model", options->source.model, "Zoo network NAME");
  cmd->add_option("--graph", options->source.graph_file, "graph v1 JSON file");
  cmd->add_option("--arch", options->source.arch_file, "ArchSpec JSON file");
  cmd->add_option("--nb201", options->nb201, "NAS-Bench-201 arch string (the LatBench network)");
  cmd->add_option("--hardware", options->hardware, "Hardware profile: built-in name or JSON file")->capture_default_str();
  cmd->add_option("--input-size", options->input_size, "Square input size (default: the network's own)");
  cmd->add_option("--classes", options->classes, "Classifier outputs")->capture_default_str();
  cmd->add_option("--channels", options->channels, "Input channels of a zoo network (1 for gray images)")
      ->capture_default_str();
  cmd->add_option("--width", options->width, "Width multiplier of a zoo MobileNet")->capture_default_str();
  cmd->add_flag("--json", options->json, "Machine-readable output");
  cmd->add_option("--plot", options->plot, "Write a roofline + per-layer SVG to FILE");
  cmd->add_option("--batch", options->batch, "JSON lines of graph v1 / ArchSpec networks -> one result line each");
  add_calibrate_command(*cmd, global);
  cmd->require_subcommand(0, 1);
  cmd->callback([options, cmd] {
    if (cmd->get_subcommands().empty()) run_latency(*options);
  });
}

}  // namespace nasctl::cli
