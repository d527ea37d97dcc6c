#pragma once
/// `nasctl export`: a network and its weights -> model.tflite (float32 or full-integer int8) with a
/// model card model.json beside it, or graph v1 JSON. The steps: resolve the network and weights,
/// lower (export/lowering.h), calibrate and quantize (export/calibration.h, export/quantize.h),
/// check for the Edge TPU (export/edgetpu_check.h), predict the latency (latency model), write.

#include <cstdint>
#include <string>

#include "nasctl/core/json.h"
#include "nasctl/export/calibration.h"
#include "nasctl/export/edgetpu_check.h"
#include "nasctl/export/quantize.h"
#include "nasctl/export/weights.h"
#include "nasctl/space/network_source.h"

namespace nasctl::exporter {

/// What `--format` writes.
enum class ExportFormat { kTflite, kGraph };

struct ExportOptions {
  /// Trained weights (`--checkpoint`, a nasctl checkpoint); required for tflite unless
  /// random_weights. Default "".
  std::string checkpoint;
  /// The network (`--model` / `--graph` / `--arch`); optional when the checkpoint holds its graph.
  space::NetworkSource network;
  /// Output file (`--out`): model.tflite, or graph.json for --format graph; required.
  std::string out;
  /// `--format tflite|graph`; default tflite.
  ExportFormat format = ExportFormat::kTflite;
  /// `--quantize int8`: full-integer int8; default false = float32.
  bool int8 = false;
  /// `--io-type int8|uint8|float32`; default "" = int8 for int8 models, float32 otherwise.
  std::string io_type;
  /// `--hard-swish builtin|decomposed`: TFLite's HARD_SWISH, or ADD/MUL/MUL that the Edge TPU
  /// compiler maps; default "" = decomposed for int8, builtin for float32.
  std::string hard_swish;
  /// int8 calibration (`--calibration DATA --calibration-batches N`).
  CalibrationOptions calibration;
  /// `--check-edgetpu`: report what the Edge TPU compiler would not map; default false (always on
  /// for int8).
  bool check_edgetpu = false;
  /// `--hardware`: profile for the predicted latency in the model card; default coral-usb3.
  std::string hardware = "coral-usb3";
  /// `--weights auto|model|ema`; default auto (EMA when the checkpoint has it).
  WeightSet weights = WeightSet::kAuto;
  /// `--random-weights`: export GraphNet's seeded initialisation instead of a checkpoint (to
  /// compile an untrained architecture and measure its latency); default false.
  bool random_weights = false;
  /// Seed of --random-weights and of the calibration sample order; default 0.
  uint64_t seed = 0;

  /// Throws Error naming the flag and the value.
  void validate() const;
};

/// What an export wrote.
struct ExportResult {
  std::string out;          ///< the .tflite (or graph JSON) path
  std::string card;         ///< the model card path ("" for --format graph)
  Json card_json;           ///< its content
  bool checked = false;     ///< whether the Edge TPU check ran
  EdgeTpuReport edgetpu;    ///< its result
  int64_t bytes = 0;        ///< size of the written model
};

/// Runs the export. Both files are written atomically; when anything fails, nothing is left
/// behind (and files from an earlier export stay as they were).
ExportResult run_export(const ExportOptions& options);

/// `<out without extension>.json`, the model card's path.
std::string model_card_path(const std::string& out);

}  // namespace nasctl::exporter
