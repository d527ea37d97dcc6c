// The trainer end to end on tiny data: outputs, learning, exact resume, checkpoints, bad input.
#include "nasctl/train/trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "nasctl/core/files.h"
#include "nasctl/train/checkpoint.h"
#include "nasctl/train/evaluate.h"
#include "support.h"
#include "train/train_fixture.h"

namespace nasctl::train {
namespace {
using nasctl::testing::TempDir;
using testing::tiny_options;
using testing::write_idx_data;
using testing::write_tiny_graph;
namespace fs = std::filesystem;

class Trainer : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = dir_.path() + "/data";
    fs::create_directories(data_);
    write_idx_data(data_, 96, 30);
    graph_ = write_tiny_graph(dir_.file("tiny.json"), 3);
  }
  TrainOptions options(const std::string& run) const { return tiny_options(data_, graph_, dir_.file(run)); }

  TempDir dir_;
  std::string data_;
  std::string graph_;
};

TEST_F(Trainer, LearnsAndWritesTheRunDirectory) {
  TrainOptions o = options("run");
  o.epochs = 3;
  TrainSummary s = run_training(o);
  ASSERT_EQ(s.metrics.size(), 3u);
  EXPECT_EQ(s.steps, 36);  // 96 images / batch 8 = 12 steps per epoch
  EXPECT_EQ(s.weights, "ema");
  EXPECT_GT(s.metrics.back().val_top1, 0.8) << "the three classes are easy";
  EXPECT_LT(s.metrics.back().train_loss, s.metrics.front().train_loss);
  for (const char* file : {"config.json", "metrics.jsonl", "curves.svg", "checkpoints/last.ckpt", "checkpoints/best.ckpt"}) {
    EXPECT_TRUE(fs::exists(dir_.file(std::string("run/") + file))) << file;
  }
  EXPECT_EQ(read_metrics(dir_.file("run/metrics.jsonl")).size(), 3u);
  Json config = load_json_file(dir_.file("run/config.json"));
  EXPECT_EQ(config["resolved"]["steps_per_epoch"], 12);
  EXPECT_EQ(config["epochs"], 3);
  EXPECT_NE(read_file(dir_.file("run/curves.svg")).find("val top-1"), std::string::npos);

  // The best checkpoint follows the convention and reproduces its logged accuracy.
  Checkpoint c = load_checkpoint(s.best_checkpoint);
  EXPECT_EQ(c.archive.meta["format"], "nasctl.checkpoint");
  EXPECT_EQ(c.info.classes, 3);
  EXPECT_EQ(c.info.transform.input_size, 12);
  EXPECT_EQ(c.archive.meta["preprocess"]["channels"], 1);
  EXPECT_TRUE(c.has_ema());
  EXPECT_TRUE(c.archive.contains("model.conv_0.weight"));
  EXPECT_TRUE(c.archive.contains("optimizer.conv_0.weight.momentum"));
  nn::GraphNet net = network_from_checkpoint(c);
  data::LoaderOptions lo;
  lo.batch_size = 16;
  lo.workers = 0;
  lo.shuffle = false;
  lo.transform = c.info.transform;
  data::Loader val(data::open_dataset(data_, data::Split::kVal), lo);
  EvalResult r = evaluate(net, val, torch::kCPU, 3);
  EXPECT_EQ(r.samples, 30);
  EXPECT_DOUBLE_EQ(r.top1, s.best_top1);
}

void expect_same_tensors(const nn::TensorArchive& a, const nn::TensorArchive& b) {
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (const auto& [name, tensor] : a.tensors) {
    ASSERT_TRUE(b.contains(name)) << name;
    EXPECT_TRUE(torch::equal(tensor, b.get(name))) << name << " differs";
  }
}

TEST_F(Trainer, ResumingAKilledRunEndsWithTheSameWeightsAsAnUninterruptedOne) {
  TrainSummary straight = run_training(options("straight"));

  TrainOptions killed = options("killed");
  killed.checkpoint_every_steps = 5;  // checkpoints at steps 5, 10, 12 (epoch end), 15
  killed.stop_after_steps = 17;       // "killed" at step 17: steps 16 and 17 are lost
  TrainSummary first = run_training(killed);
  EXPECT_TRUE(first.stopped_early);
  EXPECT_EQ(load_checkpoint(last_checkpoint_path(killed.out)).info.step, 15);
  killed.stop_after_steps = 0;
  killed.resume = true;
  TrainSummary resumed = run_training(killed);
  EXPECT_EQ(resumed.steps, straight.steps);

  Checkpoint a = load_checkpoint(straight.last_checkpoint), b = load_checkpoint(resumed.last_checkpoint);
  expect_same_tensors(a.archive, b.archive);  // model, EMA and optimizer state, bit for bit
  ASSERT_EQ(resumed.metrics.size(), 2u);
  for (size_t e = 0; e < 2; ++e) {
    EXPECT_EQ(resumed.metrics[e].train_loss, straight.metrics[e].train_loss) << "epoch " << e + 1;
    EXPECT_EQ(resumed.metrics[e].ema_val_top1, straight.metrics[e].ema_val_top1) << "epoch " << e + 1;
  }
  EXPECT_EQ(read_metrics(dir_.file("killed/metrics.jsonl")).size(), 2u);
}

