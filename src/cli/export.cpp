// `nasctl export`: a trained network -> .tflite (float32 or full-integer int8) + model card, or
// graph v1 JSON.
#include <iostream>

#include "cli/app.h"
#include "nasctl/core/error.h"
#include "nasctl/export/exporter.h"
#include "nasctl/graph/zoo.h"

namespace nasctl::cli {
namespace {

struct ExportCliOptions {
  exporter::ExportOptions exp;
  std::string format = "tflite";  ///< --format tflite|graph
  std::string quantize;           ///< --quantize int8 (default: none, float32)
  std::string weights = "auto";   ///< --weights auto|model|ema
  int input_size = 0;             ///< --input-size for zoo networks; default 0 = the network's own
  int classes = 1000;             ///< --classes for zoo networks; default 1000
  bool json = false;              ///< --json
};

void print_result(const exporter::ExportResult& r, bool json) {
  if (json) {
    Json out = {{"out", r.out}, {"bytes", r.bytes}};
    if (!r.card.empty()) out["card"] = r.card;
    if (r.checked) out["edgetpu"] = r.edgetpu.to_json();
    if (!r.card_json.is_null()) out["latency"] = r.card_json["latency"];
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "wrote " << r.out << " (" << r.bytes << " bytes)";
  if (!r.card.empty()) std::cout << " and " << r.card;
  std::cout << "\n";
  if (!r.card_json.is_null()) {
    const Json& in = r.card_json["input"]["tensors"][0];
    const Json& out = r.card_json["output"]["tensors"][0];
    std::cout << "input " << in["dtype"].get<std::string>() << " " << in["shape"].dump() << ", output "
              << out["dtype"].get<std::string>() << " " << out["shape"].dump() << "\n";
    std::cout << "predicted latency on " << r.card_json["latency"]["hardware"].get<std::string>() << ": "
              << r.card_json["latency"]["predicted_ms"].get<double>() << " ms\n";
  }
  if (r.checked) std::cout << r.edgetpu.to_text();
}

void run_export_command(ExportCliOptions o, const GlobalOptions& global) {
  if (o.format == "graph") {
    o.exp.format = exporter::ExportFormat::kGraph;
  } else if (o.format != "tflite") {
    throw Error("--format must be one of tflite, graph, but got \"" + o.format + "\"");
  }
  if (!o.quantize.empty() && o.quantize != "int8") {
    throw Error("--quantize must be int8 (or absent for float32), but got \"" + o.quantize + "\"");
  }
  o.exp.int8 = o.quantize == "int8";
  if (o.weights == "auto") {
    o.exp.weights = exporter::WeightSet::kAuto;
  } else if (o.weights == "model") {
    o.exp.weights = exporter::WeightSet::kModel;
  } else if (o.weights == "ema") {
    o.exp.weights = exporter::WeightSet::kEma;
  } else {
    throw Error("--weights must be one of auto, model, ema, but got \"" + o.weights + "\"");
  }
  graph::check_zoo_request(o.input_size, o.classes, "--input-size", "--classes");
  o.exp.network.zoo.input_size = o.input_size;
  o.exp.network.zoo.classes = o.classes;
  o.exp.seed = global.seed;
  print_result(exporter::run_export(o.exp), o.json);
}

}  // namespace

void add_export_command(CLI::App& app, const GlobalOptions& global) {
  auto o = std::make_shared<ExportCliOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export", "Export a trained network to TFLite (float32 or full-integer int8 for the Edge TPU) with a model card");
  cmd->add_option("--checkpoint", o->exp.checkpoint, "Trained weights (a nasctl checkpoint)");
  cmd->add_option("--model", o->exp.network.model, "Zoo network (optional when the checkpoint holds its graph)");
  cmd->add_option("--graph", o->exp.network.graph_file, "graph v1 JSON file");
  cmd->add_option("--arch", o->exp.network.arch_file, "ArchSpec JSON file (e.g. a search's arch.json)");
  cmd->add_option("--input-size", o->input_size, "Square input size of a zoo network (default: its own)");
  cmd->add_option("--classes", o->classes, "Classifier outputs of a zoo network")->capture_default_str();
  cmd->add_option("--out", o->exp.out, "Output file: model.tflite (the model card goes to model.json), or graph JSON")
      ->required();
  cmd->add_option("--format", o->format, "tflite or graph (graph v1 JSON, architecture only)")->capture_default_str();
  cmd->add_option("--quantize", o->quantize, "int8: full-integer post-training quantization (default: float32)");
  cmd->add_option("--calibration", o->exp.calibration.data,
                  "int8 calibration data: an ImageFolder/IDX folder or fashion-mnist (train split)");
  cmd->add_option("--calibration-batches", o->exp.calibration.batches, "Calibration batches")->capture_default_str();
  cmd->add_option("--calibration-batch-size", o->exp.calibration.batch_size, "Images per calibration batch")
      ->capture_default_str();
  cmd->add_option("--workers", o->exp.calibration.workers, "Decoding threads for calibration")->capture_default_str();
  cmd->add_option("--io-type", o->exp.io_type,
                  "Input/output type: int8, uint8 or float32 (default: int8 for int8 models, float32 otherwise)");
  cmd->add_option("--hard-swish", o->exp.hard_swish,
                  "hard_swish as TFLite's HARD_SWISH (builtin) or ADD/MUL/MUL, which the Edge TPU maps (decomposed); "
                  "default: decomposed for int8, builtin for float32");
  cmd->add_flag("--check-edgetpu", o->exp.check_edgetpu,
                "List the ops the Edge TPU compiler would not map and where it cuts the graph (always on for int8)");
  cmd->add_option("--hardware", o->exp.hardware, "Hardware profile for the predicted latency in the model card")
      ->capture_default_str();
  cmd->add_option("--weights", o->weights, "Checkpoint weights: auto (EMA when present), model or ema")
      ->capture_default_str();
  cmd->add_flag("--random-weights", o->exp.random_weights,
                "Export the seeded initialisation instead of a checkpoint (for compiling / latency of an untrained network)");
  cmd->add_flag("--json", o->json, "Machine-readable output");
  cmd->callback([o, &global] { run_export_command(*o, global); });
}

}  // namespace nasctl::cli
