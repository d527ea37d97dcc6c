#pragma once
// A small learnable IDX data set and a tiny graph for command-line tests that train (no zlib or
// image libraries: the CLI tests link only what the binary's torch-free core needs).

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "nasctl/core/files.h"
#include "nasctl/core/json.h"

namespace nasctl::testing {

/// An uncompressed IDX file of unsigned bytes.
inline void write_idx_file(const std::string& path, const std::vector<int>& dims, const std::vector<uint8_t>& data) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (int d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((d >> shift) & 0xFF));
  }
  bytes.append(data.begin(), data.end());
  write_file_atomic(path, bytes);
}

/// 3 classes of 12x12 gray images with noise (bright, dark, striped) as train-* and t10k-* IDX files.
inline void write_idx_data(const std::string& dir, int train_n, int val_n) {
  std::filesystem::create_directories(dir);
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> noise(0, 60);
  for (auto [prefix, n] : {std::pair<std::string, int>{"train", train_n}, {"t10k", val_n}}) {
    std::vector<uint8_t> pixels, labels;
    for (int i = 0; i < n; ++i) {
      int label = i % 3;
      labels.push_back(static_cast<uint8_t>(label));
      for (int p = 0; p < 144; ++p) {
        bool bright = label == 0 || (label == 2 && (p / 12) % 2 == 0);
        pixels.push_back(static_cast<uint8_t>((bright ? 170 : 40) + noise(rng)));
      }
    }
    write_idx_file(dir + "/" + prefix + "-images-idx3-ubyte", {n, 12, 12}, pixels);
    write_idx_file(dir + "/" + prefix + "-labels-idx1-ubyte", {n}, labels);
  }
}

/// A graph v1 file for 12x12x1 inputs: conv (s2) + BN + relu, conv + relu, global pool, classifier.
inline void write_tiny_graph(const std::string& path, int classes) {
  Json graph = parse_json(R"({"name": "tiny", "input": [12, 12, 1], "nodes": [
      {"id": "c1", "op": "conv2d", "inputs": ["input"], "filters": 8, "kernel": 3, "stride": 2, "padding": "same"},
      {"id": "b1", "op": "batch_norm", "inputs": ["c1"], "activation": "relu"},
      {"id": "c2", "op": "conv2d", "inputs": ["b1"], "filters": 8, "kernel": 3, "stride": 1, "padding": "same",
       "bias": true, "activation": "relu"},
      {"id": "g", "op": "global_avg_pool", "inputs": ["c2"]},
      {"id": "fc", "op": "fully_connected", "inputs": ["g"], "units": 3, "bias": true}], "outputs": ["fc"]})",
                          "graph");
  graph["nodes"][4]["units"] = classes;
  write_file_atomic(path, graph.dump());
}

}  // namespace nasctl::testing
