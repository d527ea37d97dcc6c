#pragma once
/// Datasets: an ImageFolder tree of JPEG/PNG files (ImageNet's layout) or MNIST-style IDX files,
/// opened by one function; subsets and a deterministic held-out validation split of the training
/// data. No LibTorch here.
///
///   auto train = data::open_dataset("fashion-mnist", data::Split::kTrain);
///   auto [fit, holdout] = data::split_train_val(train, 0.1, /*seed=*/0);   // the search's split
///   auto test = data::open_dataset("fashion-mnist", data::Split::kVal);     // t10k

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nasctl/data/image.h"

namespace nasctl::data {

/// Which part of the data. ImageFolder: root/train or root/val. IDX: train-* or t10k-* files.
enum class Split { kTrain, kVal };

/// "train" or "val".
const char* split_name(Split split);

/// Where `--data fashion-mnist` points: the IDX files of Debian's dataset-fashion-mnist package.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct DataOptions {
  /// Optional class-name file (`--labels`); default "" = names are the class folder names (IDX:
  /// Fashion-MNIST's names for Fashion-MNIST, "0".."9" otherwise). Two forms, one entry per line,
  /// blank lines and lines starting with '#' ignored:
  ///  - "folder_name class name": the first word is a class folder, the rest of the line its name
  ///    (ImageNet's LOC_synset_mapping.txt: "n01440764 tench, Tinca tinca"); every folder must be
  ///    listed, extra entries are allowed;
  ///  - one name per line, in class-index order (sorted folder names, IDX label values); the
  ///    number of lines must equal the number of classes.
  /// The first form is used when every class folder starts a line.
  std::string labels_file;
};

/// Counts for the run summary.
struct DataSummary {
  int64_t samples = 0;        ///< images in this dataset (or subset)
  int classes = 0;            ///< number of classes
  int64_t ignored_files = 0;  ///< files in class folders that are not .jpg/.jpeg/.png (not loaded)
  /// Distinct files found unreadable or corrupt so far (each skipped, see Dataset::load). Counted
  /// over the whole underlying dataset, also for a subset of it.
  int64_t unreadable_files = 0;
  /// The first few unreadable files with the reason, "path: reason".
  std::vector<std::string> unreadable_examples;
};

/// Fixed image size of a dataset whose images all have one size (IDX); 0 x 0 when they vary.
struct ImageShape {
  int height = 0;
  int width = 0;
};

/// A labelled image collection. Indices are 0..size()-1; labels are 0..classes()-1.
/// All methods are const and thread-safe (loader workers call load() concurrently).
class Dataset {
 public:
  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  virtual int label(int64_t index) const = 0;
  virtual int classes() const = 0;
  /// One name per class index (ImageFolder: folder names, or from DataOptions::labels_file).
  virtual const std::vector<std::string>& class_names() const = 0;
  /// Class folder names by class index (ImageFolder), or "0".."K-1" (IDX); what `--labels` maps.
  virtual const std::vector<std::string>& class_keys() const = 0;
  /// Native channels: 1 for IDX (gray), 3 for ImageFolder (gray and CMYK files become RGB).
  virtual int channels() const = 0;
  /// The common image size (IDX: 28 x 28), or 0 x 0 when sizes vary (ImageFolder).
  virtual ImageShape fixed_shape() const = 0;

  /// Decodes sample `index` (channels() channels). `hint` lets a JPEG decode at reduced size.
  /// An unreadable or corrupt file throws nasctl::Error (runtime) naming the file and the reason;
  /// it is logged once as a warning and counted in summary(), and later calls for it throw at
  /// once without reading it again. The Loader catches this and substitutes another sample.
  virtual Image load(int64_t index, const ScaleHint& hint = nullptr) const = 0;

  /// A name for sample `index` in messages: the file path, or "train-images-idx3-ubyte.gz[17]".
  virtual std::string sample_name(int64_t index) const = 0;
  /// "ImageFolder /data/imagenet/train" or "IDX /usr/share/datasets/fashion-mnist (train)".
  virtual std::string describe() const = 0;
  virtual DataSummary summary() const = 0;

  /// Number of samples of each class (size classes()).
  std::vector<int64_t> class_counts() const;
};

/// Opens `data` (a folder, or "fashion-mnist") for `split`:
///  - a folder with train/ and/or val/ holding one sub-folder per class with *.jpg, *.jpeg or *.png
///    files (any case; nested folders inside a class folder are searched too); class index = the
///    sorted class folder names (byte order, as torchvision's ImageFolder). When both train/ and val/
///    exist, their class folders must agree;
///  - a folder of IDX files: train-images-idx3-ubyte / train-labels-idx1-ubyte and t10k-... (also
///    named "train-images.idx3-ubyte"), each optionally gzip-compressed (.gz);
///  - "fashion-mnist": the IDX files in kFashionMnistDir.
/// Throws nasctl::Error (input) naming the folder for: a missing folder, a folder with neither
/// layout, a missing split, a split without class folders, a class folder without images, IDX
/// files that are malformed or disagree (counts, magic numbers), a bad labels file.
std::shared_ptr<Dataset> open_dataset(const std::string& data, Split split, const DataOptions& options = {});

/// The samples `indices` of `base` (in that order, repeats allowed), as a Dataset sharing base's
/// files and unreadable-file records. Throws when an index is out of range.
std::shared_ptr<Dataset> subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);

/// Splits `base` into (train, held-out validation): per class, a seeded random `val_fraction` of its
/// samples (at least one per class that has two or more) goes to validation, the rest to train;
/// both keep ascending index order. Deterministic for a given seed, disjoint, covering base.
/// Throws unless 0 < val_fraction < 1.
std::pair<std::shared_ptr<Dataset>, std::shared_ptr<Dataset>> split_train_val(
    std::shared_ptr<const Dataset> base, double val_fraction, uint64_t seed);

}  // namespace nasctl::data
