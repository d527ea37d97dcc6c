// `nasctl train` and `nasctl eval` through the real binary: outputs, recipe + flags, resume, exit codes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_support.h"
#include "cli/idx_data.h"
#include "nasctl/core/files.h"
#include "nasctl/core/json.h"

namespace nasctl {
namespace {
using testing::CommandResult;
using testing::run_nasctl;
using testing::TempDir;

class TrainCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_idx_data(dir_.file("data"), 96, 30);
    testing::write_tiny_graph(dir_.file("tiny.json"), 3);
  }
  std::string base(const std::string& run) const {
    return "--threads 1 train --graph '" + dir_.file("tiny.json") + "' --data '" + dir_.file("data") + "' --out '" +
           dir_.file(run) + "' --batch-size 8 --workers 1 --lr 0.1 --warmup-epochs 0.5 --ema-decay 0.9";
  }
  TempDir dir_;
};

TEST_F(TrainCommand, TrainsThenEvalReproducesTheBestAccuracy) {
  CommandResult r = run_nasctl(base("run") + " --epochs 2 --json --seed 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json summary = Json::parse(r.out);
  EXPECT_EQ(summary["epochs"], 2);
  EXPECT_EQ(summary["steps"], 24);
  EXPECT_EQ(summary["weights"], "ema");
  Json config = load_json_file(dir_.file("run/config.json"));
  EXPECT_EQ(config["seed"], 4);
  EXPECT_EQ(config["resolved"]["global_batch"], 8);

  CommandResult e = run_nasctl("eval --checkpoint '" + summary["best_checkpoint"].get<std::string>() + "' --data '" +
                               dir_.file("data") + "' --json --per-class");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  Json eval = Json::parse(e.out);
  EXPECT_EQ(eval["samples"], 30);
  EXPECT_DOUBLE_EQ(eval["top1"].get<double>(), summary["best_top1"].get<double>());
  EXPECT_EQ(eval["per_class"].size(), 3u);
  CommandResult table = run_nasctl("eval --checkpoint '" + dir_.file("run/checkpoints/last.ckpt") + "' --data '" +
                                   dir_.file("data") + "' --per-class --weights model");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("top-1: "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("model weights"), std::string::npos) << table.out;
}

TEST_F(TrainCommand, FlagsOverrideTheRecipeAndResumeReusesTheRunConfig) {
  write_file_atomic(dir_.file("recipe.json"),
                    R"({"epochs": 5, "optimizer": {"name": "adamw", "lr": 0.004}, "label_smoothing": 0.0})");
  CommandResult r = run_nasctl(base("run") + " --config '" + dir_.file("recipe.json") +
                               "' --epochs 2 --stop-after-steps 5 --checkpoint-every-steps 4");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("stopped early"), std::string::npos) << r.out;
  Json config = load_json_file(dir_.file("run/config.json"));
  EXPECT_EQ(config["epochs"], 2);                       // the flag
  EXPECT_EQ(config["optimizer"]["name"], "adamw");      // the recipe
  EXPECT_DOUBLE_EQ(config["optimizer"]["lr"].get<double>(), 0.1);  // the flag again
  EXPECT_EQ(config["label_smoothing"], 0.0);

  CommandResult resumed = run_nasctl("--threads 1 train --out '" + dir_.file("run") + "' --resume --json");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  Json summary = Json::parse(resumed.out);
  EXPECT_EQ(summary["epochs"], 2);
  EXPECT_EQ(summary["steps"], 24);
  EXPECT_NE(resumed.err.find("resuming"), std::string::npos);
}

TEST_F(TrainCommand, BadInputExitsTwoWithOneLine) {
  auto expect_error = [](const CommandResult& r, const std::string& text) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  expect_error(run_nasctl("train --model mobilenet_v2 --log-level off"), "--out RUN_DIR");
  expect_error(run_nasctl(base("a") + " --classes 5 --log-level off"), "--classes 5 disagrees with the data");
  expect_error(run_nasctl(base("b") + " --optimizer lamb --log-level off"),
               "train.optimizer.name (--optimizer) must be one of sgd, rmsprop, adamw, but got \"lamb\"");
  write_file_atomic(dir_.file("typo.json"), R"({"epoch": 3})");
  expect_error(run_nasctl(base("c") + " --config '" + dir_.file("typo.json") + "' --log-level off"), "epoch");
  expect_error(run_nasctl("train --graph '" + dir_.file("tiny.json") + "' --data '" + dir_.file("nowhere") + "' --out '" +
                          dir_.file("d") + "' --log-level off"),
               dir_.file("nowhere"));
  expect_error(run_nasctl("eval --checkpoint '" + dir_.file("missing.ckpt") + "' --log-level off"), "missing.ckpt");
  write_file_atomic(dir_.file("fake.ckpt"), "not a checkpoint");
  expect_error(run_nasctl("eval --checkpoint '" + dir_.file("fake.ckpt") + "' --log-level off"),
               "not a nasctl tensor archive");
}

TEST(TrainHelp, DocumentsTheFlags) {
  CommandResult r = run_nasctl("train --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--epochs", "--batch-size", "--lr", "--input-size", "--workers", "--classes", "--resume",
                           "--config", "--device"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(run_nasctl("eval --help").out.find("--per-class"), std::string::npos);
}

}  // namespace
}  // namespace nasctl
