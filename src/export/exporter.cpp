// run_export: the steps of `nasctl export`, and atomic writing of the model and its card.
#include "nasctl/export/exporter.h"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "export/model_card.h"
#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/export/lowering.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/space/arch_spec.h"

namespace nasctl::exporter {
namespace {

bool has_network(const space::NetworkSource& s) {
  return !s.model.empty() || !s.graph_file.empty() || !s.arch_file.empty();
}

Json network_source_json(const space::NetworkSource& s) {
  if (!s.model.empty()) return {{"model", s.model}};
  if (!s.graph_file.empty()) return {{"graph", s.graph_file}};
  if (!s.arch_file.empty()) return {{"arch", s.arch_file}};
  return {{"checkpoint_graph", true}};
}

IoType resolve_io(const ExportOptions& o) {
  if (o.io_type.empty()) return o.int8 ? IoType::kInt8 : IoType::kFloat32;
  return parse_io_type(o.io_type, "--io-type");
}

// The network, its weights and the checkpoint's metadata.
Checkpoint load_weights(const ExportOptions& o) {
  std::unique_ptr<graph::Graph> network;
  if (has_network(o.network)) network = std::make_unique<graph::Graph>(space::load_network(o.network));
  if (o.random_weights) {
    Checkpoint ck;
    ck.graph = *network;
    ck.weights = initial_weights(ck.graph, o.seed);
    ck.weight_set = "random";
    return ck;
  }
  CheckpointOptions co;
  co.weights = o.weights;
  return load_checkpoint(o.checkpoint, network.get(), co);
}

// The preprocessing the network was trained with: the checkpoint's "preprocess", else null.
Json checkpoint_preprocess(const Json& meta) {
  return meta.contains("preprocess") && meta["preprocess"].is_object() ? meta["preprocess"] : Json(nullptr);
}

// The predicted latency and its interval, into the card.
void predicted_latency(const graph::Graph& graph, const std::string& hardware, detail::CardInputs& card) {
  latency::EdgeTpuModel model(latency::load_hardware_profile(hardware));
  latency::LatencyPrediction p = model.predict_interval(graph);
  card.latency_ms = p.ms;
  card.latency_lo_ms = p.lo_ms;
  card.latency_hi_ms = p.hi_ms;
  card.latency_coverage = model.interval_model().coverage;
}

}  // namespace

std::string model_card_path(const std::string& out) {
  return std::filesystem::path(out).replace_extension(".json").string();
}

void ExportOptions::validate() const {
  if (out.empty()) throw Error("--out is required");
  if (format == ExportFormat::kGraph) {
    if (checkpoint.empty() && !has_network(network)) {
      throw Error("--format graph needs the network: --model, --graph, --arch or --checkpoint");
    }
    return;
  }
  if (checkpoint.empty() && !random_weights) {
    throw Error("--checkpoint is required for a .tflite (or --random-weights for an untrained network)");
  }
  if (!checkpoint.empty() && random_weights) throw Error("--random-weights and --checkpoint exclude each other");
  if (random_weights && !has_network(network)) throw Error("--random-weights needs --model, --graph or --arch");
  IoType io = resolve_io(*this);
  if (!int8 && io != IoType::kFloat32) {
    throw Error("--io-type " + io_type + " needs --quantize int8 (a float32 model has float32 input and output)");
  }
  if (!hard_swish.empty() && hard_swish != "builtin" && hard_swish != "decomposed") {
    throw Error("--hard-swish must be one of builtin, decomposed, but got \"" + hard_swish + "\"");
  }
  if (int8) calibration.validate();
  if (model_card_path(out) == out) throw Error("--out " + out + " must not end in .json: the model card goes there");
}

ExportResult run_export(const ExportOptions& o) {
  o.validate();
  ExportResult result;
  result.out = o.out;
  if (o.format == ExportFormat::kGraph) {
    graph::Graph graph = has_network(o.network) ? space::load_network(o.network) : load_checkpoint(o.checkpoint, nullptr).graph;
    std::string text = graph_to_json(graph).dump(2) + "\n";
    write_file_atomic(o.out, text);
    result.bytes = static_cast<int64_t>(text.size());
    return result;
  }

  Checkpoint ck = load_weights(o);
  spdlog::info("exporting '{}' ({} nodes, {} weights)", ck.graph.name, ck.graph.nodes.size(), ck.weight_set);
  LoweringOptions lowering;
  lowering.decompose_hard_swish = o.hard_swish.empty() ? o.int8 : o.hard_swish == "decomposed";
  LoweredModel lowered = lower_to_tflite(ck.graph, ck.weights, lowering);
  Model model = std::move(lowered.model);
  Json preprocess = checkpoint_preprocess(ck.meta);
  if (o.int8) {
    CalibrationOptions calibration = o.calibration;
    calibration.seed = o.seed;
    if (!preprocess.is_null()) {
      data::read_transform_json(JsonView(preprocess, o.checkpoint + ": preprocess"), &calibration.transform);
      calibration.has_transform = true;
    }
    std::vector<TensorRange> ranges = calibrate(model, calibration);
    QuantizeOptions qo;
    qo.io_type = resolve_io(o);
    model = quantize_int8(model, ranges, qo);
  }
  std::string bytes = serialize_tflite(model);
  result.bytes = static_cast<int64_t>(bytes.size());
  result.checked = o.int8 || o.check_edgetpu;
  if (result.checked) result.edgetpu = check_edgetpu_model(model, ck.graph);

  detail::CardInputs card;
  card.graph = &ck.graph;
  card.model = &model;
  card.model_file = std::filesystem::path(o.out).filename().string();
  card.precision = o.int8 ? "int8" : "float32";
  card.source = {{"checkpoint", o.checkpoint.empty() ? Json(nullptr) : Json(o.checkpoint)},
                 {"weights", ck.weight_set},
                 {"network", network_source_json(o.network)},
                 {"arch", ck.meta.contains("arch") ? ck.meta["arch"] : Json(nullptr)},
                 {"graph", graph_to_json(ck.graph)}};
  if (!o.network.arch_file.empty()) card.source["arch"] = space::arch_to_json(space::load_arch_file(o.network.arch_file));
  card.preprocess = preprocess;
  card.classes = ck.meta.value("classes", Json(ck.graph.output_shape().c));
  card.class_names = ck.meta.contains("class_names") ? ck.meta["class_names"] : Json(nullptr);
  card.edgetpu = result.checked ? &result.edgetpu : nullptr;
  card.hardware = o.hardware;
  predicted_latency(ck.graph, o.hardware, card);
  result.card_json = detail::build_model_card(card);
  result.card = model_card_path(o.out);

  // The card is written (atomically) inside the model's atomic write: a failure of either leaves
  // neither behind, and a previous export stays intact until both are complete.
  std::string card_text = result.card_json.dump(2) + "\n";
  write_file_atomic_with(o.out, [&](const std::string& tmp) {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    file.flush();
    if (!file) throw runtime_error(o.out + ": cannot write (" + std::strerror(errno) + ")");
    write_file_atomic(result.card, card_text);
  });
  return result;
}

}  // namespace nasctl::exporter
