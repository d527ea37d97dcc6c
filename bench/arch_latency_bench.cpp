// Speed of a search's latency lookups (Google Benchmark): a sampled architecture's predicted
// latency by lowering it to a Graph (the path before the part cache) against search::ArchLatency
// with its per-part cache warm (every part seen before, the architecture itself new). Both sample
// the same way from the same space; results are identical (tests/search/arch_latency_test.cpp).
//
//   arch_latency_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <random>

#include "nasctl/latency/hardware_profile.h"
#include "nasctl/search/arch_latency.h"
#include "nasctl/space/search_space.h"

using namespace nasctl;

namespace {

search::ArchLatency make(const std::string& space) {
  return search::ArchLatency(space::SearchSpace::load(space), latency::load_hardware_profile("coral-devboard"));
}

void BM_LowerAndPredict(benchmark::State& state, const std::string& space) {
  search::ArchLatency latency = make(space);
  std::mt19937_64 rng(3);
  for (auto _ : state) benchmark::DoNotOptimize(latency.latency_ms_uncached(latency.space().sample(rng)));
  state.counters["networks/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_CachedParts(benchmark::State& state, const std::string& space) {
  search::ArchLatency latency = make(space);
  std::mt19937_64 warm(4);
  for (int i = 0; i < 5000; ++i) latency.latency_ms(latency.space().sample(warm));  // parts seen once
  std::mt19937_64 rng(3);
  for (auto _ : state) benchmark::DoNotOptimize(latency.latency_ms(latency.space().sample(rng)));
  state.counters["networks/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["part_misses"] = double(latency.part_evaluations());
}

BENCHMARK_CAPTURE(BM_LowerAndPredict, edgetpu, std::string("edgetpu"));
BENCHMARK_CAPTURE(BM_CachedParts, edgetpu, std::string("edgetpu"));
BENCHMARK_CAPTURE(BM_LowerAndPredict, proxylessnas, std::string("proxylessnas"));
BENCHMARK_CAPTURE(BM_CachedParts, proxylessnas, std::string("proxylessnas"));
BENCHMARK_CAPTURE(BM_LowerAndPredict, mobilenet_v3_like, std::string("mobilenet_v3_like"));
BENCHMARK_CAPTURE(BM_CachedParts, mobilenet_v3_like, std::string("mobilenet_v3_like"));

}  // namespace

BENCHMARK_MAIN();
