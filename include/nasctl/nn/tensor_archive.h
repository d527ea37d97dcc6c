#pragma once
/// A version-neutral checkpoint container: a JSON header (metadata + a tensor index) followed by
/// raw little-endian tensor bytes. Any LibTorch version (or a script) can read it; no pickles.
/// Written atomically.

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "nasctl/core/json.h"

namespace nasctl::nn {

struct TensorArchive {
  Json meta = Json::object();  ///< free-form metadata (architecture, epoch, config, ...)
  std::vector<std::pair<std::string, torch::Tensor>> tensors;  ///< name -> tensor (CPU, contiguous)

  /// Adds a tensor (copied to CPU, contiguous).
  void add(const std::string& name, const torch::Tensor& tensor);
  /// Finds a tensor; throws Error naming the archive `origin` and the name when absent.
  const torch::Tensor& get(const std::string& name, const std::string& origin = "checkpoint") const;
  bool contains(const std::string& name) const;
};

/// Writes `archive` to `path` atomically (temp file + fsync + rename).
void save_archive(const TensorArchive& archive, const std::string& path);
/// Reads an archive; throws Error naming the file on a bad magic, truncated data or bad index.
TensorArchive load_archive(const std::string& path);

/// Stores a module's parameters and buffers under "<prefix><name>".
void add_module_state(TensorArchive& archive, torch::nn::Module& module, const std::string& prefix = "");
/// Copies "<prefix><name>" tensors into the module's parameters and buffers. Throws Error naming
/// the first missing tensor or the first whose shape differs ("... 'conv_3.weight' has shape
/// [16, 3, 3, 3] in the checkpoint but [32, 3, 3, 3] in the network").
void load_module_state(const TensorArchive& archive, torch::nn::Module& module, const std::string& origin,
                       const std::string& prefix = "");

}  // namespace nasctl::nn
