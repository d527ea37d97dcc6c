#include "nasctl/latency/report.h"

#include <gtest/gtest.h>

#include "nasctl/graph/builder.h"
#include "nasctl/graph/zoo.h"
#include "support.h"

namespace nasctl::latency {
namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(LatencyReport, JsonListsOneEntryPerCostedOpWithFusedLabels) {
  graph::Graph g = graph::zoo_model("mobilenet_v2");
  EdgeTpuModel model(load_hardware_profile("coral-usb3"));
  LatencyReport r = model.predict(g);
  Json j = report_to_json(g, r);
  int costed = 0;
  for (const OpCost& c : r.ops) costed += c.bound != Bound::kFused;
  ASSERT_EQ(int(j["ops"].size()), costed);
  EXPECT_EQ(j["ops"][0]["op"], "conv2d+bn+relu6");  // stem conv, its BN and ReLU6 folded in
  EXPECT_EQ(j["latency_ms"].get<double>(), r.total_ms);
  EXPECT_TRUE(j["on_edgetpu"].get<bool>());
  EXPECT_TRUE(j["cut_at"].is_null());
  double shares = 0;
  for (const Json& op : j["ops"]) shares += op["share"].get<double>();
  EXPECT_NEAR(shares, (r.edgetpu_ms + r.cpu_ms) / r.total_ms, 1e-9);  // the rest is transfer + overhead
}

TEST(LatencyReport, SvgHasAPointPerEdgeTpuOpAndABarPerCostedOp) {
  graph::GraphBuilder b("small", {16, 16, 8});
  std::string x = b.conv_bn(graph::GraphBuilder::kInput, 16, 3, 1, graph::Activation::kRelu);
  x = b.max_pool(x, 2, 2);
  x = b.global_avg_pool(x);
  x = b.flatten(x);
  x = b.fully_connected(x, 10);
  graph::Graph g = b.build(x);
  EdgeTpuModel model(load_hardware_profile("coral-devboard"));
  LatencyReport r = model.predict(g);
  std::string svg = report_svg(g, r, model);
  // conv(+bn+relu), max pool, global pool, fully connected: 4 costed ops, all on the Edge TPU.
  EXPECT_EQ(count(svg, "fill-opacity=\"0.8\""), 4);  // the roofline's data points
  EXPECT_EQ(count(svg, "<title>"), 4 + 4);  // point and bar tooltips
  EXPECT_NE(svg.find("on-chip roof"), std::string::npos);
  EXPECT_NE(svg.find("compute roof"), std::string::npos);
  EXPECT_NE(svg.find(">conv_0</text>"), std::string::npos);  // bar labels name the ops
  EXPECT_EQ(svg.find(">flatten_"), std::string::npos);       // free ops get no bar
}

// 10^5 conv + bn + relu6 groups: labelling used to scan the whole report per op (quadratic, minutes);
// it is one pass now. No timing is asserted; the labels are, against the group structure.
TEST(LatencyReport, LabelsAGraphOfAHundredThousandGroups) {
  graph::GraphBuilder b("long", {4, 4, 8});
  std::string x = graph::GraphBuilder::kInput;
  constexpr int kGroups = 100000;
  for (int i = 0; i < kGroups; ++i) x = b.conv_bn(x, 8, 1, 1, graph::Activation::kRelu6);
  graph::Graph g = b.build(x);
  ASSERT_GE(g.nodes.size(), size_t(2 * kGroups));
  EdgeTpuModel model(load_hardware_profile("coral-usb3"));
  LatencyReport r = model.predict(g);
  std::vector<std::string> labels = fused_labels(g, r);
  ASSERT_EQ(labels.size(), g.nodes.size());
  int roots = 0;
  for (const OpCost& c : r.ops) {
    if (c.bound == Bound::kFused) continue;
    ++roots;
    EXPECT_EQ(labels[size_t(c.node)], "conv2d+bn+relu6");
  }
  EXPECT_EQ(roots, kGroups);
  EXPECT_EQ(report_to_json(g, r)["ops"].size(), size_t(kGroups));
}

}  // namespace
}  // namespace nasctl::latency
