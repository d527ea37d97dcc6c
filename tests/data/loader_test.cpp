// The threaded loader: determinism across worker counts, epochs, sharding, resuming, unreadable
// samples, options.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "data/image_files.h"
#include "nasctl/data/loader.h"
#include "support.h"

namespace nasctl::data {
namespace {

using nasctl::testing::TempDir;

// 103 distinct 8x8 gray images, labels i % 4.
std::shared_ptr<const Dataset> idx_data(const TempDir& dir) {
  const int n = 103;
  std::vector<uint8_t> pixels(n * 64), labels(n);
  for (int i = 0; i < n; ++i) {
    labels[i] = static_cast<uint8_t>(i % 4);
    for (int p = 0; p < 64; ++p) pixels[i * 64 + p] = static_cast<uint8_t>((i * 13 + p * 5) % 256);
  }
  testing::write_idx(dir.file("train-images-idx3-ubyte"), {n, 8, 8}, pixels, false);
  testing::write_idx(dir.file("train-labels-idx1-ubyte"), {n}, labels, false);
  return open_dataset(dir.path(), Split::kTrain);
}

// 12 JPEGs of different sizes in 3 classes.
std::shared_ptr<const Dataset> jpeg_data(const TempDir& dir) {
  for (int i = 0; i < 12; ++i) {
    const Image image = testing::make_image(60 + 7 * i, 90 - 3 * i, 3, [&](int y, int x, int c) { return (x * (i + 1) + y * 3 + c * 50) % 256; });
    testing::write_jpeg(dir.path() + "/train/c" + std::to_string(i % 3) + "/" + std::to_string(i) + ".jpg", image);
  }
  return open_dataset(dir.path(), Split::kTrain);
}

std::vector<Batch> read_epoch(Loader& loader, int64_t epoch, int64_t first = 0) {
  loader.start_epoch(epoch, first);
  std::vector<Batch> batches;
  Batch batch;
  while (loader.next(batch)) batches.push_back(batch);
  return batches;
}

void expect_same(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].indices, b[i].indices) << "batch " << i;
    EXPECT_TRUE(torch::equal(a[i].images, b[i].images)) << "batch " << i;
    EXPECT_TRUE(torch::equal(a[i].labels, b[i].labels)) << "batch " << i;
  }
}

TEST(Loader, SameBatchesWhateverTheNumberOfWorkers) {
  TempDir idx_dir, jpeg_dir;
  const auto idx = idx_data(idx_dir);
  const auto jpeg = jpeg_data(jpeg_dir);
  for (const auto& data : {idx, jpeg}) {
    LoaderOptions options;
    options.batch_size = 5;
    options.seed = 11;
    options.transform = default_transform(*data, 16, /*train=*/true);
    std::vector<std::vector<Batch>> runs;
    for (int workers : {0, 1, 3}) {
      options.workers = workers;
      options.prefetch = workers == 3 ? 1 : 0;
      Loader loader(data, options);
      auto epochs = read_epoch(loader, 0);
      auto more = read_epoch(loader, 1);
      epochs.insert(epochs.end(), more.begin(), more.end());
      runs.push_back(std::move(epochs));
    }
    expect_same(runs[0], runs[1]);
    expect_same(runs[0], runs[2]);

    // A consumer that lets each batch go (its tensors are then recycled) sees the same data.
    options.workers = 2;
    options.prefetch = 0;
    Loader loader(data, options);
    std::vector<Batch> copies;
    for (int64_t epoch : {0, 1}) {
      loader.start_epoch(epoch);
      Batch batch;
      while (loader.next(batch)) {
        Batch copy = batch;
        copy.images = batch.images.clone();
        copies.push_back(copy);
      }
    }
    expect_same(runs[0], copies);
  }
}

