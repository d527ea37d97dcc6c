// `nasctl latency`: predicted Edge TPU latency of a network, per layer; `--batch` for many
// networks; `nasctl latency calibrate`: fit a hardware profile to measured latencies.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/app.h"
#include "cli/format.h"
#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/graph/nb201.h"
#include "nasctl/latency/calibration.h"
#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/latency/report.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/network_source.h"

#include <spdlog/spdlog.h>

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
    if (input_size < 0) throw Error("--input-size must be > 0, but got " + std::to_string(input_size));
    if (classes <= 0) throw Error("--classes must be > 0, but got " + std::to_string(classes));
    if (channels <= 0) throw Error("--channels must be > 0, but got " + std::to_string(channels));
    if (!(width > 0)) throw Error("--width must be > 0, but got " + Json(width).dump());
    int sources = !source.model.empty() + !source.graph_file.empty() + !source.arch_file.empty() + !nb201.empty();
    if (!batch.empty() && sources > 0) throw Error("--batch takes its networks from the file: drop --model/--graph/--arch/--nb201");
    if (batch.empty() && sources != 1)
      throw Error("give exactly one of --model NAME, --graph FILE, --arch FILE, --nb201 ARCH_STR or --batch FILE.jsonl");
    if (!batch.empty() && (!plot.empty() || json)) throw Error("--batch writes JSON lines; --plot and --json do not apply");
  }
};

struct CalibrateOptions {
  std::string hardware;                  ///< --hardware BASE (required)
  std::vector<std::string> measurements; ///< --measurements FILE... (required)
  std::string out;                       ///< --out PROFILE.json; default none (report only)
  std::string chip_from;                 ///< --chip-from PROFILE; default none
  latency::CalibrationOptions fit;       ///< --free, --loss-scale, --point-weights, --max-iterations
  int cv_folds = 0;                      ///< --cv K; default 0 = no cross-validation
  bool json = false;                     ///< --json

  void validate() const {
    if (hardware.empty()) throw Error("--hardware is required: the base profile to calibrate");
    if (measurements.empty()) throw Error("--measurements needs at least one file");
    if (cv_folds == 1 || cv_folds < 0) throw Error("--cv must be 0 (off) or >= 2, but got " + std::to_string(cv_folds));
    if (!(fit.loss_scale > 0)) throw Error("--loss-scale must be > 0, but got " + std::to_string(fit.loss_scale));
    if (fit.max_iterations < 1) throw Error("--max-iterations must be >= 1, but got " + std::to_string(fit.max_iterations));
  }
};

std::string ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string us(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", seconds * 1e6);
  return buf;
}

std::string kib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", double(bytes) / 1024.0);
  return buf;
}

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
    char share[16];
    std::snprintf(share, sizeof share, "%.1f%%", 100.0 * c.time_s / (r.total_ms * 1e-3));
    table.add_row({n.id, labels[size_t(c.node)], n.output.str(), with_commas(n.macs), kib(c.cached_bytes),
                   kib(c.streamed_bytes), us(c.compute_s), us(c.memory_s), us(c.weights_s), us(c.time_s),
                   latency::bound_name(c.bound), share});
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

std::string base_name(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// The command line that reproduces a calibration, without this machine's directories.
std::string calibrate_command(const CalibrateOptions& o) {
  std::string cmd = "nasctl latency calibrate --hardware " + base_name(o.hardware);
  if (!o.chip_from.empty()) cmd += " --chip-from " + base_name(o.chip_from);
  cmd += " --measurements";
  for (const std::string& m : o.measurements) cmd += " " + base_name(m);
  for (const std::string& f : o.fit.free) cmd += " --free " + f;
  if (o.fit.loss_scale != latency::CalibrationOptions().loss_scale) cmd += " --loss-scale " + std::to_string(o.fit.loss_scale);
  if (!o.fit.equal_file_weights) cmd += " --point-weights";
  if (!o.out.empty()) cmd += " --out " + base_name(o.out);
  return cmd;
}

/// The chip constants (array, clock, throughputs, SRAM) are the same on every Edge TPU system.
void copy_chip_constants(latency::HardwareProfile& base, const latency::HardwareProfile& from) {
  const auto& table = latency::profile_params();
  for (size_t k = 0; k < table.size(); ++k) {
    std::string key = table[k].key;
    if (key == "host_bandwidth") break;  // the host link, runtime and CPU follow the chip constants
    base.*table[k].member = from.*table[k].member;
    base.sources[k] = "same Edge TPU chip as " + from.name + ": " + from.sources[k];
    base.fit[k] = false;
  }
}

Json stats_json(const latency::FitStats& s) {
  return {{"n", s.n},
          {"median_abs_rel_error", s.median_abs_rel_error},
          {"mean_abs_rel_error", s.mean_abs_rel_error},
          {"max_abs_rel_error", s.max_abs_rel_error},
          {"within_10pct", s.within_10pct},
          {"within_20pct", s.within_20pct},
          {"spearman", s.spearman},
          {"rms_log_error", s.rms_log_error}};
}

/// Stats of `predicted` against the measurements, overall and per file.
Json stats_by_file(const std::vector<latency::Measurement>& data, const std::vector<double>& predicted) {
  Json out = Json::object();
  std::vector<std::string> files;
  for (const latency::Measurement& m : data)
    if (std::find(files.begin(), files.end(), m.file) == files.end()) files.push_back(m.file);
  std::vector<double> all_measured;
  for (const latency::Measurement& m : data) all_measured.push_back(m.latency_ms);
  out["all"] = stats_json(latency::fit_stats(predicted, all_measured));
  for (const std::string& f : files) {
    std::vector<double> p, m;
    for (size_t i = 0; i < data.size(); ++i)
      if (data[i].file == f) p.push_back(predicted[i]), m.push_back(data[i].latency_ms);
    out[f] = stats_json(latency::fit_stats(p, m));
  }
  return out;
}

void print_stats_table(const std::string& title, const Json& by_file) {
  std::cout << title << "\n";
  TextTable table({"measurements", "n", "median |err|", "mean |err|", "max |err|", "within 10%", "within 20%", "Spearman"},
                  {false, true, true, true, true, true, true, true});
  auto pct = [](double v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100 * v);
    return std::string(buf);
  };
  for (const auto& item : by_file.items()) {
    const Json& s = item.value();
    char rho[16];
    std::snprintf(rho, sizeof rho, "%.3f", s["spearman"].get<double>());
    table.add_row({item.key(), std::to_string(s["n"].get<int>()), pct(s["median_abs_rel_error"]), pct(s["mean_abs_rel_error"]),
                   pct(s["max_abs_rel_error"]), pct(s["within_10pct"]), pct(s["within_20pct"]), rho});
  }
  std::cout << table.str();
}

