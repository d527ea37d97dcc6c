// Training-step throughput of nasctl's trainer pieces (GraphNet + train::Optimizer + the loss) on a
// zoo network, for side-by-side comparison with torchvision (bench/train_step_reference.py; driver
// bench/train_step.sh). One step = forward, loss, backward, SGD (Nesterov) update, on a fixed random
// batch; the first `warmup` steps are not timed; the median step time is reported.
//
//   train_step_eval [--model mobilenet_v2] [--input-size 32] [--batch 64] [--classes 10]
//                   [--channels 3] [--threads 2] [--steps 20] [--warmup 3] [--channels-last 1] [--json]

#include <torch/torch.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <cstdlib>
#include <memory>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/nn/runtime.h"
#include "nasctl/graph/zoo.h"
#include "nasctl/nn/graph_net.h"
#include "nasctl/train/evaluate.h"
#include "nasctl/train/optimizer.h"
#include "bench_args.h"

using namespace nasctl;

namespace {

struct Args {
  std::string model = "mobilenet_v2";
  int input_size = 32;
  int batch = 64;
  int classes = 10;
  int channels = 3;
  int threads = 2;
  int steps = 20;
  int warmup = 3;
  bool channels_last = true;
  bool json = false;
};

Args parse(int argc, char** argv) {
  Args a;
  bench::for_each_arg(argc, argv, [&](const std::string& k, auto& next, int&) {
    if (k == "--model") a.model = next();
    else if (k == "--input-size") a.input_size = std::stoi(next());
    else if (k == "--batch") a.batch = std::stoi(next());
    else if (k == "--classes") a.classes = std::stoi(next());
    else if (k == "--channels") a.channels = std::stoi(next());
    else if (k == "--threads") a.threads = std::stoi(next());
    else if (k == "--steps") a.steps = std::stoi(next());
    else if (k == "--warmup") a.warmup = std::stoi(next());
    else if (k == "--channels-last") a.channels_last = std::stoi(next()) != 0;
    else if (k == "--json") a.json = true;
    else return false;
    return true;
  });
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  Args a = parse(argc, argv);
  set_compute_threads(a.threads);
  graph::ZooOptions zoo;
  zoo.input_size = a.input_size;
  zoo.classes = a.classes;
  zoo.channels = a.channels;
  nn::GraphNetOptions options;
  options.dropout = 0.2;  // torchvision's MobileNetV2 classifier has Dropout(0.2)
  options.channels_last = a.channels_last;
  nn::GraphNet net(graph::zoo_model(a.model, zoo), options);
  net->train();
  train::OptimizerOptions sgd;  // torch.optim.SGD(lr, momentum 0.9, nesterov, weight_decay 4e-5)
  train::Optimizer optimizer(train::decay_groups(*net), sgd);
  torch::manual_seed(0);
  torch::Tensor images = torch::randn({a.batch, a.channels, a.input_size, a.input_size});
  torch::Tensor labels = torch::randint(a.classes, {a.batch}, torch::kInt64);

  std::vector<double> ms;
  std::unique_ptr<torch::autograd::profiler::RecordProfile> prof;
  for (int step = 0; step < a.warmup + a.steps; ++step) {
    if (step == a.warmup && std::getenv("NASCTL_PROFILE")) prof = std::make_unique<torch::autograd::profiler::RecordProfile>(std::getenv("NASCTL_PROFILE"));
    auto start = std::chrono::steady_clock::now();
    torch::Tensor loss = train::smoothed_cross_entropy(net->forward(images), labels, 0.0);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step(0.05);
    loss.item<float>();
    double t = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (step >= a.warmup) ms.push_back(t);
  }
  prof.reset();
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2];
  Json out = {{"implementation", std::string("nasctl GraphNet") + (a.channels_last ? " (channels-last)" : " (NCHW)")},
              {"model", a.model},
              {"input_size", a.input_size},
              {"batch", a.batch},
              {"threads", a.threads},
              {"params", nn::count_parameters(*net)},
              {"step_ms", median},
              {"images_per_s", 1000.0 * a.batch / median}};
  if (a.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("%s: %.1f ms/step, %.0f img/s\n", out["implementation"].get<std::string>().c_str(), median,
                1000.0 * a.batch / median);
  }
  return 0;
}