TEST(Loader, EpochsArePermutationsAndBatchShapesAreRight) {
  TempDir dir;
  const auto data = idx_data(dir);
  LoaderOptions options;
  options.batch_size = 10;
  options.workers = 2;
  options.transform.input_size = 12;
  Loader loader(data, options);
  EXPECT_EQ(loader.batches_per_epoch(), 11);
  EXPECT_EQ(loader.samples_per_epoch(), 103);
  const auto epoch0 = read_epoch(loader, 0);
  const auto epoch1 = read_epoch(loader, 1);
  ASSERT_EQ(epoch0.size(), 11u);
  EXPECT_EQ(epoch0.back().size(), 3);
  EXPECT_EQ(epoch0[0].images.sizes(), (std::vector<int64_t>{10, 1, 12, 12}));
  EXPECT_EQ(epoch0[0].images.dtype(), torch::kFloat32);
  EXPECT_EQ(epoch0[0].labels.dtype(), torch::kInt64);
  std::vector<int64_t> order0, order1;
  for (const auto& b : epoch0) {
    order0.insert(order0.end(), b.indices.begin(), b.indices.end());
    for (int64_t k = 0; k < b.size(); ++k) EXPECT_EQ(b.labels[k].item<int64_t>(), b.indices[k] % 4);
  }
  for (const auto& b : epoch1) order1.insert(order1.end(), b.indices.begin(), b.indices.end());
  EXPECT_NE(order0, order1);  // reshuffled
  std::sort(order0.begin(), order0.end());
  for (int64_t i = 0; i < 103; ++i) EXPECT_EQ(order0[i], i);

  options.shuffle = false;
  options.drop_last = true;
  Loader ordered(data, options);
  const auto plain = read_epoch(ordered, 5);
  ASSERT_EQ(plain.size(), 10u);
  EXPECT_EQ(plain[2].indices.front(), 20);
  EXPECT_EQ(ordered.position().epoch, 6);
  EXPECT_EQ(ordered.position().batch, 0);
}

TEST(Loader, ShardsCoverEverySampleOnceAndMatchTheCombinedBatch) {
  TempDir dir;
  const auto data = idx_data(dir);
  for (bool drop_last : {false, true}) {
    std::map<int64_t, int> seen;
    std::vector<std::vector<Batch>> per_rank;
    for (int rank = 0; rank < 3; ++rank) {
      LoaderOptions options;
      options.batch_size = 8;
      options.world_size = 3;
      options.rank = rank;
      options.drop_last = drop_last;
      options.transform = default_transform(*data, 8, true);
      Loader loader(data, options);
      EXPECT_EQ(loader.batches_per_epoch(), drop_last ? 4 : 5);
      per_rank.push_back(read_epoch(loader, 3));
      for (const auto& b : per_rank.back())
        for (int64_t index : b.indices) ++seen[index];
    }
    EXPECT_EQ(seen.size(), drop_last ? 96u : 103u);
    for (const auto& [index, count] : seen) EXPECT_EQ(count, 1) << "sample " << index;

    // One process with the global batch sees the ranks' samples, augmented identically.
    LoaderOptions single;
    single.batch_size = 24;
    single.drop_last = drop_last;
    single.transform = default_transform(*data, 8, true);
    Loader loader(data, single);
    const auto combined = read_epoch(loader, 3);
    ASSERT_EQ(combined.size(), per_rank[0].size());
    for (size_t b = 0; b < combined.size(); ++b) {
      std::vector<torch::Tensor> parts;
      std::vector<int64_t> indices;
      for (const auto& rank : per_rank) {
        parts.push_back(rank[b].images);
        indices.insert(indices.end(), rank[b].indices.begin(), rank[b].indices.end());
      }
      EXPECT_EQ(indices, combined[b].indices);
      EXPECT_TRUE(torch::equal(torch::cat(parts), combined[b].images));
    }
  }
}

TEST(Loader, ResumeContinuesOnTheSameSamples) {
  TempDir dir;
  const auto data = idx_data(dir);
  LoaderOptions options;
  options.batch_size = 16;
  options.workers = 2;
  options.seed = 5;
  options.transform = default_transform(*data, 8, true);
  Loader first(data, options);
  const auto whole = read_epoch(first, 2);
  Loader resumed(data, options);
  resumed.start_epoch(2, 3);
  EXPECT_EQ(resumed.position().batch, 3);
  Batch batch;
  ASSERT_TRUE(resumed.next(batch));
  EXPECT_EQ(resumed.position().batch, 4);
  const std::vector<Batch> rest = {batch};
  expect_same(rest, {whole[3]});
  resumed.seek({2, 5});
  expect_same(read_epoch(resumed, 2, 5), std::vector<Batch>(whole.begin() + 5, whole.end()));
  EXPECT_EQ(resumed.batch_indices(2, 4), whole[4].indices);
  EXPECT_THROW_MSG(resumed.start_epoch(2, 99), "batch 99 is out of range");

  // next_cyclic runs on into the next epoch.
  Loader cyclic(data, options);
  cyclic.start_epoch(2, 6);
  cyclic.next_cyclic(batch);
  cyclic.next_cyclic(batch);
  EXPECT_EQ(batch.epoch, 3);
  EXPECT_EQ(batch.batch, 0);
}