void run_calibrate(const CalibrateOptions& o, uint64_t seed) {
  o.validate();
  latency::HardwareProfile base = latency::load_hardware_profile(o.hardware);
  if (!o.chip_from.empty()) copy_chip_constants(base, latency::load_hardware_profile(o.chip_from));
  std::vector<latency::Measurement> data;
  for (const std::string& file : o.measurements) {
    std::vector<latency::Measurement> part = latency::load_measurements(file, base.device);
    data.insert(data.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  latency::CalibrationResult fit = latency::calibrate(base, data, o.fit);
  for (const std::string& w : fit.warnings) spdlog::warn("{}", w);
  const std::string command = calibrate_command(o);
  Json before = stats_by_file(data, fit.predicted_before), after = stats_by_file(data, fit.predicted_after);
  Json calibration = {{"command", command}, {"loss", "soft-L1 on log(predicted / measured), scale " + std::to_string(o.fit.loss_scale)},
                      {"iterations", fit.iterations}, {"converged", fit.converged}, {"fit", after}};
  if (o.cv_folds > 0) {
    // Whole network groups held out (zoo families, cell topologies): the check that predicts
    // accuracy on networks the fit has never seen. The intervals come from these residuals.
    latency::CrossValidation cv = latency::cross_validate_folds(
        base, data, o.fit, latency::assign_group_folds(data, o.cv_folds, seed), o.cv_folds);
    calibration["cross_validation"] = {{"folds", o.cv_folds}, {"seed", seed}, {"held_out_together", "network groups"},
                                       {"held_out", stats_by_file(data, cv.predicted)}};
    calibration["interval"] = latency::interval_from_cv(data, cv, latency::kDefaultIntervalCoverage, o.fit.equal_file_weights).to_json();
  }
  latency::HardwareProfile out = fit.profile;
  for (const latency::FittedParam& p : fit.params) {
    int k = latency::profile_param_index(p.key);
    out.sources[size_t(k)] = "fitted: " + command;
    out.fit[size_t(k)] = true;
  }
  out.calibration = calibration;
  if (!o.out.empty()) write_file_atomic(o.out, latency::profile_to_json(out).dump(2) + "\n");
  if (o.json) {
    Json params = Json::array();
    for (const latency::FittedParam& p : fit.params)
      params.push_back({{"key", p.key}, {"before", p.before}, {"after", p.after}, {"at_bound", p.at_bound}});
    std::cout << Json({{"profile", out.name}, {"params", params}, {"before", before}, {"calibration", calibration}}).dump(2) << "\n";
    return;
  }
  std::cout << "calibrated " << base.name << " (" << base.device << ") on " << data.size() << " measurements: "
            << fit.iterations << " iterations" << (fit.converged ? "" : " (not converged)") << "\n";
  TextTable params({"constant", "before", "after", "unit", ""}, {false, true, true, false, false});
  for (const latency::FittedParam& p : fit.params) {
    const latency::ProfileParam& info = latency::profile_params()[size_t(latency::profile_param_index(p.key))];
    char b[32], a[32];
    std::snprintf(b, sizeof b, "%.4g", p.before);
    std::snprintf(a, sizeof a, "%.4g", p.after);
    params.add_row({p.key, b, a, info.unit, p.at_bound ? "at the edge of its range" : ""});
  }
  std::cout << params.str();
  print_stats_table("fit before calibration:", before);
  print_stats_table("fit after calibration:", after);
  if (calibration.contains("cross_validation"))
    print_stats_table(std::to_string(o.cv_folds) + "-fold cross-validation (each measurement predicted by a fit that did not see it):",
                      calibration["cross_validation"]["held_out"]);
  if (!o.out.empty()) std::cout << "wrote " << o.out << "\n";
}

void add_calibrate_command(CLI::App& latency, const GlobalOptions& global) {
  auto options = std::make_shared<CalibrateOptions>();
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
  cmd->add_flag("--json", options->json, "Machine-readable output");
  cmd->callback([options, &global] { run_calibrate(*options, global.seed); });
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
