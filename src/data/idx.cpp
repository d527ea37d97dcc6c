// IDX files (MNIST, Fashion-MNIST): big-endian headers, unsigned bytes, optionally gzip'd.

#include <zlib.h>

#include <algorithm>
#include <filesystem>

#include "dataset_impl.h"
#include "nasctl/core/error.h"

namespace fs = std::filesystem;

namespace nasctl::data {

namespace {

const std::vector<std::string> kFashionNames = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

// Reads a whole file through zlib, which passes uncompressed files through unchanged.
std::vector<uint8_t> read_maybe_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) throw Error("cannot open IDX file " + path);
  gzbuffer(file, 1 << 17);
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> chunk(1 << 20);
  for (;;) {
    const int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      throw Error("IDX file " + path + " is corrupt: " + message);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  gzclose(file);
  return bytes;
}

uint32_t big_endian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

// The data starts at offset 4 + 4 * rank.
std::vector<int64_t> parse_idx_header(const std::vector<uint8_t>& bytes, int rank, const std::string& path) {
  if (bytes.size() < 4 + 4u * rank)
    throw Error("IDX file " + path + " is too short (" + std::to_string(bytes.size()) + " bytes)");
  if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08 || bytes[3] != rank)
    throw Error("IDX file " + path + " has magic number 0x" + [&] {
      char hex[16];
      std::snprintf(hex, sizeof(hex), "%08x", big_endian(bytes.data()));
      return std::string(hex);
    }() + ", expected 0x0000080" + std::to_string(rank) + " (unsigned bytes, " + std::to_string(rank) + " dimensions)");
  std::vector<int64_t> dims(rank);
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    dims[d] = big_endian(bytes.data() + 4 + 4 * d);
    if (d > 0 && (dims[d] < 1 || dims[d] > kMaxIdxSide)) {
      throw Error("IDX file " + path + " declares an image side of " + std::to_string(dims[d]) + ", outside [1, " +
                  std::to_string(kMaxIdxSide) + "]");
    }
    total *= dims[d];  // < 2^32 x 2^12 x 2^12: no overflow
  }
  const int64_t payload = static_cast<int64_t>(bytes.size()) - 4 - 4 * rank;
  if (payload != total)
    throw Error("IDX file " + path + " holds " + std::to_string(payload) + " bytes of data, but its header says " +
                std::to_string(total));
  return dims;
}

namespace {

// The file in `dir` for "<prefix>-images" / "<prefix>-labels" of IDX kind idx3 / idx1.
std::string find_idx_file(const std::string& dir, const std::string& stem, const std::string& kind) {
  std::vector<std::string> matches;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name.rfind(stem, 0) == 0 && name.find(kind) != std::string::npos)
      matches.push_back(entry.path().string());
  }
  if (matches.empty())
    throw Error("IDX folder " + dir + " has no " + stem + "-" + kind + "-ubyte file (optionally .gz)");
  std::sort(matches.begin(), matches.end());  // "x-ubyte" before "x-ubyte.gz": the plain file wins
  return matches.front();
}

class IdxDataset : public Dataset {
 public:
  IdxDataset(const std::string& dir, Split split, const DataOptions& options, bool fashion) {
    const std::string prefix = split == Split::kTrain ? "train" : "t10k";
    images_path_ = find_idx_file(dir, prefix + "-images", "idx3");
    const std::string labels_path = find_idx_file(dir, prefix + "-labels", "idx1");
    describe_ = "IDX " + dir + " (" + split_name(split) + ")";
    pixels_ = read_maybe_gzip(images_path_);
    const std::vector<int64_t> dims = parse_idx_header(pixels_, 3, images_path_);
    count_ = dims[0];
    shape_ = {static_cast<int>(dims[1]), static_cast<int>(dims[2])};
    const std::vector<uint8_t> label_bytes = read_maybe_gzip(labels_path);
    const int64_t label_count = parse_idx_header(label_bytes, 1, labels_path)[0];
    if (label_count != count_)
      throw Error("IDX files disagree: " + images_path_ + " has " + std::to_string(count_) + " images but " +
                  labels_path + " has " + std::to_string(label_count) + " labels");
    if (count_ == 0) throw Error("IDX file " + images_path_ + " holds no images");
    pixels_.erase(pixels_.begin(), pixels_.begin() + 16);
    labels_.assign(label_bytes.begin() + 8, label_bytes.end());
    const int classes = *std::max_element(labels_.begin(), labels_.end()) + 1;
    for (int c = 0; c < classes; ++c) keys_.push_back(std::to_string(c));
    if (!options.labels_file.empty()) {
      names_ = read_labels_file(options.labels_file, keys_);
    } else if (fashion && classes == static_cast<int>(kFashionNames.size())) {
      names_ = kFashionNames;
    } else {
      names_ = keys_;
    }
  }

  int64_t size() const override { return count_; }
  int label(int64_t index) const override { return labels_[index]; }
  int classes() const override { return static_cast<int>(keys_.size()); }
  const std::vector<std::string>& class_names() const override { return names_; }
  const std::vector<std::string>& class_keys() const override { return keys_; }
  int channels() const override { return 1; }
  ImageShape fixed_shape() const override { return shape_; }
  std::string sample_name(int64_t index) const override { return images_path_ + "[" + std::to_string(index) + "]"; }
  std::string describe() const override { return describe_; }

  Image load(int64_t index, const ScaleHint&) const override {
    Image image = Image::filled(shape_.height, shape_.width, 1);
    const size_t n = image.pixels.size();
    std::copy_n(pixels_.begin() + static_cast<int64_t>(n) * index, n, image.pixels.begin());
    return image;
  }

  DataSummary summary() const override {
    DataSummary summary;
    summary.samples = count_;
    summary.classes = classes();
    return summary;
  }

 private:
  std::string images_path_;
  std::string describe_;
  int64_t count_ = 0;
  ImageShape shape_;
  std::vector<uint8_t> pixels_;
  std::vector<uint8_t> labels_;
  std::vector<std::string> keys_;
  std::vector<std::string> names_;
};

}  // namespace

bool has_idx_files(const std::string& dir) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.find("-images") != std::string::npos && name.find("idx3") != std::string::npos) return true;
  }
  return false;
}

std::shared_ptr<Dataset> open_idx(const std::string& dir, Split split, const DataOptions& options, bool fashion) {
  return std::make_shared<IdxDataset>(dir, split, options, fashion);
}

}  // namespace nasctl::data