TEST(Loader, UnreadableSamplesAreReplacedByTheNextReadableOne) {
  TempDir dir;
  jpeg_data(dir);
  std::ofstream(dir.path() + "/train/c1/10.jpg", std::ios::trunc) << "not a jpeg";  // index 5 (c1: 1, 10, 4, 7)
  const auto data = open_dataset(dir.path(), Split::kTrain);
  ASSERT_NE(data->sample_name(5).find("10.jpg"), std::string::npos);
  LoaderOptions options;
  options.batch_size = 4;
  options.transform = default_transform(*data, 16, true);
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 2}) {
    options.workers = workers;
    Loader loader(data, options);
    runs.push_back(read_epoch(loader, 0));
    auto again = read_epoch(loader, 1);
    EXPECT_EQ(loader.substituted(), 2);  // once per epoch
    int replaced = 0;
    for (const auto& b : runs.back()) {
      const auto planned = loader.batch_indices(0, b.batch);
      for (int64_t k = 0; k < b.size(); ++k) {
        if (planned[k] == 5) {
          EXPECT_EQ(b.indices[k], 6);  // the next one in dataset order
          EXPECT_EQ(b.labels[k].item<int64_t>(), data->label(6));
          ++replaced;
        }
      }
    }
    EXPECT_EQ(replaced, 1);
  }
  expect_same(runs[0], runs[1]);
  EXPECT_EQ(data->summary().unreadable_files, 1);

  TempDir bad;
  for (int i = 0; i < 3; ++i) testing::write_bytes(bad.path() + "/train/a/" + std::to_string(i) + ".png", {1, 2, 3});
  Loader hopeless(open_dataset(bad.path(), Split::kTrain), options);
  Batch batch;
  EXPECT_THROW_MSG(hopeless.next(batch), "is unreadable");
}

TEST(Loader, OptionsAreValidated) {
  TempDir dir;
  const auto data = idx_data(dir);
  LoaderOptions options;
  options.batch_size = 0;
  EXPECT_THROW_MSG(Loader(data, options), "loader.batch_size must be > 0, but got 0");
  options = {};
  options.world_size = 2;
  options.rank = 2;
  EXPECT_THROW_MSG(Loader(data, options), "loader.rank must be in 0..1, but got 2");
  options = {};
  options.batch_size = 100;
  options.world_size = 2;
  options.drop_last = true;
  EXPECT_THROW_MSG(Loader(data, options), "fewer than one global batch of 100 x 2 ranks");
  options = {};
  options.transform.pad = -1;
  EXPECT_THROW_MSG(Loader(data, options), "transform.pad must be in 0..input_size-1");
}

TEST(Loader, FashionMnistBatches) {
  if (!std::filesystem::exists(kFashionMnistDir)) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  const auto test = open_dataset("fashion-mnist", Split::kVal);
  LoaderOptions options;
  options.batch_size = 256;
  options.shuffle = false;
  options.transform = default_transform(*test, 32, false);
  Loader loader(test, options);
  EXPECT_EQ(loader.batches_per_epoch(), 40);
  Batch batch;
  ASSERT_TRUE(loader.next(batch));
  EXPECT_EQ(batch.images.sizes(), (std::vector<int64_t>{256, 1, 32, 32}));
  EXPECT_GE(batch.labels.min().item<int64_t>(), 0);
  EXPECT_LE(batch.labels.max().item<int64_t>(), 9);
  // Fashion-MNIST's mean pixel is about 0.286: normalised by the luma statistics, about -0.77.
  EXPECT_NEAR(batch.images.mean().item<float>(), (0.286f - 0.459f) / 0.2256f, 0.1);
  EXPECT_EQ(loader.transform().channels, 1);
}

}  // namespace
}  // namespace nasctl::data
