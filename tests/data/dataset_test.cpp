// Datasets: ImageFolder scanning and errors, labels files, IDX files, Fashion-MNIST, subsets.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "data/image_files.h"
#include "nasctl/data/dataset.h"
#include "support.h"

namespace nasctl::data {
namespace {

using nasctl::testing::TempDir;
namespace fs = std::filesystem;

void write_text(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

// root/{train,val}/{ant,cat,dog}: JPEG, PNG, gray and CMYK JPEGs, a text file.
void make_tree(const std::string& root) {
  for (const std::string split : {"train", "val"}) {
    const std::string base = root + "/" + split + "/";
    testing::write_jpeg(base + "cat/b.JPEG", testing::gradient(30, 40));
    testing::write_jpeg(base + "cat/a.jpg", testing::gradient(20, 20));
    testing::write_png(base + "ant/x.png", testing::gradient(16, 24));
    testing::write_jpeg(base + "dog/gray.jpg", testing::gradient(12, 18, 1));
    std::vector<uint8_t> cmyk(10 * 10 * 4, 255);
    testing::write_bytes(base + "dog/cmyk.jpeg", testing::encode_jpeg(cmyk.data(), 10, 10, TJPF_CMYK));
    write_text(base + "dog/notes.txt", "not an image");
  }
}

TEST(ImageFolder, ScansSortedClassesAndFiles) {
  TempDir dir;
  make_tree(dir.path());
  auto train = open_dataset(dir.path(), Split::kTrain);
  EXPECT_EQ(train->classes(), 3);
  EXPECT_EQ(train->class_names(), (std::vector<std::string>{"ant", "cat", "dog"}));
  EXPECT_EQ(train->channels(), 3);
  ASSERT_EQ(train->size(), 5);
  EXPECT_EQ(train->class_counts(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(fs::path(train->sample_name(1)).filename(), "a.jpg");  // cat: a.jpg before b.JPEG
  EXPECT_EQ(fs::path(train->sample_name(2)).filename(), "b.JPEG");
  EXPECT_EQ(train->label(0), 0);
  EXPECT_EQ(train->label(4), 2);
  EXPECT_EQ(train->summary().ignored_files, 1);  // notes.txt
  for (int64_t i = 0; i < train->size(); ++i) EXPECT_EQ(train->load(i).channels, 3) << train->sample_name(i);
  const Image cmyk = train->load(3);  // dog/cmyk.jpeg: all 255 -> white
  EXPECT_EQ(cmyk.width, 10);
  EXPECT_NEAR(cmyk.at(5, 5, 0), 255, 2);
  auto val = open_dataset(dir.path(), Split::kVal);
  EXPECT_EQ(val->size(), 5);
  EXPECT_NE(val->describe().find("val"), std::string::npos);
}

TEST(ImageFolder, CorruptFilesAreCountedOnceAndNamed) {
  TempDir dir;
  make_tree(dir.path());
  write_text(dir.path() + "/train/cat/c.jpg", "garbage");
  auto train = open_dataset(dir.path(), Split::kTrain);
  ASSERT_EQ(fs::path(train->sample_name(3)).filename(), "c.jpg");
  EXPECT_THROW_MSG(train->load(3), "c.jpg: neither JPEG nor PNG");
  EXPECT_THROW_MSG(train->load(3), "c.jpg");  // known bad: throws again, counted once
  const DataSummary summary = train->summary();
  EXPECT_EQ(summary.unreadable_files, 1);
  ASSERT_EQ(summary.unreadable_examples.size(), 1u);
  EXPECT_NE(summary.unreadable_examples[0].find("c.jpg"), std::string::npos);
}

TEST(ImageFolder, BadLayoutsGiveClearErrors) {
  TempDir dir;
  EXPECT_THROW_MSG(open_dataset(dir.file("nope"), Split::kTrain), "data folder " + dir.file("nope") + " does not exist");
  EXPECT_THROW_MSG(open_dataset("", Split::kTrain), "--data is empty");
  write_text(dir.file("file.txt"), "x");
  EXPECT_THROW_MSG(open_dataset(dir.file("file.txt"), Split::kTrain), "is not a folder");
  EXPECT_THROW_MSG(open_dataset(dir.path(), Split::kTrain), "has neither train/ and val/ class folders");

  fs::create_directories(dir.file("a/train"));
  EXPECT_THROW_MSG(open_dataset(dir.file("a"), Split::kTrain), dir.file("a/train") + " has no class folders");
  EXPECT_THROW_MSG(open_dataset(dir.file("a"), Split::kVal), "has no val/ folder");

  testing::write_jpeg(dir.file("b/train/cat/1.jpg"), testing::gradient(8, 8));
  fs::create_directories(dir.file("b/train/dog"));
  write_text(dir.file("b/train/dog/readme.md"), "");
  EXPECT_THROW_MSG(open_dataset(dir.file("b"), Split::kTrain), "class folder " + dir.file("b/train/dog") + " has no images");

  testing::write_jpeg(dir.file("c/train/cat/1.jpg"), testing::gradient(8, 8));
  testing::write_jpeg(dir.file("c/val/cow/1.jpg"), testing::gradient(8, 8));
  EXPECT_THROW_MSG(open_dataset(dir.file("c"), Split::kVal), "train/ and val/ must have the same class folders, but 'cow'");
}

TEST(ImageFolder, LabelsFileMapsFolderNames) {
  TempDir dir;
  make_tree(dir.path());
  write_text(dir.file("map.txt"), "# synsets\ndog Canis familiaris\ncat house cat\nant formica\nbee extra\n");
  DataOptions options;
  options.labels_file = dir.file("map.txt");
  EXPECT_EQ(open_dataset(dir.path(), Split::kTrain, options)->class_names(),
            (std::vector<std::string>{"formica", "house cat", "Canis familiaris"}));

  write_text(dir.file("names.txt"), "Ant\n\nCat\nDog\n");
  options.labels_file = dir.file("names.txt");
  auto named = open_dataset(dir.path(), Split::kTrain, options);
  EXPECT_EQ(named->class_names(), (std::vector<std::string>{"Ant", "Cat", "Dog"}));
  EXPECT_EQ(named->class_keys(), (std::vector<std::string>{"ant", "cat", "dog"}));

  write_text(dir.file("short.txt"), "Ant\nCat\n");
  options.labels_file = dir.file("short.txt");
  EXPECT_THROW_MSG(open_dataset(dir.path(), Split::kTrain, options), "has 2 names, but the data has 3 classes");
  write_text(dir.file("partial.txt"), "ant A\ncat C\n");
  options.labels_file = dir.file("partial.txt");
  EXPECT_THROW_MSG(open_dataset(dir.path(), Split::kTrain, options), "has no entry for class folder 'dog'");
  options.labels_file = dir.file("absent.txt");
  EXPECT_THROW_MSG(open_dataset(dir.path(), Split::kTrain, options), "absent.txt");
}

std::vector<uint8_t> idx_pixels(int n, int h, int w) {
  std::vector<uint8_t> pixels(static_cast<size_t>(n) * h * w);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7 % 251);
  return pixels;
}

TEST(Idx, ReadsPlainAndGzipFiles) {
  for (bool gz : {false, true}) {
    TempDir dir;
    const std::string ext = gz ? ".gz" : "";
    testing::write_idx(dir.file("train-images-idx3-ubyte" + ext), {5, 4, 3}, idx_pixels(5, 4, 3), gz);
    testing::write_idx(dir.file("train-labels-idx1-ubyte" + ext), {5}, {0, 2, 1, 2, 0}, gz);
    auto data = open_dataset(dir.path(), Split::kTrain);
    ASSERT_EQ(data->size(), 5);
    EXPECT_EQ(data->classes(), 3);
    EXPECT_EQ(data->class_names(), (std::vector<std::string>{"0", "1", "2"}));
    EXPECT_EQ(data->channels(), 1);
    EXPECT_EQ(data->fixed_shape().height, 4);
    EXPECT_EQ(data->fixed_shape().width, 3);
    EXPECT_EQ(data->label(1), 2);
    const Image image = data->load(2);
    EXPECT_EQ(image.height, 4);
    EXPECT_EQ(image.width, 3);
    const std::vector<uint8_t> all = idx_pixels(5, 4, 3);
    EXPECT_TRUE(std::equal(image.pixels.begin(), image.pixels.end(), all.begin() + 2 * 12));
    EXPECT_THROW_MSG(open_dataset(dir.path(), Split::kVal), "has no t10k-images-idx3-ubyte file");
  }
}

TEST(Idx, MalformedFilesAreNamed) {
  TempDir dir;
  testing::write_idx(dir.file("train-images-idx3-ubyte"), {5, 4, 3}, idx_pixels(5, 4, 3), false);
  testing::write_idx(dir.file("train-labels-idx1-ubyte"), {4}, {0, 1, 1, 0}, false);
  EXPECT_THROW_MSG(open_dataset(dir.path(), Split::kTrain), "has 5 images but");
  testing::write_idx(dir.file("train-labels-idx1-ubyte"), {5, 1}, {0, 1, 1, 0, 1}, false);
  EXPECT_THROW_MSG(open_dataset(dir.path(), Split::kTrain), "has magic number 0x00000802, expected 0x00000801");
  testing::write_idx(dir.file("train-labels-idx1-ubyte"), {6}, {0, 1, 1, 0, 1}, false);
  EXPECT_THROW_MSG(open_dataset(dir.path(), Split::kTrain), "holds 5 bytes of data, but its header says 6");
}

TEST(Idx, FashionMnist) {
  if (!fs::exists(kFashionMnistDir)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto train = open_dataset("fashion-mnist", Split::kTrain);
  auto test = open_dataset("fashion-mnist", Split::kVal);
  EXPECT_EQ(train->size(), 60000);
  EXPECT_EQ(test->size(), 10000);
  EXPECT_EQ(train->fixed_shape().height, 28);
  EXPECT_EQ(train->fixed_shape().width, 28);
  ASSERT_EQ(train->classes(), 10);
  EXPECT_EQ(train->class_names()[0], "T-shirt/top");
  EXPECT_EQ(train->class_names()[9], "Ankle boot");
  // Fashion-MNIST is balanced: 6,000 training and 1,000 test images per class.
  EXPECT_EQ(train->class_counts(), std::vector<int64_t>(10, 6000));
  EXPECT_EQ(test->class_counts(), std::vector<int64_t>(10, 1000));
  // The first training image is an ankle boot (label 9), as in torchvision's FashionMNIST.
  EXPECT_EQ(train->label(0), 9);
  const Image first = train->load(0);
  int nonzero = 0;
  for (uint8_t v : first.pixels) nonzero += v != 0;
  EXPECT_GT(nonzero, 100);
}

TEST(Subsets, SubsetAndHeldOutSplit) {
  TempDir dir;
  std::vector<uint8_t> labels;
  for (int i = 0; i < 100; ++i) labels.push_back(static_cast<uint8_t>(i < 70 ? 0 : (i < 95 ? 1 : 2)));
  testing::write_idx(dir.file("train-images-idx3-ubyte"), {100, 2, 2}, idx_pixels(100, 2, 2), false);
  testing::write_idx(dir.file("train-labels-idx1-ubyte"), {100}, labels, false);
  std::shared_ptr<const Dataset> data = open_dataset(dir.path(), Split::kTrain);

  auto part = subset(data, {5, 99, 5});
  EXPECT_EQ(part->size(), 3);
  EXPECT_EQ(part->label(1), 2);
  EXPECT_EQ(part->load(0).pixels, data->load(5).pixels);
  EXPECT_THROW_MSG(subset(data, {100}), "index 100 is out of range");

  auto [fit, holdout] = split_train_val(data, 0.2, 7);
  EXPECT_EQ(fit->size() + holdout->size(), 100);
  EXPECT_EQ(holdout->class_counts(), (std::vector<int64_t>{14, 5, 1}));  // 20% per class
  std::set<std::string> seen;
  for (int64_t i = 0; i < fit->size(); ++i) seen.insert(fit->sample_name(i));
  for (int64_t i = 0; i < holdout->size(); ++i) EXPECT_TRUE(seen.insert(holdout->sample_name(i)).second);
  EXPECT_EQ(seen.size(), 100u);
  auto [fit2, holdout2] = split_train_val(data, 0.2, 7);
  auto [fit3, holdout3] = split_train_val(data, 0.2, 8);
  bool same = true, differs = false;
  for (int64_t i = 0; i < holdout->size(); ++i) {
    same = same && holdout->sample_name(i) == holdout2->sample_name(i);
    differs = differs || holdout->sample_name(i) != holdout3->sample_name(i);
  }
  EXPECT_TRUE(same);
  EXPECT_TRUE(differs);
  EXPECT_THROW_MSG(split_train_val(data, 1.0, 0), "validation fraction must be in (0, 1)");
}

}  // namespace
}  // namespace nasctl::data