TEST_F(Trainer, RunDirectoryRulesAndResumeErrors) {
  TrainOptions o = options("run");
  o.epochs = 1;
  run_training(o);
  EXPECT_THROW_MSG(run_training(o), "already holds a run");
  TrainOptions fresh = options("fresh");
  fresh.resume = true;
  EXPECT_THROW_MSG(run_training(fresh), "--resume: " + last_checkpoint_path(fresh.out) + " does not exist");
  // A checkpoint of another architecture: the first mismatching tensor is named.
  TrainOptions other = o;
  other.resume = true;
  other.graph_file = write_tiny_graph(dir_.file("wide.json"), 3, 1, 12, true, 16);
  EXPECT_THROW_MSG(run_training(other),
                   "tensor 'conv_0.weight' has shape [8, 1, 3, 3] in the checkpoint but [16, 1, 3, 3] in the network");
  TrainOptions batch = o;
  batch.resume = true;
  batch.batch_size = 4;
  EXPECT_THROW_MSG(run_training(batch), "global batch of 8, but this run has 4");
}

TEST_F(Trainer, DivergingRunStopsWithAClearMessageAndKeepsTheLastGoodCheckpoint) {
  TrainOptions o = options("run");
  o.epochs = 1;
  run_training(o);
  std::string before = read_file(last_checkpoint_path(o.out));
  o.resume = true;
  o.epochs = 3;
  o.optimizer.lr = 1e30;
  try {
    run_training(o);
    FAIL() << "expected divergence";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_EQ(e.kind(), Error::Kind::kRuntime);
    EXPECT_NE(message.find("training diverged: the loss is"), std::string::npos) << message;
    EXPECT_NE(message.find(last_checkpoint_path(o.out)), std::string::npos) << message;
  }
  EXPECT_EQ(read_file(last_checkpoint_path(o.out)), before);
  EXPECT_EQ(load_checkpoint(last_checkpoint_path(o.out)).info.step, 12);
}

TEST_F(Trainer, FailedCheckpointWriteLeavesThePreviousCheckpoint) {
  TrainOptions o = options("run");
  o.epochs = 1;
  run_training(o);
  std::string before = read_file(last_checkpoint_path(o.out));
  // The temporary file's name is taken by a folder, so writing the next checkpoint fails.
  fs::create_directories(last_checkpoint_path(o.out) + ".tmp." + std::to_string(::getpid()));
  o.resume = true;
  o.epochs = 2;
  EXPECT_THROW_MSG(run_training(o), last_checkpoint_path(o.out));
  EXPECT_EQ(read_file(last_checkpoint_path(o.out)), before);
}

TEST_F(Trainer, BadDataAndNetworkInputAreNamed) {
  TrainOptions o = options("run");
  o.data = dir_.file("nowhere");
  EXPECT_THROW_MSG(run_training(o), dir_.file("nowhere"));
  fs::create_directories(dir_.file("empty"));
  o.data = dir_.file("empty");
  EXPECT_THROW_MSG(run_training(o), dir_.file("empty"));
  o = options("run");
  o.classes = 5;
  EXPECT_THROW_MSG(run_training(o), "--classes 5 disagrees with the data");
  o = options("run");
  o.graph_file = write_tiny_graph(dir_.file("four.json"), 4);
  EXPECT_THROW_MSG(run_training(o), "the network's output is 1x1x4, but the data has 3 classes");
  o = options("run");
  o.input_size = 16;
  EXPECT_THROW_MSG(run_training(o), "--input-size 16 disagrees with");
  o = options("run");
  o.batch_size = 200;
  EXPECT_THROW_MSG(run_training(o), "fewer than one global batch of 200");
  o = options("run");
  o.device = "cuda";
  if (!torch::cuda::is_available()) EXPECT_THROW_MSG(run_training(o), "--device cuda: CUDA is not available");
}

// An ImageFolder of JPEGs: 2 classes (bright / dark) of 7 training images, plus one corrupt file.
void write_image_folder(const std::string& root, bool corrupt, bool empty_class) {
  for (const char* split : {"train", "val"}) {
    int n = std::string(split) == "train" ? 7 : 2;
    for (int c = 0; c < 2; ++c) {
      for (int i = 0; i < n; ++i) {
        auto image = data::testing::make_image(16, 16, 3, [&](int y, int x, int ch) { return (c ? 200 : 40) + (x + y + ch + i) % 20; });
        data::testing::write_jpeg(root + "/" + split + "/class" + std::to_string(c) + "/" + std::to_string(i) + ".jpg",
                                  image);
      }
    }
  }
  if (corrupt) data::testing::write_bytes(root + "/train/class0/broken.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3});
  if (empty_class) fs::create_directories(root + "/train/class2");
}

TEST_F(Trainer, CorruptImagesAreSkippedAndCountedAndEmptyClassFoldersRejected) {
  write_image_folder(dir_.file("folder"), /*corrupt=*/true, false);
  TrainOptions o = options("run");
  o.data = dir_.file("folder");
  o.graph_file = write_tiny_graph(dir_.file("rgb.json"), 2, 3, 16);
  o.epochs = 1;
  o.batch_size = 5;  // 15 files: every one is read in the epoch
  TrainSummary s = run_training(o);
  EXPECT_EQ(s.unreadable_files, 1);
  EXPECT_EQ(s.metrics.back().unreadable_files, 1);

  write_image_folder(dir_.file("holes"), false, /*empty_class=*/true);
  o.data = dir_.file("holes");
  o.out = dir_.file("run2");
  EXPECT_THROW_MSG(run_training(o), "class2");
}

}  // namespace
}  // namespace nasctl::train
