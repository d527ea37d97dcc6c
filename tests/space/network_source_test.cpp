#include "nasctl/space/network_source.h"

#include <gtest/gtest.h>

#include "nasctl/core/files.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/search_space.h"
#include "support.h"

namespace nasctl::space {
namespace {

ArchSpec tiny_sample() {
  SearchSpace sp = SearchSpace::load("tiny");
  std::mt19937_64 rng(5);
  return sp.decode(sp.sample(rng));
}

TEST(LoadNetwork, FromEachSource) {
  testing::TempDir dir;
  ArchSpec arch = tiny_sample();
  graph::Graph lowered = lower(arch);
  write_file_atomic(dir.file("arch.json"), arch_to_json(arch).dump());
  write_file_atomic(dir.file("graph.json"), graph::graph_to_json(lowered).dump());

  NetworkSource from_arch;
  from_arch.arch_file = dir.file("arch.json");
  graph::Graph a = load_network(from_arch);
  EXPECT_EQ(a.nodes.size(), lowered.nodes.size());
  EXPECT_EQ(a.stats().params, lowered.stats().params);

  NetworkSource from_graph;
  from_graph.graph_file = dir.file("graph.json");
  EXPECT_EQ(load_network(from_graph).stats().macs, lowered.stats().macs);

  NetworkSource from_zoo;
  from_zoo.model = "mobilenet_v2";
  EXPECT_EQ(load_network(from_zoo).stats().params, 3504872);  // torchvision's count
  from_zoo.zoo.classes = 10;
  EXPECT_EQ(load_network(from_zoo).output_shape(), (graph::Shape{1, 1, 10}));
}

TEST(LoadNetwork, NeedsExactlyOneSource) {
  NetworkSource none;
  EXPECT_THROW_MSG(load_network(none), "no network given: pass exactly one of --model NAME, --graph FILE, --arch FILE");
  NetworkSource two;
  two.model = "mobilenet_v2";
  two.arch_file = "a.json";
  EXPECT_THROW_MSG(load_network(two), "several networks given: pass exactly one of --model NAME, --graph FILE, --arch FILE");
}

TEST(LoadNetwork, TellsWhichFlagAFileBelongsTo) {
  testing::TempDir dir;
  ArchSpec arch = tiny_sample();
  write_file_atomic(dir.file("arch.json"), arch_to_json(arch).dump());
  write_file_atomic(dir.file("graph.json"), graph::graph_to_json(lower(arch)).dump());
  NetworkSource wrong_graph;
  wrong_graph.graph_file = dir.file("arch.json");
  EXPECT_THROW_MSG(load_network(wrong_graph), "arch.json: this is an ArchSpec (it has \"blocks\"), not a graph: pass it with --arch");
  NetworkSource wrong_arch;
  wrong_arch.arch_file = dir.file("graph.json");
  EXPECT_THROW_MSG(load_network(wrong_arch), "graph.json: this is a graph (it has \"nodes\"), not an ArchSpec: pass it with --graph");
  NetworkSource missing;
  missing.arch_file = dir.file("nope.json");
  EXPECT_THROW_MSG(load_network(missing), "nope.json");
  NetworkSource unknown;
  unknown.model = "resnet9000";
  EXPECT_THROW_MSG(load_network(unknown), "unknown zoo model \"resnet9000\"");
  write_file_atomic(dir.file("bad_arch.json"), R"({"name": "x", "input": [8, 8, 3], "classes": 10,
      "stem": {"filters": 8}, "blocks": [{"type": "ibn", "kernel": 2, "expansion": 6, "filters": 8}]})");
  NetworkSource bad;
  bad.arch_file = dir.file("bad_arch.json");
  EXPECT_THROW_MSG(load_network(bad), "bad_arch.json: blocks[0].kernel must be an odd kernel size in [1, 255], but got 2");
}

TEST(NetworkSource, InputSizeResizesAnArchAndMustMatchAGraph) {
  testing::TempDir dir;
  ArchSpec arch = tiny_sample();
  write_file_atomic(dir.file("arch.json"), arch_to_json(arch).dump());
  write_file_atomic(dir.file("graph.json"), graph::graph_to_json(lower(arch)).dump());
  NetworkSource a;
  a.arch_file = dir.file("arch.json");
  a.zoo.input_size = 64;
  EXPECT_EQ(load_network(a).input, (graph::Shape{64, 64, arch.input.c}));
  NetworkSource g;
  g.graph_file = dir.file("graph.json");
  g.zoo.input_size = arch.input.h;
  EXPECT_EQ(load_network(g).input, arch.input);  // the graph's own size is fine
  g.zoo.input_size = 64;
  EXPECT_THROW_MSG(load_network(g), "--input-size 64 disagrees with " + dir.file("graph.json"));
}

}  // namespace
}  // namespace nasctl::space
