// Speed of the Edge TPU latency model (Google Benchmark). Counters:
//   ops/s       - Graph nodes evaluated per second (one "op evaluation" = one node);
//   networks/s  - whole networks per second.
// Cases: predict_ms on built Graphs (the search's hot path), the full per-op report, the Edge TPU
// op check, the JSON-in/JSON-out path of `nasctl latency --batch` (graph v1 and ArchSpec lines),
// and sample -> decode -> lower -> predict from a search space.
//
//   latency_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <random>

#include "nasctl/graph/graph_json.h"
#include "nasctl/graph/nb201.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/search_space.h"

using namespace nasctl;

namespace {

const latency::EdgeTpuModel& model() {
  static const latency::EdgeTpuModel m(latency::load_hardware_profile("coral-usb3"));
  return m;
}

graph::Graph network(const std::string& name) {
  if (name == "nb201") return graph::nb201_graph("|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|");
  return graph::zoo_model(name);
}

void set_rates(benchmark::State& state, double nodes_per_network) {
  state.counters["ops/s"] = benchmark::Counter(double(state.iterations()) * nodes_per_network, benchmark::Counter::kIsRate);
  state.counters["networks/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["nodes"] = nodes_per_network;
}

void BM_PredictMs(benchmark::State& state, const std::string& name) {
  graph::Graph g = network(name);
  for (auto _ : state) benchmark::DoNotOptimize(model().predict_ms(g));
  set_rates(state, double(g.nodes.size()));
}
BENCHMARK_CAPTURE(BM_PredictMs, mobilenet_v2, std::string("mobilenet_v2"));
BENCHMARK_CAPTURE(BM_PredictMs, mobilenet_v1, std::string("mobilenet_v1"));
BENCHMARK_CAPTURE(BM_PredictMs, efficientnet_edgetpu_s, std::string("efficientnet_edgetpu_s"));
BENCHMARK_CAPTURE(BM_PredictMs, resnet50_v1, std::string("resnet50_v1"));
BENCHMARK_CAPTURE(BM_PredictMs, nb201, std::string("nb201"));

void BM_PredictReport(benchmark::State& state) {
  graph::Graph g = network("mobilenet_v2");
  for (auto _ : state) benchmark::DoNotOptimize(model().predict(g));
  set_rates(state, double(g.nodes.size()));
}
BENCHMARK(BM_PredictReport);

void BM_CheckEdgetpu(benchmark::State& state) {
  graph::Graph g = network("mobilenet_v2");
  for (auto _ : state) benchmark::DoNotOptimize(latency::first_unsupported_node(g));
  set_rates(state, double(g.nodes.size()));
}
BENCHMARK(BM_CheckEdgetpu);

/// One `--batch` line end to end: parse, build, predict, write the result line.
void BM_BatchGraphJsonLine(benchmark::State& state) {
  graph::Graph g = network("mobilenet_v2");
  const std::string line = graph::graph_to_json(g).dump();
  for (auto _ : state) {
    graph::Graph parsed = graph::graph_from_json(parse_json(line, "line"), "line");
    Json out = {{"name", parsed.name}, {"latency_ms", model().predict_ms(parsed)},
                {"on_edgetpu", latency::first_unsupported_node(parsed) < 0}};
    benchmark::DoNotOptimize(out.dump());
  }
  set_rates(state, double(g.nodes.size()));
  state.counters["line_bytes"] = double(line.size());
}
BENCHMARK(BM_BatchGraphJsonLine);

space::SearchSpace& edgetpu_space() {
  static space::SearchSpace s = space::SearchSpace::load("edgetpu");
  return s;
}

void BM_BatchArchJsonLine(benchmark::State& state) {
  std::mt19937_64 rng(1);
  space::ArchSpec arch = edgetpu_space().decode(edgetpu_space().sample(rng));
  const std::string line = space::arch_to_json(arch).dump();
  double nodes = double(space::lower(arch).nodes.size());
  for (auto _ : state) {
    graph::Graph g = space::lower(space::arch_from_json(parse_json(line, "line"), "line"));
    Json out = {{"name", g.name}, {"latency_ms", model().predict_ms(g)}, {"on_edgetpu", latency::first_unsupported_node(g) < 0}};
    benchmark::DoNotOptimize(out.dump());
  }
  set_rates(state, nodes);
}
BENCHMARK(BM_BatchArchJsonLine);

/// What the search does per sampled architecture.
void BM_SampleLowerPredict(benchmark::State& state) {
  std::mt19937_64 rng(2);
  double nodes = 0;
  for (auto _ : state) {
    graph::Graph g = space::lower(edgetpu_space().decode(edgetpu_space().sample(rng)));
    nodes += double(g.nodes.size());
    benchmark::DoNotOptimize(model().predict_ms(g));
  }
  state.counters["ops/s"] = benchmark::Counter(nodes, benchmark::Counter::kIsRate);
  state.counters["networks/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SampleLowerPredict);

}  // namespace

BENCHMARK_MAIN();
