#pragma once
/// The model zoo: reference networks as Graphs, each as its reference implementation defines it.

#include <string>
#include <vector>

#include "nasctl/graph/graph.h"

namespace nasctl::graph {

/// Overrides for building a zoo network.
struct ZooOptions {
  int input_size = 0;  ///< square input side; default 0 = the network's own (224, 240, 299, 300)
  int classes = 1000;  ///< classifier outputs; default 1000 (ImageNet)
  int channels = 3;    ///< input channels; default 3
  double width = 1.0;  ///< width multiplier where the family defines one (MobileNets); default 1.0
};

/// One zoo network.
struct ZooEntry {
  std::string name;         ///< "mobilenet_v2"
  std::string description;  ///< one line: paper / reference implementation
  int default_input_size;   ///< 224, 240, 299 or 300
  int min_input_size = 1;   ///< smallest square input the architecture accepts (valid convs / pools)
};

/// The one check of a requested input size and class count (the zoo's and every command's):
/// throws Error "<input_name> must be > 0 (or 0 for the default), but got -3" or
/// "<classes_name> must be > 0, but got 0".
void check_zoo_request(int input_size, int classes, const std::string& input_name, const std::string& classes_name);

/// Every zoo network, in listing order.
const std::vector<ZooEntry>& zoo_entries();
/// True when `name` is a zoo network.
bool is_zoo_model(const std::string& name);
/// Builds zoo network `name`; throws Error listing the names when unknown, or when the input is
/// too small for the network.
Graph zoo_model(const std::string& name, const ZooOptions& options = {});

}  // namespace nasctl::graph
