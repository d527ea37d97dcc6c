// `nasctl eval` as a library call: a checkpoint's accuracy reproduces what the trainer logged.

#include "nasctl/train/eval_checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "nasctl/train/trainer.h"
#include "support.h"
#include "train/train_fixture.h"

namespace nasctl::train {
namespace {

TEST(EvalCheckpoint, ReproducesTheTrainersValidationAccuracy) {
  nasctl::testing::TempDir dir;
  std::filesystem::create_directories(dir.file("data"));
  testing::write_idx_data(dir.file("data"), 48, 30);
  TrainOptions o = testing::tiny_options(dir.file("data"), testing::write_tiny_graph(dir.file("tiny.json"), 3),
                                         dir.file("run"));
  o.epochs = 1;
  TrainSummary trained = run_training(o);
  ASSERT_EQ(trained.metrics.size(), 1u);

  CheckpointEvalOptions eval;
  eval.checkpoint = trained.last_checkpoint;
  eval.data = dir.file("data");
  eval.workers = 1;
  eval.batch_size = 7;  // another batching than the trainer's: the counts do not depend on it
  CheckpointEval ema = evaluate_checkpoint(eval);
  EXPECT_TRUE(ema.ema);  // auto: the EMA weights the checkpoint holds
  EXPECT_EQ(ema.result.samples, 30);
  EXPECT_DOUBLE_EQ(ema.result.top1, trained.metrics.back().ema_val_top1);
  eval.weights = "model";
  CheckpointEval model = evaluate_checkpoint(eval);
  EXPECT_FALSE(model.ema);
  EXPECT_DOUBLE_EQ(model.result.top1, trained.metrics.back().val_top1);

  Json json = model.to_json(/*per_class=*/true);
  EXPECT_EQ(json["weights"], "model");
  ASSERT_EQ(json["per_class"].size(), 3u);
  EXPECT_EQ(json["per_class"][0]["images"], 10);  // labels cycle 0, 1, 2
  EXPECT_EQ(model.class_names.size(), 3u);
}

TEST(EvalCheckpoint, BadOptionsNameTheFlag) {
  CheckpointEvalOptions o;
  EXPECT_THROW_MSG(evaluate_checkpoint(o), "eval needs --checkpoint FILE");
  o.checkpoint = "x.ckpt";
  o.split = "test";
  EXPECT_THROW_MSG(o.validate(), "--split must be val or train, but got \"test\"");
  o.split = "val";
  o.batch_size = 0;
  EXPECT_THROW_MSG(o.validate(), "--batch-size must be > 0, but got 0");
}

}  // namespace
}  // namespace nasctl::train
