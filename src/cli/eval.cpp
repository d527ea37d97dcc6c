// `nasctl eval`: top-1 / top-5 of a checkpoint on a data set's validation (or training) split.
#include <iostream>

#include "cli/app.h"
#include "cli/format.h"
#include "nasctl/train/eval_checkpoint.h"

namespace nasctl::cli {
namespace {

struct EvalCommand {
  train::CheckpointEvalOptions options;
  bool per_class = false;  ///< --per-class
  bool json = false;       ///< --json
};

void print_eval(const train::CheckpointEval& e, bool per_class) {
  const train::EvalResult& r = e.result;
  std::cout << "checkpoint: " << e.checkpoint << " (epoch " << e.epoch << ", " << (e.ema ? "EMA" : "model")
            << " weights)\n"
            << "data: " << e.data << " (" << with_commas(r.samples) << " images)\n"
            << "top-1: " << percent(r.top1) << "  top-5: " << percent(r.top5) << "  loss: " << r.loss << "\n";
  if (e.unreadable_files > 0) std::cout << "unreadable images skipped: " << e.unreadable_files << "\n";
  if (!per_class) return;
  TextTable table({"class", "name", "images", "correct", "top-1"}, {true, false, true, true, true});
  for (size_t k = 0; k < r.class_total.size(); ++k) {
    double acc = r.class_total[k] ? double(r.class_correct[k]) / double(r.class_total[k]) : 0.0;
    table.add_row({std::to_string(k), e.class_names[k], with_commas(r.class_total[k]), with_commas(r.class_correct[k]),
                   percent(acc)});
  }
  std::cout << table.str();
}

}  // namespace

void add_eval_command(CLI::App& app, const GlobalOptions& /*global*/) {
  auto c = std::make_shared<EvalCommand>();
  train::CheckpointEvalOptions* o = &c->options;
  CLI::App* cmd = app.add_subcommand("eval", "Top-1 / top-5 accuracy of a checkpoint on a data set");
  cmd->add_option("--checkpoint", o->checkpoint, "Checkpoint FILE written by nasctl train")->required();
  cmd->add_option("--data", o->data, "ImageFolder root, IDX folder or fashion-mnist")->capture_default_str();
  cmd->add_option("--labels", o->labels, "Class-name FILE mapping folder names");
  cmd->add_option("--split", o->split, "val or train")->capture_default_str();
  cmd->add_option("--weights", o->weights, "auto (EMA when present) | model | ema")->capture_default_str();
  cmd->add_option("--batch-size", o->batch_size, "Images per batch")->capture_default_str();
  cmd->add_option("--workers", o->workers, "Data loading threads")->capture_default_str();
  cmd->add_option("--device", o->device, "cpu | cuda | cuda:N")->capture_default_str();
  cmd->add_flag("--per-class", c->per_class, "Also print top-1 per class");
  cmd->add_flag("--json", c->json, "Machine-readable output");
  cmd->callback([c] {
    train::CheckpointEval e = train::evaluate_checkpoint(c->options);
    if (c->json) {
      std::cout << e.to_json(c->per_class).dump(2) << "\n";
    } else {
      print_eval(e, c->per_class);
    }
  });
}

}  // namespace nasctl::cli
