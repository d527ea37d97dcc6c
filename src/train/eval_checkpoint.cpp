#include "nasctl/train/eval_checkpoint.h"

#include <spdlog/spdlog.h>

#include "nasctl/core/error.h"
#include "nasctl/core/limits.h"
#include "nasctl/data/loader.h"
#include "nasctl/train/checkpoint.h"

namespace nasctl::train {
namespace {

torch::Device eval_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) != 0) throw Error("--device must be cpu, cuda or cuda:N, but got \"" + name + "\"");
  if (!torch::cuda::is_available()) {
    throw Error("--device " + name + ": CUDA is not available (a CPU-only LibTorch, or no GPU); use --device cpu");
  }
  return torch::Device(name);
}

double fraction(int64_t part, int64_t whole) { return whole ? double(part) / double(whole) : 0.0; }

}  // namespace

void CheckpointEvalOptions::validate() const {
  if (checkpoint.empty()) throw Error("eval needs --checkpoint FILE");
  if (split != "val" && split != "train") throw Error("--split must be val or train, but got \"" + split + "\"");
  if (batch_size <= 0) throw Error("--batch-size must be > 0, but got " + std::to_string(batch_size));
  if (workers < 0 || workers > kMaxThreads) {
    throw Error("--workers must be in [0, " + std::to_string(kMaxThreads) + "], but got " + std::to_string(workers));
  }
}

Json CheckpointEval::to_json(bool per_class) const {
  Json out = {{"checkpoint", checkpoint}, {"weights", ema ? "ema" : "model"}, {"data", data},
              {"samples", result.samples},  {"top1", result.top1},            {"top5", result.top5},
              {"loss", result.loss},        {"unreadable_files", unreadable_files}};
  if (per_class) {
    Json rows = Json::array();
    for (size_t k = 0; k < result.class_total.size(); ++k) {
      rows.push_back({{"class", k},
                      {"name", class_names[k]},
                      {"images", result.class_total[k]},
                      {"correct", result.class_correct[k]},
                      {"top1", fraction(result.class_correct[k], result.class_total[k])}});
    }
    out["per_class"] = rows;
  }
  return out;
}

CheckpointEval evaluate_checkpoint(const CheckpointEvalOptions& o) {
  o.validate();
  Weights weights = parse_weights(o.weights, "--weights");
  torch::Device device = eval_device(o.device);
  Checkpoint c = load_checkpoint(o.checkpoint);
  CheckpointEval out;
  out.checkpoint = o.checkpoint;
  out.epoch = c.info.epoch;
  out.ema = weights == Weights::kEma || (weights == Weights::kAuto && c.has_ema());
  nn::GraphNet net = network_from_checkpoint(c, weights);
  net->to(device);

  data::DataOptions data_options;
  data_options.labels_file = o.labels;
  auto dataset = data::open_dataset(o.data, o.split == "val" ? data::Split::kVal : data::Split::kTrain, data_options);
  if (dataset->classes() != c.info.classes) {
    throw Error(o.checkpoint + " classifies " + std::to_string(c.info.classes) + " classes, but " +
                dataset->describe() + " has " + std::to_string(dataset->classes()));
  }
  if (!c.info.class_names.empty() && c.info.class_names != dataset->class_names()) {
    spdlog::warn("the class names of {} differ from the checkpoint's", dataset->describe());
  }
  data::LoaderOptions loader_options;
  loader_options.batch_size = o.batch_size;
  loader_options.workers = o.workers;
  loader_options.shuffle = false;
  loader_options.transform = c.info.transform;
  data::Loader loader(dataset, loader_options);
  out.result = evaluate(net, loader, device, c.info.classes);
  out.data = dataset->describe();
  out.class_names = c.info.class_names.empty() ? dataset->class_names() : c.info.class_names;
  out.unreadable_files = loader.summary().unreadable_files;
  return out;
}

}  // namespace nasctl::train
