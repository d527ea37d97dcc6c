#pragma once
/// Measured latencies to calibrate and judge the model against. A measurement file is JSON:
///
///   {"network": {...},                          (optional: NAS-Bench-201 network description)
///    "measurements": [
///      {"model": "mobilenet_v2", "input": 224, "usb3_ms": 2.6, "devboard_ms": 2.6},
///      {"arch_str": "|nor_conv_3x3~0|+|...|", "latency_ms": 1.31},
///      {"name": "mine", "graph": {graph v1}, "latency_ms": 4.2}]}
///
/// Each entry names its network by "model" (a zoo network; "input" and "classes" optional),
/// "arch_str" (NAS-Bench-201, built as the file's "network" describes) or "graph" (inline graph v1
/// JSON), and its latency by "<device>_ms" (the profile's device column) or "latency_ms".

#include <string>
#include <vector>

#include "nasctl/graph/graph.h"

namespace nasctl::latency {

struct Measurement {
  std::string name;       ///< "mobilenet_v2@224", the arch string, or the entry's name
  std::string file;       ///< file name it came from (no directory)
  graph::Graph graph;     ///< finalized
  double latency_ms = 0;
  /// What cross-validation holds out together: "family:<name>" for a zoo network (all MobileNets
  /// are one family), "topology:<signature>" for any other graph (networks that compile to the
  /// same ops, such as NAS-Bench-201 cells that differ only in dead edges, share it).
  std::string group;
};

/// The family of a zoo model name: its first word without digits ("mobilenet_v2" -> "mobilenet",
/// "resnet50_v1" -> "resnet", "efficientnet_edgetpu_s" -> "efficientnet").
std::string network_family(const std::string& model);

/// A signature of a finalized graph's structure (ops, attributes, wiring; not the node ids):
/// equal for graphs that compile to the same network.
std::string topology_signature(const graph::Graph& graph);

/// Reads one file, taking the "<device>_ms" column where entries have one. Errors name the file,
/// the entry index and the key.
std::vector<Measurement> load_measurements(const std::string& path, const std::string& device);

/// The zoo name for a measurement-table model name ("inception_v1" -> the zoo's GoogLeNet entry);
/// the name itself when the zoo has it. Throws Error listing the zoo when there is no match.
std::string zoo_name_for(const std::string& model, const std::string& where);

}  // namespace nasctl::latency
