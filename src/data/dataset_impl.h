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

/// The largest image side an IDX file may declare (MNIST's is 28).
constexpr int64_t kMaxIdxSide = 4096;

/// Checks the header of an IDX file of unsigned bytes with `rank` dimensions held in `bytes`
/// (magic, each dimension, the payload size) and returns its dimensions; throws Error naming
/// `path`. For rank 3 the image sides must be in [1, kMaxIdxSide].
std::vector<int64_t> parse_idx_header(const std::vector<uint8_t>& bytes, int rank, const std::string& path);

/// Class names for `keys` (class folder names by class index) from a labels file (see
/// DataOptions::labels_file); throws Error naming the file and the problem.
std::vector<std::string> read_labels_file(const std::string& path, const std::vector<std::string>& keys);

}  // namespace nasctl::data
