#include "nasctl/latency/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "nasctl/graph/builder.h"
#include "nasctl/graph/nb201.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/latency/edgetpu_model.h"
#include "support.h"

namespace nasctl::latency {
namespace {

const char* const kOps[] = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"};

/// Every 97th NAS-Bench-201 cell (of 5^6) whose output is reachable.
std::vector<std::string> some_nb201_archs() {
  std::vector<std::string> out;
  for (int code = 0; code < 15625; code += 97) {
    int e[6];
    for (int k = 0, c = code; k < 6; ++k, c /= 5) e[k] = c % 5;
    std::string arch = std::string("|") + kOps[e[0]] + "~0|+|" + kOps[e[1]] + "~0|" + kOps[e[2]] + "~1|+|" + kOps[e[3]] +
                       "~0|" + kOps[e[4]] + "~1|" + kOps[e[5]] + "~2|";
    if (!graph::nb201_live_edges(graph::parse_nb201(arch)).empty()) out.push_back(arch);
  }
  return out;
}

HardwareProfile truth() {
  HardwareProfile p;
  p.name = "truth";
  p.weight_load_cycles = 80;
  p.conv_efficiency = 0.4;
  p.depthwise_macs_per_cycle = 40;
  p.avgpool_ops_per_cycle = 6;
  p.maxpool_ops_per_cycle = 20;
  p.elementwise_ops_per_cycle = 3;  // adds compute-bound (2 inputs at 3/cycle vs 3 B at 3 GB/s)
  p.onchip_bandwidth = 3e9;
  p.op_overhead_s = 2e-6;
  p.host_bandwidth = 3e8;
  p.inference_overhead_s = 4e-4;
  return p;
}

const std::vector<std::string> kFree = {"weight_load_cycles", "conv_efficiency",  "depthwise_macs_per_cycle",
                                        "avgpool_ops_per_cycle", "maxpool_ops_per_cycle", "elementwise_ops_per_cycle", "onchip_bandwidth",
                                        "op_overhead_s",      "host_bandwidth",   "inference_overhead_s"};

std::vector<Measurement> synthetic(const HardwareProfile& p) {
  EdgeTpuModel model(p);
  std::vector<Measurement> data;
  for (const std::string& arch : some_nb201_archs()) {
    Measurement m;
    m.name = arch;
    m.file = "nb201";
    m.graph = graph::nb201_graph(arch);
    data.push_back(m);
  }
  for (auto [name, size] : std::vector<std::pair<const char*, int>>{
           {"mobilenet_v1", 224}, {"mobilenet_v1", 128}, {"mobilenet_v2", 224}, {"mobilenet_v2", 160},
           {"vgg16", 224}, {"resnet50_v1", 224}, {"efficientnet_edgetpu_s", 224}, {"inception_v1", 224}}) {
    graph::ZooOptions o;
    o.input_size = size;
    Measurement m;
    m.name = name;
    m.file = "zoo";
    m.graph = graph::zoo_model(name, o);
    data.push_back(m);
  }
  for (Measurement& m : data) m.latency_ms = model.predict_ms(m.graph);
  return data;
}

TEST(Calibration, RecoversKnownConstantsFromSyntheticMeasurements) {
  HardwareProfile t = truth();
  std::vector<Measurement> data = synthetic(t);
  // Each term must bound some op, or its constant would be unidentifiable from these networks.
  std::set<Bound> seen;
  EdgeTpuModel model(t);
  for (const Measurement& m : data)
    for (const OpCost& c : model.predict(m.graph).ops) seen.insert(c.bound);
  EXPECT_TRUE(seen.count(Bound::kCompute) && seen.count(Bound::kMemory) && seen.count(Bound::kWeights));

  HardwareProfile start = t;  // every free constant off by a factor 1.5 to 2
  start.weight_load_cycles = 120;
  start.conv_efficiency = 0.6;
  start.depthwise_macs_per_cycle = 80;
  start.avgpool_ops_per_cycle = 3;
  start.maxpool_ops_per_cycle = 35;
  start.elementwise_ops_per_cycle = 5;
  start.onchip_bandwidth = 5e9;
  start.op_overhead_s = 1e-6;
  start.host_bandwidth = 5e8;
  start.inference_overhead_s = 2e-4;
  CalibrationOptions o;
  o.free = kFree;
  CalibrationResult r = calibrate(start, data, o);
  EXPECT_GT(r.before.median_abs_rel_error, 0.05);
  EXPECT_LT(r.after.max_abs_rel_error, 1e-3);
  EXPECT_DOUBLE_EQ(r.after.within_10pct, 1.0);
  ASSERT_EQ(r.params.size(), kFree.size());
  for (const FittedParam& p : r.params) {
    double want = t.*profile_params()[size_t(profile_param_index(p.key))].member;
    EXPECT_NEAR(p.after / want, 1.0, 0.01) << p.key << ": got " << p.after << ", want " << want;
  }
}

TEST(Calibration, RobustLossShrugsOffAnOutlier) {
  HardwareProfile t = truth();
  std::vector<Measurement> data = synthetic(t);
  data[3].latency_ms *= 3;  // one wild measurement
  HardwareProfile start = t;
  start.conv_efficiency = 0.7;
  start.host_bandwidth = 6e8;
  CalibrationOptions o;
  o.free = {"conv_efficiency", "host_bandwidth"};
  CalibrationResult r = calibrate(start, data, o);
  EXPECT_NEAR(r.profile.conv_efficiency / t.conv_efficiency, 1.0, 0.02);
  EXPECT_NEAR(r.profile.host_bandwidth / t.host_bandwidth, 1.0, 0.02);
}

TEST(Calibration, CrossValidationPredictsHeldOutNetworks) {
  HardwareProfile t = truth();
  std::vector<Measurement> data = synthetic(t);
  HardwareProfile start = t;
  start.conv_efficiency = 0.25;
  start.avgpool_ops_per_cycle = 10;
  CalibrationOptions o;
  o.free = {"conv_efficiency", "avgpool_ops_per_cycle"};
  CrossValidation cv = cross_validate(start, data, o, 4, 7);
  EXPECT_EQ(cv.folds, 4);
  EXPECT_LT(cv.stats.max_abs_rel_error, 1e-3);
  EXPECT_GT(cv.stats.spearman, 0.999);
  // Folds: every fold holds some of each file.
  std::vector<int> folds = assign_folds(data, 4, 7);
  std::set<std::pair<std::string, int>> seen;
  for (size_t i = 0; i < data.size(); ++i) seen.insert({data[i].file, folds[i]});
  EXPECT_EQ(seen.size(), 8u);
}

TEST(Calibration, GroupFoldsHoldOutWholeFamiliesAndTopologies) {
  HardwareProfile t = truth();
  std::vector<Measurement> data = synthetic(t);
  for (Measurement& m : data) {
    m.group = m.file == "zoo" ? "family:" + network_family(m.name) : "topology:" + topology_signature(m.graph);
  }
  // The zoo part has 5 families (mobilenet x4, vgg, resnet, efficientnet, inception): with 5 folds,
  // leave-one-family-out.
  std::vector<int> folds = assign_group_folds(data, 5, 3);
  std::map<std::string, std::set<int>> folds_of_group;
  std::map<int, std::set<std::string>> zoo_groups_of_fold;
  for (size_t i = 0; i < data.size(); ++i) {
    folds_of_group[data[i].group].insert(folds[i]);
    if (data[i].file == "zoo") zoo_groups_of_fold[folds[i]].insert(data[i].group);
  }
  for (const auto& [group, f] : folds_of_group) EXPECT_EQ(f.size(), 1u) << group;
  ASSERT_EQ(zoo_groups_of_fold.size(), 5u);
  for (const auto& [fold, groups] : zoo_groups_of_fold) EXPECT_EQ(groups.size(), 1u) << fold;
  EXPECT_THROW_MSG(assign_group_folds(data, 100000, 0), "the number of network groups");
  // Calibrating on the other groups still recovers the held-out ones (the synthetic truth is in the model family).
  HardwareProfile start = t;
  start.conv_efficiency = 0.25;
  CalibrationOptions o;
  o.free = {"conv_efficiency"};
  CrossValidation cv = cross_validate_folds(start, data, o, folds, 5);
  EXPECT_LT(cv.stats.max_abs_rel_error, 1e-3);
  ASSERT_EQ(cv.mix.size(), data.size());
}

TEST(Calibration, FamiliesAndTopologies) {
  EXPECT_EQ(network_family("mobilenet_v2"), "mobilenet");
  EXPECT_EQ(network_family("resnet50_v1"), "resnet");
  EXPECT_EQ(network_family("efficientnet_edgetpu_s"), "efficientnet");
  EXPECT_EQ(network_family("vgg16"), "vgg");
  // NAS-Bench-201 cells that differ only in dead edges build the same network; others differ.
  std::string a = topology_signature(graph::nb201_graph("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|none~2|"));
  std::string b = topology_signature(graph::nb201_graph("|nor_conv_3x3~0|+|avg_pool_3x3~0|none~1|+|none~0|nor_conv_1x1~1|none~2|"));
  std::string c = topology_signature(graph::nb201_graph("|nor_conv_1x1~0|+|none~0|none~1|+|none~0|nor_conv_1x1~1|none~2|"));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Calibration, WarnsWhenLatenciesLookLikeTheWrongUnit) {
  HardwareProfile t = truth();
  std::vector<Measurement> data = synthetic(t);
  std::vector<double> predicted;
  EdgeTpuModel model(t);
  for (const Measurement& m : data) predicted.push_back(model.predict_ms(m.graph));
  EXPECT_TRUE(unit_warnings(data, predicted).empty());
  for (Measurement& m : data)
    if (m.file == "nb201") m.latency_ms *= 1000;  // microseconds written as milliseconds
  std::vector<std::string> w = unit_warnings(data, predicted);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("nb201: the latencies are about 1000x the model's"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("microseconds"), std::string::npos) << w[0];
  for (Measurement& m : data)
    if (m.file == "nb201") m.latency_ms /= 1e6;  // now seconds
  w = unit_warnings(data, predicted);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("1/1000x"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("seconds"), std::string::npos) << w[0];
  // calibrate() reports them.
  CalibrationOptions o;
  o.free = {"conv_efficiency"};
  EXPECT_EQ(calibrate(t, data, o).warnings.size(), 1u);
}

TEST(Calibration, StatsAgainstHandComputedValues) {
  FitStats s = fit_stats({1.05, 2.0, 2.5, 5.0}, {1.0, 2.0, 3.0, 4.0});
  EXPECT_EQ(s.n, 4);
  EXPECT_NEAR(s.median_abs_rel_error, (0.05 + 1.0 / 6) / 2, 1e-12);  // errors 0.05, 0, 1/6, 0.25
  EXPECT_NEAR(s.max_abs_rel_error, 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(s.within_10pct, 0.5);
  EXPECT_DOUBLE_EQ(s.within_20pct, 0.75);
  EXPECT_DOUBLE_EQ(s.spearman, 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3}, {3, 2, 1}), -1.0);
  EXPECT_NEAR(spearman({1, 2, 2, 4}, {1, 3, 2, 4}), 0.9486832980505138, 1e-12);  // ties get average ranks (checked with numpy)
}

TEST(Calibration, BadOptionsAreClearErrors) {
  HardwareProfile t = truth();
  std::vector<Measurement> data = synthetic(t);
  CalibrationOptions o;
  o.free = {"warp_speed"};
  EXPECT_THROW_MSG(calibrate(t, data, o), "--free names \"warp_speed\"");
  o.free = {"array_rows"};
  EXPECT_THROW_MSG(calibrate(t, data, o), "whole number");
  o.free = {};
  EXPECT_THROW_MSG(calibrate(t, data, o), "marks no constant");
  EXPECT_THROW_MSG(cross_validate(t, data, CalibrationOptions{}, 1, 0), "folds must be in [2,");
}

}  // namespace
}  // namespace nasctl::latency
