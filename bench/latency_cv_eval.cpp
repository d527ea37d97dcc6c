// Cross-validated fidelity of the Edge TPU latency model against two baselines, on the same folds:
//   roofline  - EdgeTpuModel, its free constants calibrated on the training folds;
//   macs      - latency = a + b * MACs (least squares on relative error);
//   op-counts - latency = c0 + sum_k c_k * (number of ops of kind k) (same loss, tiny ridge).
// By default whole network groups are held out (--split groups): a zoo network's family (all
// MobileNets together: with as many folds as the file has families this is leave-one-family-out)
// and a NAS-Bench-201 cell topology (cells that differ only in dead edges are one network);
// --split points deals single measurements, as before. Prints per measurement file: Spearman,
// share within +-10 %, median and mean |error| (MAPE), each the mean over the seeds (min..max for
// the roofline model); each small file's held-out predictions; and the prediction intervals'
// coverage on held-out data (bands fitted on the held-out residuals of one half of the groups,
// checked on the other half, and the other way round).
//
//   latency_cv_eval --hardware configs/hardware/coral-devboard.json \
//       --measurements coral_calibration.json nb201_latbench_calibration.json --folds 5 --seeds 3
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "nasctl/core/error.h"
#include "nasctl/latency/calibration.h"
#include "nasctl/latency/edgetpu_model.h"
#include "bench_args.h"

using namespace nasctl;
using latency::Measurement;

