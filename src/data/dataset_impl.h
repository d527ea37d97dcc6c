#pragma once
// The concrete datasets behind open_dataset, and the labels-file reader they share.

#include <memory>
#include <string>
#include <vector>

#include "nasctl/data/dataset.h"

namespace nasctl::data {

/// ImageFolder: `root`/train or `root`/val with one folder per class.
std::shared_ptr<Dataset> open_image_folder(const std::string& root, Split split, const DataOptions& options);

/// True when `dir` holds files named like IDX images ("*-images-idx3-ubyte*", "*-images.idx3-ubyte*").
bool has_idx_files(const std::string& dir);

/// IDX files of `split` in `dir`; `fashion` names the classes as Fashion-MNIST does.
std::shared_ptr<Dataset> open_idx(const std::string& dir, Split split, const DataOptions& options, bool fashion);

/// Class names for `keys` (class folder names by class index) from a labels file (see
/// DataOptions::labels_file); throws Error naming the file and the problem.
std::vector<std::string> read_labels_file(const std::string& path, const std::vector<std::string>& keys);

}  // namespace nasctl::data
