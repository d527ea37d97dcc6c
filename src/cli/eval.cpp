// `nasctl eval`: top-1 / top-5 of a checkpoint on a data set's validation (or training) split.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <iostream>

#include "cli/app.h"
#include "cli/format.h"
#include "nasctl/core/error.h"
#include "nasctl/core/runtime.h"
#include "nasctl/data/loader.h"
#include "nasctl/train/checkpoint.h"
#include "nasctl/train/evaluate.h"

namespace nasctl::cli {
namespace {

struct EvalOptions {
  std::string checkpoint;          ///< --checkpoint FILE (required)
  std::string data = "fashion-mnist";  ///< --data; default fashion-mnist
  std::string labels;              ///< --labels FILE; default none
  std::string split = "val";       ///< --split val|train; default val
  std::string weights = "auto";    ///< --weights auto|model|ema; default auto (EMA when present)
  int batch_size = 256;            ///< --batch-size; default 256
  int workers = 2;                 ///< --workers; default 2
  std::string device = "cpu";      ///< --device; default cpu
  bool per_class = false;          ///< --per-class
  bool json = false;               ///< --json

  void validate() const {
    if (checkpoint.empty()) throw Error("eval needs --checkpoint FILE");
    if (split != "val" && split != "train") throw Error("--split must be val or train, but got \"" + split + "\"");
    if (batch_size <= 0) throw Error("--batch-size must be > 0, but got " + std::to_string(batch_size));
    if (workers < 0 || workers > kMaxThreads)
      throw Error("--workers must be in [0, " + std::to_string(kMaxThreads) + "], but got " + std::to_string(workers));
  }
};

torch::Device eval_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) != 0) throw Error("--device must be cpu, cuda or cuda:N, but got \"" + name + "\"");
  if (!torch::cuda::is_available()) {
    throw Error("--device " + name + ": CUDA is not available (a CPU-only LibTorch, or no GPU); use --device cpu");
  }
  return torch::Device(name);
}

std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f%%", 100 * fraction);
  return text;
}

void run_eval(const EvalOptions& o) {
  o.validate();
  train::Weights weights = train::parse_weights(o.weights, "--weights");
  torch::Device device = eval_device(o.device);
  train::Checkpoint c = train::load_checkpoint(o.checkpoint);
  bool ema = weights == train::Weights::kEma || (weights == train::Weights::kAuto && c.has_ema());
  nn::GraphNet net = train::network_from_checkpoint(c, weights);
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
  train::EvalResult r = train::evaluate(net, loader, device, c.info.classes);
  const std::vector<std::string>& names = c.info.class_names.empty() ? dataset->class_names() : c.info.class_names;
  int64_t unreadable = loader.summary().unreadable_files;

  if (o.json) {
    Json out = {{"checkpoint", o.checkpoint}, {"weights", ema ? "ema" : "model"}, {"data", dataset->describe()},
                {"samples", r.samples},        {"top1", r.top1},                  {"top5", r.top5},
                {"loss", r.loss},              {"unreadable_files", unreadable}};
    if (o.per_class) {
      Json rows = Json::array();
      for (int k = 0; k < c.info.classes; ++k) {
        rows.push_back({{"class", k}, {"name", names[k]}, {"images", r.class_total[k]}, {"correct", r.class_correct[k]},
                        {"top1", r.class_total[k] ? double(r.class_correct[k]) / double(r.class_total[k]) : 0.0}});
      }
      out["per_class"] = rows;
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "checkpoint: " << o.checkpoint << " (epoch " << c.info.epoch << ", " << (ema ? "EMA" : "model")
            << " weights)\n"
            << "data: " << dataset->describe() << " (" << with_commas(r.samples) << " images)\n"
            << "top-1: " << percent(r.top1) << "  top-5: " << percent(r.top5) << "  loss: " << r.loss << "\n";
  if (unreadable > 0) std::cout << "unreadable images skipped: " << unreadable << "\n";
  if (!o.per_class) return;
  TextTable table({"class", "name", "images", "correct", "top-1"}, {true, false, true, true, true});
  for (int k = 0; k < c.info.classes; ++k) {
    double acc = r.class_total[k] ? double(r.class_correct[k]) / double(r.class_total[k]) : 0.0;
    table.add_row({std::to_string(k), names[k], with_commas(r.class_total[k]), with_commas(r.class_correct[k]),
                   percent(acc)});
  }
  std::cout << table.str();
}

}  // namespace

void add_eval_command(CLI::App& app, const GlobalOptions& /*global*/) {
  auto o = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Top-1 / top-5 accuracy of a checkpoint on a data set");
  cmd->add_option("--checkpoint", o->checkpoint, "Checkpoint FILE written by nasctl train")->required();
  cmd->add_option("--data", o->data, "ImageFolder root, IDX folder or fashion-mnist")->capture_default_str();
  cmd->add_option("--labels", o->labels, "Class-name FILE mapping folder names");
  cmd->add_option("--split", o->split, "val or train")->capture_default_str();
  cmd->add_option("--weights", o->weights, "auto (EMA when present) | model | ema")->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "Images per batch")->capture_default_str();
  cmd->add_option("--workers", o->workers, "Data loading threads")->capture_default_str();
  cmd->add_option("--device", o->device, "cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_flag("--per-class", o->per_class, "Also print top-1 per class");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->callback([o] { run_eval(*o); });
}

}  // namespace nasctl::cli
