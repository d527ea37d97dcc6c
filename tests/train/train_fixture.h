#pragma once
// Small learnable datasets and networks for the trainer tests (seconds on one core).

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "data/image_files.h"
#include "nasctl/core/files.h"
#include "nasctl/core/json.h"
#include "nasctl/train/options.h"

namespace nasctl::train::testing {

/// 3 classes of 12 x 12 gray images with noise: bright, dark, and horizontal stripes (what a conv
/// and a global average pool can tell apart). Written as IDX files (train-* and t10k-*) into `dir`.
inline void write_idx_data(const std::string& dir, int train_n, int val_n, uint32_t seed = 1) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(0, 60);
  auto write = [&](const std::string& prefix, int n) {
    std::vector<uint8_t> pixels, labels;
    for (int i = 0; i < n; ++i) {
      int label = i % 3;
      labels.push_back(static_cast<uint8_t>(label));
      for (int y = 0; y < 12; ++y) {
        for (int x = 0; x < 12; ++x) {
          bool bright = label == 0 || (label == 2 && y % 2 == 0);
          pixels.push_back(static_cast<uint8_t>((bright ? 170 : 40) + noise(rng)));
        }
      }
    }
    data::testing::write_idx(dir + "/" + prefix + "-images-idx3-ubyte", {n, 12, 12}, pixels, false);
    data::testing::write_idx(dir + "/" + prefix + "-labels-idx1-ubyte", {n}, labels, false);
  };
  write("train", train_n);
  write("t10k", val_n);
}

/// A graph v1 file: conv (s2) [+ BN] + relu, conv + relu, global pool, fully_connected.
inline std::string write_tiny_graph(const std::string& path, int classes, int channels = 1, int size = 12,
                                    bool batch_norm = true, int filters = 8) {
  Json nodes = Json::array();
  nodes.push_back({{"id", "conv_0"}, {"op", "conv2d"}, {"inputs", {"input"}}, {"filters", filters}, {"kernel", 3},
                   {"stride", 2}, {"padding", "same"}, {"bias", !batch_norm},
                   {"activation", batch_norm ? "none" : "relu"}});
  std::string last = "conv_0";
  if (batch_norm) {
    nodes.push_back({{"id", "bn_0"}, {"op", "batch_norm"}, {"inputs", {"conv_0"}}, {"activation", "relu"}});
    last = "bn_0";
  }
  nodes.push_back({{"id", "conv_1"}, {"op", "conv2d"}, {"inputs", {last}}, {"filters", 8}, {"kernel", 3},
                   {"stride", 1}, {"padding", "same"}, {"bias", true}, {"activation", "relu"}});
  nodes.push_back({{"id", "gap"}, {"op", "global_avg_pool"}, {"inputs", {"conv_1"}}});
  nodes.push_back({{"id", "fc"}, {"op", "fully_connected"}, {"inputs", {"gap"}}, {"units", classes}, {"bias", true}});
  Json graph = {{"name", "tiny"}, {"input", {size, size, channels}}, {"nodes", nodes}, {"outputs", {"fc"}}};
  write_file_atomic(path, graph.dump(2));
  return path;
}

/// Options for a fast run of the tiny graph on `data`: batch 8, 2 epochs, EMA and dropout on.
inline TrainOptions tiny_options(const std::string& data, const std::string& graph, const std::string& out) {
  TrainOptions o;
  o.graph_file = graph;
  o.data = data;
  o.out = out;
  o.epochs = 2;
  o.batch_size = 8;
  o.workers = 1;
  o.optimizer.lr = 0.1;
  o.optimizer.lr_reference_batch = 0;
  o.schedule.warmup_epochs = 0.5;
  o.ema_decay = 0.9;
  o.dropout = 0.1;
  o.label_smoothing = 0.1;
  o.seed = 5;
  return o;
}

}  // namespace nasctl::train::testing
