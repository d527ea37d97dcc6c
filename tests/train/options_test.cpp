#include "nasctl/train/options.h"

#include <gtest/gtest.h>

#include "nasctl/core/configs.h"
#include "nasctl/train/evaluate.h"
#include "support.h"

namespace nasctl::train {
namespace {

TrainOptions valid() {
  TrainOptions o;
  o.model = "mobilenet_v2";
  o.out = "/tmp/run";
  return o;
}

TEST(TrainOptions, RecipeJsonFillsTheStructAndRoundTrips) {
  TrainOptions o = valid();
  Json recipe = parse_json(R"({"epochs": 7, "batch_size": 32, "width": 0.5, "ema_decay": 0.999,
      "optimizer": {"name": "rmsprop", "lr": 0.016, "rmsprop_epsilon": 0.001},
      "schedule": {"decay": "exponential", "warmup_epochs": 0.5, "decay_rate": 0.97},
      "transform": {"augment": "crop_flip", "pad": 3}})",
                           "recipe.json");
  read_train_json(recipe, "recipe.json", &o);
  EXPECT_EQ(o.epochs, 7);
  EXPECT_EQ(o.batch_size, 32);
  EXPECT_EQ(o.optimizer.kind, OptimizerKind::kRmsProp);
  EXPECT_DOUBLE_EQ(o.optimizer.lr, 0.016);
  EXPECT_EQ(o.schedule.decay, DecayKind::kExponential);
  EXPECT_EQ(o.transform["pad"], 3);
  o.validate();
  // config.json is read back to the same options.
  TrainOptions again;
  read_train_json(train_options_to_json(o), "config.json", &again);
  EXPECT_EQ(train_options_to_json(again), train_options_to_json(o));
}

TEST(TrainOptions, BadRecipesNameTheFileKeyAndValue) {
  TrainOptions o = valid();
  EXPECT_THROW_MSG(read_train_json(parse_json(R"({"epoch": 3})", "r.json"), "r.json", &o), "epoch");
  EXPECT_THROW_MSG(read_train_json(parse_json(R"({"optimizer": {"name": "lamb"}})", "r.json"), "r.json", &o),
                   "r.json: optimizer.name must be one of sgd, rmsprop, adamw, but got \"lamb\"");
  EXPECT_THROW_MSG(read_train_json(parse_json(R"({"epochs": "ten"})", "r.json"), "r.json", &o),
                   "r.json: epochs must be an integer");
  EXPECT_THROW_MSG(read_train_json(parse_json(R"({"transform": {"input_size": 64}})", "r.json"), "r.json", &o),
                   "input_size");
  EXPECT_THROW_MSG(read_train_json(parse_json(R"({"transform": {"augment": "mixup"}})", "r.json"), "r.json", &o),
                   "mixup");
}

TEST(TrainOptions, ValidateNamesTheField) {
  TrainOptions o = valid();
  o.epochs = 0;
  EXPECT_THROW_MSG(o.validate(), "train.epochs (--epochs) must be > 0, but got 0");
  o = valid();
  o.optimizer.lr = -1;
  EXPECT_THROW_MSG(o.validate(), "train.optimizer.lr (--lr) must be > 0, but got -1");
  o = valid();
  o.schedule.warmup_epochs = 20;
  EXPECT_THROW_MSG(o.validate(), "train.schedule.warmup_epochs (--warmup-epochs) must be at most the epochs (10)");
  o = valid();
  o.graph_file = "g.json";
  EXPECT_THROW_MSG(o.validate(), "exactly one network");
  o = valid();
  o.out.clear();
  EXPECT_THROW_MSG(o.validate(), "--out RUN_DIR");
  o = valid();
  o.device = "tpu";
  EXPECT_THROW_MSG(o.validate(), "train.device (--device) must be cpu, cuda or cuda:N, but got \"tpu\"");
  o = valid();
  o.ema_decay = 1.0;
  EXPECT_THROW_MSG(o.validate(), "train.ema_decay (--ema-decay) must be in [0, 1)");
}

TEST(TrainOptions, ShippedRecipesAreValid) {
  for (const std::string& name : builtin_config_names("train")) {
    TrainOptions o = valid();
    std::string origin;
    read_train_json(load_config("train", name, &origin), origin, &o);
    o.validate();
  }
}

TEST(Loss, LabelSmoothingMatchesLibTorchsCrossEntropy) {
  torch::manual_seed(0);
  torch::Tensor logits = torch::randn({6, 5}), labels = torch::tensor({0, 4, 2, 2, 1, 3});
  for (double s : {0.0, 0.1, 0.3}) {
    torch::Tensor reference = torch::nn::functional::cross_entropy(
        logits, labels, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(s));
    EXPECT_NEAR(smoothed_cross_entropy(logits, labels, s).item<double>(), reference.item<double>(), 1e-6) << s;
  }
}

TEST(Loss, TopKCountsByHand) {
  torch::Tensor logits = torch::tensor({{0.1, 0.9, 0.0}, {0.8, 0.15, 0.05}, {0.3, 0.3, 0.4}});
  torch::Tensor labels = torch::tensor({1, 1, 0});
  EXPECT_EQ(count_top_k(logits, labels, 1), 1);
  EXPECT_EQ(count_top_k(logits, labels, 2), 3);
  EXPECT_EQ(count_top_k(logits, labels, 5), 3);  // k above the classes counts everything
}

}  // namespace
}  // namespace nasctl::train
