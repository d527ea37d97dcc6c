// ImageFolder: root/<split>/<class>/**/*.jpg|jpeg|png, class index = sorted folder names.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "dataset_impl.h"
#include "nasctl/core/error.h"

namespace fs = std::filesystem;

namespace nasctl::data {

namespace {

constexpr size_t kUnreadableExamples = 5;

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

// Sorted names of the sub-folders of `dir` (symlinks to folders count, as torchvision follows them).
std::vector<std::string> class_folders(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, fs::directory_options::follow_directory_symlink)) {
    if (entry.is_directory() && entry.path().filename().string()[0] != '.') names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The first name in one list and not the other, for a message.
std::string first_difference(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& name : a)
    if (!std::binary_search(b.begin(), b.end(), name)) return name;
  return "";
}

class ImageFolder : public Dataset {
 public:
  ImageFolder(const fs::path& root, Split split, const DataOptions& options) : dir_(root / split_name(split)) {
    const std::string layout = "ImageFolder layout: " + (root / "train").string() + "/<class>/*.jpg and " +
                               (root / "val").string() + "/<class>/*.jpg";
    if (!fs::is_directory(dir_))
      throw Error("data folder " + root.string() + " has no " + split_name(split) + "/ folder (" + layout + ")");
    keys_ = class_folders(dir_);
    if (keys_.empty()) throw Error(dir_.string() + " has no class folders (" + layout + ")");
    check_other_split(root, split);
    for (size_t c = 0; c < keys_.size(); ++c) scan_class(dir_ / keys_[c], static_cast<int>(c));
    names_ = options.labels_file.empty() ? keys_ : read_labels_file(options.labels_file, keys_);
  }

  int64_t size() const override { return static_cast<int64_t>(paths_.size()); }
  int label(int64_t index) const override { return labels_[index]; }
  int classes() const override { return static_cast<int>(keys_.size()); }
  const std::vector<std::string>& class_names() const override { return names_; }
  const std::vector<std::string>& class_keys() const override { return keys_; }
  int channels() const override { return 3; }
  ImageShape fixed_shape() const override { return {}; }
  std::string sample_name(int64_t index) const override { return paths_[index]; }
  std::string describe() const override { return "ImageFolder " + dir_.string(); }

  Image load(int64_t index, const ScaleHint& hint) const override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto known = unreadable_.find(index);
      if (known != unreadable_.end()) throw runtime_error(known->second);
    }
    try {
      Image image = read_image(paths_[index], hint);
      return image.channels == 3 ? image : convert_channels(image, 3);
    } catch (const Error& e) {
      record_unreadable(index, e.what());
      throw;
    }
  }

  DataSummary summary() const override {
    DataSummary summary;
    summary.samples = size();
    summary.classes = classes();
    summary.ignored_files = ignored_;
    std::lock_guard<std::mutex> lock(mutex_);
    summary.unreadable_files = static_cast<int64_t>(unreadable_.size());
    summary.unreadable_examples = examples_;
    return summary;
  }

 private:
  void check_other_split(const fs::path& root, Split split) const {
    const fs::path other = root / split_name(split == Split::kTrain ? Split::kVal : Split::kTrain);
    if (!fs::is_directory(other)) return;
    const std::vector<std::string> other_keys = class_folders(other);
    if (other_keys == keys_ || other_keys.empty()) return;
    std::string name = first_difference(keys_, other_keys);
    const fs::path only_in = name.empty() ? other : dir_;
    if (name.empty()) name = first_difference(other_keys, keys_);
    throw Error("data folder " + root.string() + ": train/ and val/ must have the same class folders, but '" + name +
                "' is only in " + only_in.string() + " (" + std::to_string(keys_.size()) + " vs " +
                std::to_string(other_keys.size()) + " classes)");
  }

  void scan_class(const fs::path& class_dir, int label) {
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(class_dir, fs::directory_options::follow_directory_symlink);
         it != fs::recursive_directory_iterator(); ++it) {
      if (!it->is_regular_file()) continue;
      if (is_image_file(it->path())) {
        files.push_back(it->path().string());
      } else {
        ++ignored_;
      }
    }
    if (files.empty())
      throw Error("class folder " + class_dir.string() + " has no images (*.jpg, *.jpeg, *.png)");
    std::sort(files.begin(), files.end());
    for (auto& file : files) {
      paths_.push_back(std::move(file));
      labels_.push_back(label);
    }
  }

  void record_unreadable(int64_t index, const std::string& message) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!unreadable_.emplace(index, message).second) return;
    spdlog::warn("skipping unreadable image {}", message);
    if (examples_.size() < kUnreadableExamples) examples_.push_back(message);
  }

  fs::path dir_;
  std::vector<std::string> keys_;
  std::vector<std::string> names_;
  std::vector<std::string> paths_;
  std::vector<int32_t> labels_;
  int64_t ignored_ = 0;
  mutable std::mutex mutex_;
  mutable std::unordered_map<int64_t, std::string> unreadable_;  // index -> "path: reason"
  mutable std::vector<std::string> examples_;
};

}  // namespace

std::shared_ptr<Dataset> open_image_folder(const std::string& root, Split split, const DataOptions& options) {
  try {
    return std::make_shared<ImageFolder>(fs::path(root), split, options);
  } catch (const fs::filesystem_error& e) {
    throw Error("cannot read data folder " + root + ": " + e.what());
  }
}

}  // namespace nasctl::data
