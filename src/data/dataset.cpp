// open_dataset (layout detection), subsets, the held-out split, and labels files.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <unordered_map>

#include "dataset_impl.h"
#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nasctl/core/random.h"

namespace fs = std::filesystem;

namespace nasctl::data {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices)
      : base_(std::move(base)), indices_(std::move(indices)) {
    for (int64_t index : indices_)
      if (index < 0 || index >= base_->size())
        throw Error("subset: index " + std::to_string(index) + " is out of range for " + base_->describe() + " (" +
                    std::to_string(base_->size()) + " samples)");
  }

  int64_t size() const override { return static_cast<int64_t>(indices_.size()); }
  int label(int64_t index) const override { return base_->label(indices_[index]); }
  int classes() const override { return base_->classes(); }
  const std::vector<std::string>& class_names() const override { return base_->class_names(); }
  const std::vector<std::string>& class_keys() const override { return base_->class_keys(); }
  int channels() const override { return base_->channels(); }
  ImageShape fixed_shape() const override { return base_->fixed_shape(); }
  Image load(int64_t index, const ScaleHint& hint) const override { return base_->load(indices_[index], hint); }
  std::string sample_name(int64_t index) const override { return base_->sample_name(indices_[index]); }
  std::string describe() const override {
    return std::to_string(indices_.size()) + " samples of " + base_->describe();
  }
  DataSummary summary() const override {
    DataSummary summary = base_->summary();
    summary.samples = size();
    return summary;
  }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

}  // namespace

const char* split_name(Split split) { return split == Split::kTrain ? "train" : "val"; }

std::vector<int64_t> Dataset::class_counts() const {
  std::vector<int64_t> counts(classes(), 0);
  for (int64_t i = 0; i < size(); ++i) ++counts[label(i)];
  return counts;
}

std::vector<std::string> read_labels_file(const std::string& path, const std::vector<std::string>& keys) {
  std::istringstream in(read_file(path));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    line = trim(line);
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  if (lines.empty()) throw Error("labels file " + path + " has no entries");
  // "folder_name class name" lines (extra entries allowed, as a full synset list for a subset of
  // classes) when every class folder starts a line; otherwise one name per line.
  std::unordered_map<std::string, std::string> mapping;
  for (const auto& line : lines) {
    const std::string key = split_words(line)[0];
    const std::string name = trim(line.substr(key.size()));
    mapping.emplace(key, name.empty() ? key : name);
  }
  const bool keyed = std::all_of(keys.begin(), keys.end(), [&](const std::string& key) { return mapping.count(key) > 0; });
  if (keyed) {
    std::vector<std::string> names;
    for (const auto& key : keys) names.push_back(mapping.at(key));
    return names;
  }
  const bool some_keyed = std::any_of(keys.begin(), keys.end(), [&](const std::string& key) { return mapping.count(key) > 0; });
  if (some_keyed && lines.size() != keys.size()) {
    for (const auto& key : keys)
      if (!mapping.count(key)) throw Error("labels file " + path + " has no entry for class folder '" + key + "'");
  }
  if (lines.size() != keys.size())
    throw Error("labels file " + path + " has " + std::to_string(lines.size()) + " names, but the data has " +
                std::to_string(keys.size()) + " classes (and its lines do not start with class folder names)");
  return lines;
}

std::shared_ptr<Dataset> open_dataset(const std::string& data, Split split, const DataOptions& options) {
  if (data.empty()) throw Error("--data is empty: give a data folder or \"fashion-mnist\"");
  const bool builtin = data == "fashion-mnist";
  const std::string dir = builtin ? std::string(kFashionMnistDir) : data;
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    if (builtin)
      throw Error("fashion-mnist: " + dir + " does not exist (install the Debian package dataset-fashion-mnist)");
    throw Error("data folder " + dir + " does not exist");
  }
  if (!fs::is_directory(dir, ec)) throw Error("data " + dir + " is not a folder");
  try {
    if (fs::is_directory(fs::path(dir) / "train") || fs::is_directory(fs::path(dir) / "val"))
      return open_image_folder(dir, split, options);
    if (has_idx_files(dir)) {
      const bool fashion = builtin || lower(fs::path(dir).lexically_normal().string()).find("fashion") != std::string::npos;
      return open_idx(dir, split, options, fashion);
    }
  } catch (const fs::filesystem_error& e) {
    throw Error("cannot read data folder " + dir + ": " + e.what());
  }
  throw Error("data folder " + dir + " has neither train/ and val/ class folders (" + dir +
              "/train/<class>/*.jpg) nor IDX files (train-images-idx3-ubyte[.gz], ...)");
}

std::shared_ptr<Dataset> subset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices) {
  return std::make_shared<Subset>(std::move(base), std::move(indices));
}

std::pair<std::shared_ptr<Dataset>, std::shared_ptr<Dataset>> split_train_val(std::shared_ptr<const Dataset> base,
                                                                               double val_fraction, uint64_t seed) {
  if (!(val_fraction > 0.0 && val_fraction < 1.0))
    throw Error("validation fraction must be in (0, 1), but got " + std::to_string(val_fraction));
  std::vector<std::vector<int64_t>> by_class(base->classes());
  for (int64_t i = 0; i < base->size(); ++i) by_class[base->label(i)].push_back(i);
  std::vector<int64_t> train, val;
  for (size_t c = 0; c < by_class.size(); ++c) {
    auto& members = by_class[c];
    const int64_t n = static_cast<int64_t>(members.size());
    int64_t n_val = std::llround(val_fraction * n);
    if (n >= 2) n_val = std::clamp<int64_t>(n_val, 1, n - 1);
    SplitMix rng(class_split_seed(seed, static_cast<int64_t>(c)));
    for (int64_t i = n - 1; i > 0; --i) std::swap(members[i], members[rng.below(i + 1)]);  // Fisher-Yates
    val.insert(val.end(), members.begin(), members.begin() + n_val);
    train.insert(train.end(), members.begin() + n_val, members.end());
  }
  std::sort(train.begin(), train.end());
  std::sort(val.begin(), val.end());
  return {subset(base, std::move(train)), subset(base, std::move(val))};
}

}  // namespace nasctl::data
