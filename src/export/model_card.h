#pragma once
// The model card written beside every .tflite: what an application needs to feed the model.

#include <string>

#include "nasctl/core/json.h"
#include "nasctl/export/edgetpu_check.h"
#include "nasctl/export/tflite_model.h"
#include "nasctl/graph/graph.h"

namespace nasctl::exporter::detail {

struct CardInputs {
  const graph::Graph* graph = nullptr;
  const Model* model = nullptr;       // the written model
  std::string model_file;             // its file name (no folder)
  std::string precision;              // "float32" | "int8"
  Json source = Json::object();       // checkpoint, weights, network, arch
  Json preprocess;                    // the evaluation preprocessing, or null
  Json classes;                       // class count
  Json class_names;                   // names, or null
  const EdgeTpuReport* edgetpu = nullptr;  // when checked
  std::string hardware;               // latency profile name
  double latency_ms = 0;              // predicted on it
  double latency_lo_ms = 0;           // its prediction interval (equal to latency_ms: none)
  double latency_hi_ms = 0;
  double latency_coverage = 0;        // the interval's held-out coverage (0: no interval)
};

Json build_model_card(const CardInputs& in);

}  // namespace nasctl::exporter::detail
