// Search-step benchmark: the time of one TuNAS search step (shared-weights training step through
// the supernet + controller step with Q on a validation batch) against the training step of the
// sampled child network alone (GraphNet of space::lower(arch)), on the same batches, side by side.
// Also writes the spec that bench/search_step_reference.py needs to run the same supernet steps in
// Python, and measures peak memory of the supernet vs the largest child (separate processes).
//
//   search_step_eval [--space tiny] [--batch 64] [--val-batch B] [--threads 2] [--archs 8] [--reps 5]
//                    [--spec FILE] [--json] [--memory supernet|child --steps N]
//
// --val-batch is the batch Q is measured on (default: --batch), as the search's val_batch_size.
//
// NASCTL_PROFILE=FILE writes a chrome trace of the search steps, NASCTL_PROFILE_VAL=FILE one of the
// controller's validation forwards alone (the fused kernels appear as nasctl::* records).

#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/nn/graph_net.h"
#include "nasctl/search/controller.h"
#include "nasctl/search/supernet.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/search_space.h"
#include "nasctl/train/optimizer.h"
#include "nasctl/nn/depthwise.h"
#include "bench_args.h"

using namespace nasctl;

namespace {

struct Args {
  std::string space = "tiny";
  int batch = 64;
  int val_batch = 0;  // 0 = batch
  int threads = 2;
  int archs = 8;
  int reps = 5;
  std::string spec;
  bool json = false;
  std::string memory;  // "supernet" | "child": peak-RSS mode
  bool depthwise = false;  // micro-benchmark of the depthwise kernels
  int steps = 20;
};

Args parse(int argc, char** argv) {
  Args a;
  bench::for_each_arg(argc, argv, [&](const std::string& k, auto& next, int&) {
    if (k == "--space") a.space = next();
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--val-batch") a.val_batch = std::stoi(next());
    else if (k == "--threads") a.threads = std::stoi(next());
    else if (k == "--archs") a.archs = std::stoi(next());
    else if (k == "--reps") a.reps = std::stoi(next());
    else if (k == "--spec") a.spec = next();
    else if (k == "--json") a.json = true;
    else if (k == "--memory") a.memory = next();
    else if (k == "--steps") a.steps = std::stoi(next());
    else if (k == "--depthwise") a.depthwise = true;
    else return false;
    return true;
  });
  if (a.val_batch <= 0) a.val_batch = a.batch;
  return a;
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

long peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// The child network as `nasctl train` runs it: channels-last.
nn::GraphNetOptions trainer_layout() {
  nn::GraphNetOptions o;
  o.channels_last = true;
  return o;
}

train::OptimizerOptions sgd() {
  train::OptimizerOptions o;
  o.lr_reference_batch = 0;
  return o;
}

std::vector<train::NamedParameter> named(torch::nn::Module& m) {
  std::vector<train::NamedParameter> out;
  for (auto& p : m.named_parameters()) out.push_back({p.key(), p.value(), p.value().dim() > 1});
  return out;
}

Json block_json(const space::BlockSpec& b) {
  return {{"type", space::block_type_name(b.type)}, {"kernel", b.kernel},   {"expansion", b.expansion},
          {"filters", b.filters},                    {"stride", b.stride},   {"activation", graph::activation_name(b.activation)},
          {"se", b.se},                              {"groups", b.groups}};
}

// What the Python reference needs to build the same supernet and run the same architectures.
Json spec_json(const space::SearchSpace& sp, search::Supernet& net, const std::vector<space::ArchSpec>& archs,
               const Args& a) {
  Json layers = Json::array();
  for (const auto& b : net->bounds()) {
    Json types = Json::array();
    for (auto t : b.types) types.push_back(space::block_type_name(t));
    layers.push_back({{"types", types}, {"max_in", b.max_in}, {"max_out", b.max_out}, {"max_expanded", b.max_expanded},
                      {"max_kernel", b.max_kernel}, {"max_se", b.max_se}, {"any_se", b.any_se}, {"expands", b.expands},
                      {"fused_plain", b.fused_plain}, {"fused_expanded", b.fused_expanded}, {"groups", b.groups}});
  }
  Json arch_list = Json::array();
  for (const auto& arch : archs) {
    Json blocks = Json::array();
    for (const auto& b : arch.blocks) blocks.push_back(block_json(b));
    arch_list.push_back(blocks);
  }
  graph::Shape in = sp.input();
  return {{"input", {in.h, in.w, in.c}},
          {"classes", sp.classes()},
          {"stem", {{"filters", sp.stem().filters}, {"kernel", sp.stem().kernel}, {"stride", sp.stem().stride},
                    {"activation", graph::activation_name(sp.stem().activation)}}},
          {"head", {{"filters", sp.head().filters}, {"hidden", sp.head().hidden},
                    {"activation", graph::activation_name(sp.head().activation)}}},
          {"layers", layers},
          {"archs", arch_list},
          {"batch", a.batch},
          {"val_batch", a.val_batch},
          {"threads", a.threads},
          {"reps", a.reps}};
}

}  // namespace

// Forward + backward of nasctl's depthwise kernels against LibTorch's conv2d (NCHW, and
// channels-last, where oneDNN has its own depthwise kernels), on supernet and MobileNetV2 shapes.
void depthwise_micro(const Args& a) {
  struct Shape { int64_t n, c, h, k, s; };
  for (Shape t : {Shape{a.batch, 64, 28, 5, 1}, Shape{a.batch, 64, 28, 3, 1}, Shape{a.batch, 160, 14, 5, 1},
                  Shape{a.batch, 80, 14, 5, 2}, Shape{a.batch, 480, 4, 5, 1}, Shape{a.batch, 96, 16, 3, 2},
                  Shape{a.batch, 144, 8, 3, 1}, Shape{a.batch, 384, 2, 3, 1}, Shape{a.batch, 960, 1, 3, 1}}) {
    auto time = [&](int variant) {  // 0: nasctl, 1: conv2d NCHW, 2: conv2d channels-last
      auto format = variant == 2 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
      torch::Tensor x = torch::randn({t.n, t.c, t.h, t.h}).contiguous(format).requires_grad_(true);
      torch::Tensor w = torch::randn({t.c, 1, t.k, t.k}).contiguous(format).requires_grad_(true);
      std::vector<double> v;
      for (int r = 0; r < a.reps + 1; ++r) {
        double t0 = now_s();
        int64_t p = (t.k - 1) / 2;
        torch::Tensor y = variant == 0 ? nn::depthwise_conv2d_direct(x, w, static_cast<int>(t.s))
                                       : torch::conv2d(x, w, {}, {t.s, t.s}, {p, p}, {1, 1}, t.c);
        torch::autograd::grad({y}, {x, w}, {torch::ones_like(y)});
        if (r > 0) v.push_back(now_s() - t0);
      }
      return 1e3 * median(v);
    };
    std::printf("depthwise n=%lld c=%lld %lldx%lld k=%lld s=%lld: nasctl %.2f ms, conv2d NCHW %.2f ms, conv2d channels-last %.2f ms\n",
                (long long)t.n, (long long)t.c, (long long)t.h, (long long)t.h, (long long)t.k, (long long)t.s, time(0),
                time(1), time(2));
  }
}

int main(int argc, char** argv) try {
  Args a = parse(argc, argv);
  torch::set_num_threads(a.threads);
  if (a.depthwise) {
    depthwise_micro(a);
    return 0;
  }
  space::SearchSpace sp = space::SearchSpace::load(a.space);
  graph::Shape in = sp.input();
  search::Supernet net(sp, 0);
  train::Optimizer opt(named(*net), sgd());
  std::mt19937_64 rng(1);
  std::vector<space::ArchSpec> archs;
  for (int i = 0; i < a.archs; ++i) archs.push_back(sp.decode(sp.sample(rng)));
  torch::manual_seed(0);
  torch::Tensor x = torch::randn({a.batch, in.c, in.h, in.w});
  torch::Tensor xv = torch::randn({a.val_batch, in.c, in.h, in.w});
  torch::Tensor y = torch::randint(0, sp.classes(), {a.batch}, torch::kLong);
  torch::Tensor yv = torch::randint(0, sp.classes(), {a.val_batch}, torch::kLong);

  auto supernet_step = [&](const space::ArchSpec& arch) {
    opt.zero_grad();
    torch::nn::functional::cross_entropy(net->forward(x, arch), y).backward();
    opt.step(0.01);
  };
  auto search_step = [&](const space::ArchSpec& train_arch, const space::ArchSpec& rl_arch) {
    supernet_step(train_arch);
    c10::InferenceMode guard;
    return net->forward(xv, rl_arch).argmax(1).eq(yv).sum().item<int64_t>();
  };

  if (!a.memory.empty()) {
    // Peak RSS while training the largest architecture (by MACs) for `steps` steps.
    size_t largest = 0;
    int64_t best = -1;
    for (size_t i = 0; i < archs.size(); ++i) {
      int64_t macs = space::lower(archs[i]).stats().macs;
      if (macs > best) best = macs, largest = i;
    }
    long before = peak_rss_kib();
    if (a.memory == "supernet") {
      for (int s = 0; s < a.steps; ++s) search_step(archs[largest], archs[largest]);
    } else {
      nn::GraphNet child(space::lower(archs[largest]), trainer_layout());
      train::Optimizer copt(named(*child), sgd());
      for (int s = 0; s < a.steps; ++s) {
        copt.zero_grad();
        torch::nn::functional::cross_entropy(child->forward(x), y).backward();
        copt.step(0.01);
      }
    }
    std::printf("{\"mode\": \"%s\", \"macs\": %lld, \"peak_rss_kib_before\": %ld, \"peak_rss_kib\": %ld}\n",
                a.memory.c_str(), static_cast<long long>(best), before, peak_rss_kib());
    return 0;
  }

  if (!a.spec.empty()) {
    std::ofstream(a.spec) << spec_json(sp, net, archs, a).dump() << "\n";
  }
  std::vector<nn::GraphNet> children;
  std::vector<std::unique_ptr<train::Optimizer>> child_opts;
  for (const auto& arch : archs) {
    children.emplace_back(space::lower(arch), trainer_layout());
    children.back()->train();
    child_opts.push_back(std::make_unique<train::Optimizer>(named(*children.back()), sgd()));
  }
  // Warm-up: one pass over every architecture in each mode.
  for (size_t i = 0; i < archs.size(); ++i) {
    search_step(archs[i], archs[(i + 1) % archs.size()]);
    child_opts[i]->zero_grad();
    torch::nn::functional::cross_entropy(children[i]->forward(x), y).backward();
    child_opts[i]->step(0.01);
  }
  if (std::getenv("NASCTL_PROFILE")) {  // chrome trace of the supernet steps, for finding hot spots
    torch::autograd::profiler::RecordProfile guard(std::getenv("NASCTL_PROFILE"));
    for (size_t i = 0; i < archs.size(); ++i) search_step(archs[i], archs[(i + 1) % archs.size()]);
  }
  if (std::getenv("NASCTL_PROFILE_VAL")) {
    torch::autograd::profiler::RecordProfile guard(std::getenv("NASCTL_PROFILE_VAL"));
    c10::InferenceMode g;
    for (size_t i = 0; i < archs.size(); ++i) net->forward(xv, archs[i]).sum().item<float>();
  }
  std::vector<double> t_supernet, t_search, t_child, t_val;
  for (int r = 0; r < a.reps; ++r) {
    double t0 = now_s();
    for (size_t i = 0; i < archs.size(); ++i) supernet_step(archs[i]);
    double t1 = now_s();
    for (size_t i = 0; i < archs.size(); ++i) search_step(archs[i], archs[(i + 1) % archs.size()]);
    double t2 = now_s();
    for (size_t i = 0; i < archs.size(); ++i) {
      child_opts[i]->zero_grad();
      torch::nn::functional::cross_entropy(children[i]->forward(x), y).backward();
      child_opts[i]->step(0.01);
    }
    double t3 = now_s();
    {
      c10::InferenceMode guard;
      for (size_t i = 0; i < archs.size(); ++i) net->forward(xv, archs[i]).sum().item<float>();
    }
    double t4 = now_s();
    double n = static_cast<double>(archs.size());
    t_supernet.push_back((t1 - t0) / n);
    t_search.push_back((t2 - t1) / n);
    t_child.push_back((t3 - t2) / n);
    t_val.push_back((t4 - t3) / n);
  }
  Json out = {{"space", a.space},
              {"batch", a.batch},
              {"val_batch", a.val_batch},
              {"threads", a.threads},
              {"archs", a.archs},
              {"reps", a.reps},
              {"supernet_train_step_ms", 1e3 * median(t_supernet)},
              {"search_step_ms", 1e3 * median(t_search)},
              {"child_train_step_ms", 1e3 * median(t_child)},
              {"supernet_val_forward_ms", 1e3 * median(t_val)},
              {"search_over_child", median(t_search) / median(t_child)}};
  if (a.json) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << out.dump(2) << "\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "search_step_eval: " << e.what() << "\n";
  return 1;
}