namespace {

struct Args {
  std::string hardware = "coral-devboard";
  std::string chip_from;
  std::vector<std::string> measurements;
  int folds = 5;
  int seeds = 3;
  bool groups = true;
  double coverage = latency::kDefaultIntervalCoverage;
};

Args parse_args(int argc, char** argv) {
  Args a;
  bench::for_each_arg(argc, argv, [&](const std::string& k, auto& value, int& i) {
    if (k == "--hardware") a.hardware = value();
    else if (k == "--chip-from") a.chip_from = value();
    else if (k == "--folds") a.folds = std::stoi(value());
    else if (k == "--seeds") a.seeds = std::stoi(value());
    else if (k == "--coverage") a.coverage = std::stod(value());
    else if (k == "--split") {
      std::string v = value();
      if (v != "groups" && v != "points") throw Error("--split must be groups or points, but got " + v);
      a.groups = v == "groups";
    }
    else if (k == "--measurements") {
      while (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) a.measurements.push_back(argv[++i]);
    } else {
      return false;
    }
    return true;
  });
  if (a.measurements.empty()) throw Error("--measurements FILE... is required");
  return a;
}

/// Weighted linear least squares on relative error: minimise sum_i w_i ((x_i . c) / y_i - 1)^2.
std::vector<double> fit_relative(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                                 const std::vector<double>& w) {
  size_t m = x[0].size();
  std::vector<std::vector<double>> a(m, std::vector<double>(m + 1, 0.0));
  for (size_t i = 0; i < x.size(); ++i) {
    double s = w[i] / (y[i] * y[i]);
    for (size_t k = 0; k < m; ++k) {
      for (size_t l = 0; l < m; ++l) a[k][l] += s * x[i][k] * x[i][l];
      a[k][m] += s * x[i][k] * y[i];
    }
  }
  for (size_t k = 0; k < m; ++k) a[k][k] += 1e-9 * (a[k][k] + 1e-12);  // ridge: features absent from a fold
  for (size_t c = 0; c < m; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < m; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    std::swap(a[c], a[p]);
    for (size_t r = 0; r < m; ++r) {
      if (r == c || a[c][c] == 0) continue;
      double f = a[r][c] / a[c][c];
      for (size_t k = c; k <= m; ++k) a[r][k] -= f * a[c][k];
    }
  }
  std::vector<double> coef(m);
  for (size_t k = 0; k < m; ++k) coef[k] = a[k][k] == 0 ? 0 : a[k][m] / a[k][k];
  return coef;
}

std::vector<double> macs_features(const graph::Graph& g) { return {1.0, double(g.stats().macs) * 1e-9}; }

std::vector<double> op_count_features(const graph::Graph& g) {
  std::vector<double> f(7, 0.0);
  f[0] = 1;
  for (const graph::Node& n : g.nodes) {
    switch (n.op) {
      case graph::Op::kConv2d: f[1] += 1; break;
      case graph::Op::kDepthwiseConv2d: f[2] += 1; break;
      case graph::Op::kFullyConnected: f[3] += 1; break;
      case graph::Op::kMaxPool2d:
      case graph::Op::kAvgPool2d:
      case graph::Op::kGlobalAvgPool: f[4] += 1; break;
      case graph::Op::kAdd:
      case graph::Op::kMul: f[5] += 1; break;
      default: f[6] += 1; break;
    }
  }
  return f;
}

/// Held-out predictions of a linear baseline over the folds (files weighted equally, as the
/// roofline calibration does).
std::vector<double> linear_cv(const std::vector<Measurement>& data, const std::vector<int>& fold_of, int folds,
                              std::vector<double> (*features)(const graph::Graph&)) {
  std::map<std::string, int> per_file;
  for (const Measurement& m : data) ++per_file[m.file];
  std::vector<std::vector<double>> x;
  for (const Measurement& m : data) x.push_back(features(m.graph));
  std::vector<double> predicted(data.size());
  for (int f = 0; f < folds; ++f) {
    std::vector<std::vector<double>> xt;
    std::vector<double> yt, wt;
    for (size_t i = 0; i < data.size(); ++i) {
      if (fold_of[i] == f) continue;
      xt.push_back(x[i]);
      yt.push_back(data[i].latency_ms);
      wt.push_back(1.0 / per_file[data[i].file]);
    }
    std::vector<double> c = fit_relative(xt, yt, wt);
    for (size_t i = 0; i < data.size(); ++i) {
      if (fold_of[i] != f) continue;
      double p = 0;
      for (size_t k = 0; k < c.size(); ++k) p += c[k] * x[i][k];
      predicted[i] = std::max(p, 1e-3);  // a linear fit can go negative; clamp to 1 us
    }
  }
  return predicted;
}

struct Acc {
  std::vector<double> spearman, within10, median, mape;
  void add(const latency::FitStats& s) {
    spearman.push_back(s.spearman);
    within10.push_back(s.within_10pct);
    median.push_back(s.median_abs_rel_error);
    mape.push_back(s.mean_abs_rel_error);
  }
};

/// Half of the groups (by a seeded shuffle of the group names, per file): true = first half.
std::vector<bool> half_of_groups(const std::vector<Measurement>& data, uint64_t seed) {
  std::map<std::string, std::vector<std::string>> groups;
  for (const Measurement& m : data) {
    auto& g = groups[m.file];
    if (std::find(g.begin(), g.end(), m.group) == g.end()) g.push_back(m.group);
  }
  std::mt19937_64 rng(seed + 1000);
  std::map<std::string, bool> first;
  for (auto& [file, g] : groups) {
    std::shuffle(g.begin(), g.end(), rng);
    for (size_t k = 0; k < g.size(); ++k) first[file + "|" + g[k]] = k % 2 == 0;
  }
  std::vector<bool> out;
  for (const Measurement& m : data) out.push_back(first[m.file + "|" + m.group]);
  return out;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / double(v.size());
}

std::string cell(const std::vector<double>& v, double scale, const char* format, bool range) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, scale * mean(v));
  std::string out = buf;
  if (range && v.size() > 1) {
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    std::snprintf(buf, sizeof buf, format, scale * *lo);
    out += std::string(" (") + buf;
    std::snprintf(buf, sizeof buf, format, scale * *hi);
    out += std::string("..") + buf + ")";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args = parse_args(argc, argv);
    latency::HardwareProfile base = latency::load_hardware_profile(args.hardware);
    if (!args.chip_from.empty()) {
      latency::HardwareProfile chip = latency::load_hardware_profile(args.chip_from);
      const auto& table = latency::profile_params();
      for (size_t k = 0; k < table.size() && std::string(table[k].key) != "host_bandwidth"; ++k) {
        base.*table[k].member = chip.*table[k].member;
        base.fit[k] = false;
      }
    }
    std::vector<Measurement> data;
    for (const std::string& f : args.measurements) {
      std::vector<Measurement> part = latency::load_measurements(f, base.device);
      data.insert(data.end(), part.begin(), part.end());
    }
    std::vector<std::string> files = {"all"};
    for (const Measurement& m : data)
      if (std::find(files.begin(), files.end(), m.file) == files.end()) files.push_back(m.file);
    const char* methods[] = {"roofline (calibrated)", "MACs-only proxy", "linear on op counts"};
    std::map<std::string, Acc> acc;  // method|file
    std::vector<std::vector<double>> roofline;  // held-out predictions per seed, for the per-network table
    std::map<std::string, std::vector<double>> coverage;  // file or class -> per seed coverage
    std::map<std::string, std::vector<double>> class_sizes;  // class -> per seed number of held-out predictions
    for (int seed = 0; seed < args.seeds; ++seed) {
      std::vector<int> fold_of = args.groups ? latency::assign_group_folds(data, args.folds, uint64_t(seed))
                                             : latency::assign_folds(data, args.folds, uint64_t(seed));
      latency::CrossValidation cv = latency::cross_validate_folds(base, data, {}, fold_of, args.folds);
      std::vector<std::vector<double>> predicted = {
          cv.predicted, linear_cv(data, fold_of, args.folds, macs_features), linear_cv(data, fold_of, args.folds, op_count_features)};
      roofline.push_back(cv.predicted);
      // Interval coverage: bands from one half of the groups' held-out residuals, checked on the other.
      std::vector<bool> half = half_of_groups(data, uint64_t(seed)), other(half.size());
      for (size_t i = 0; i < half.size(); ++i) other[i] = !half[i];
      latency::IntervalModel on_half = latency::interval_from_cv(data, cv, args.coverage, true, &half);
      latency::IntervalModel on_other = latency::interval_from_cv(data, cv, args.coverage, true, &other);
      for (const std::string& file : files) {
        std::vector<bool> a(data.size()), b(data.size());
        int n = 0;
        for (size_t i = 0; i < data.size(); ++i) {
          bool in = file == "all" || data[i].file == file;
          a[i] = in && other[i];
          b[i] = in && half[i];
          n += in;
        }
        int na = int(std::count(a.begin(), a.end(), true)), nb = int(std::count(b.begin(), b.end(), true));
        double c = (latency::interval_coverage(data, cv, on_half, a) * na + latency::interval_coverage(data, cv, on_other, b) * nb) /
                   std::max(1, na + nb);
        coverage[file].push_back(c);
      }
      for (int k = 0; k < latency::kNumOpMixes; ++k) {
        std::vector<bool> a(data.size()), b(data.size());
        for (size_t i = 0; i < data.size(); ++i) {
          a[i] = int(cv.mix[i]) == k && other[i];
          b[i] = int(cv.mix[i]) == k && half[i];
        }
        int na = int(std::count(a.begin(), a.end(), true)), nb = int(std::count(b.begin(), b.end(), true));
        if (na + nb == 0) continue;
        double c = (latency::interval_coverage(data, cv, on_half, a) * na + latency::interval_coverage(data, cv, on_other, b) * nb) /
                   (na + nb);
        coverage[std::string("class ") + latency::op_mix_name(latency::OpMix(k))].push_back(c);
        class_sizes[std::string("class ") + latency::op_mix_name(latency::OpMix(k))].push_back(na + nb);
      }
      for (size_t m = 0; m < 3; ++m) {
        for (const std::string& file : files) {
          std::vector<double> p, y;
          for (size_t i = 0; i < data.size(); ++i)
            if (file == "all" || data[i].file == file) p.push_back(predicted[m][i]), y.push_back(data[i].latency_ms);
          acc[std::string(methods[m]) + "|" + file].add(latency::fit_stats(p, y));
        }
      }
    }
    std::cout << "profile " << base.name << " (" << base.device << "), " << data.size() << " measurements, "
              << args.folds << "-fold cross-validation holding out " << (args.groups ? "whole network groups" : "single measurements")
              << ", " << args.seeds << " seeds (mean, min..max)\n\n";
    for (const std::string& file : files) {
      int n = 0;
      for (const Measurement& m : data) n += file == "all" || m.file == file;
      std::cout << "### " << file << " (n = " << n << ")\n\n"
                << "| method | Spearman | within +-10% | median abs error | MAPE |\n|---|---|---|---|---|\n";
      for (size_t m = 0; m < 3; ++m) {
        const Acc& a = acc[std::string(methods[m]) + "|" + file];
        bool range = m == 0;
        std::cout << "| " << methods[m] << " | " << cell(a.spearman, 1, "%.3f", range) << " | "
                  << cell(a.within10, 100, "%.1f%%", range) << " | " << cell(a.median, 100, "%.1f%%", range) << " | "
                  << cell(a.mape, 100, "%.1f%%", range) << " |\n";
      }
      std::cout << "\n";
    }
    // Small files (the published zoo latencies): each network's held-out prediction.
    for (const std::string& file : files) {
      int n = 0;
      for (const Measurement& m : data) n += m.file == file;
      if (file == "all" || n > 12) continue;
      std::cout << "### " << file << ": held-out roofline predictions (mean over seeds, min..max)\n\n"
                << "| network | group | measured ms | predicted ms | error |\n|---|---|---|---|---|\n";
      for (size_t i = 0; i < data.size(); ++i) {
        if (data[i].file != file) continue;
        std::vector<double> errors;
        double mean_pred = 0;
        for (const auto& p : roofline) {
          errors.push_back(p[i] / data[i].latency_ms - 1);
          mean_pred += p[i] / double(roofline.size());
        }
        char row[256];
        std::snprintf(row, sizeof row, "| %s | %s | %.3g | %.3g | %s |\n", data[i].name.c_str(), data[i].group.c_str(),
                      data[i].latency_ms, mean_pred, cell(errors, 100, "%+.1f%%", true).c_str());
        std::cout << row;
      }
      std::cout << "\n";
    }
    std::cout << "### " << 100 * args.coverage << " % prediction intervals on held-out data\n\n"
              << "Bands fitted on the held-out residuals of half of the groups, checked on the other half (both ways).\n\n"
              << "| measurements | n | coverage |\n|---|---|---|\n";
    for (const auto& [what, values] : coverage) {
      std::string n;
      if (class_sizes.count(what)) {
        n = cell(class_sizes[what], 1, "%.0f", true);
      } else {
        int count = 0;
        for (const Measurement& m : data) count += what == "all" || m.file == what;
        n = std::to_string(count);
      }
      std::cout << "| " << what << " | " << n << " | " << cell(values, 100, "%.1f%%", true) << " |\n";
    }
    std::cout << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "latency_cv_eval: error: " << e.what() << "\n";
    return 2;
  }
}
