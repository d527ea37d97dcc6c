#pragma once
/// The training recipe and run options: one struct filled from a recipe JSON (configs/train/*.json)
/// and then from flags (flags win), checked by one validate(). No LibTorch here.
///
/// Recipe JSON (every key optional; docs/training.md lists them all):
///   {"model": "mobilenet_v2", "width": 0.5, "epochs": 30, "batch_size": 128, "input_size": 32,
///    "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": true, "weight_decay": 4e-5},
///    "schedule": {"decay": "cosine", "warmup_epochs": 1},
///    "label_smoothing": 0.1, "ema_decay": 0.999, "dropout": 0.2,
///    "data": "fashion-mnist", "workers": 2, "transform": {"augment": "crop_flip", "pad": 4}}

#include <cstdint>
#include <string>

#include "nasctl/core/json.h"
#include "nasctl/core/option_schema.h"

namespace nasctl::train {

/// Optimizers. Weight decay is never applied to BN parameters or biases (tensors of rank <= 1).
enum class OptimizerKind {
  kSgd,      ///< "sgd": momentum SGD (PyTorch's), Nesterov by default; L2 decay added to the gradient
  kRmsProp,  ///< "rmsprop": TensorFlow's RMSProp (TuNAS, EfficientNet): ms starts at 1, eps inside sqrt,
             ///< momentum buffer of lr-scaled steps; L2 decay added to the gradient
  kAdamW,    ///< "adamw": Adam with decoupled weight decay (Loshchilov & Hutter)
};
const char* optimizer_name(OptimizerKind kind);
OptimizerKind parse_optimizer(const std::string& name, const std::string& where);

struct OptimizerOptions {
  /// Which optimizer; default sgd.
  OptimizerKind kind = OptimizerKind::kSgd;
  /// Peak learning rate for a global batch of `lr_reference_batch` images; default 0.1. The rate
  /// used is lr * global_batch / lr_reference_batch (Goyal et al.'s linear scaling).
  double lr = 0.1;
  /// Batch size at which `lr` applies; default 256. 0 = no scaling (lr used as given).
  int lr_reference_batch = 256;
  /// Momentum (SGD, RMSProp); default 0.9.
  double momentum = 0.9;
  /// Nesterov momentum for SGD; default true.
  bool nesterov = true;
  /// Weight decay (L2 for SGD/RMSProp, decoupled for AdamW); default 4e-5 (MobileNets).
  double weight_decay = 4e-5;
  /// RMSProp decay of the squared-gradient average (TF's rho); default 0.9.
  double rmsprop_decay = 0.9;
  /// RMSProp epsilon, added inside the square root (TF); default 1e-3 (EfficientNet).
  double rmsprop_epsilon = 1e-3;
  /// AdamW epsilon, added to the root; default 1e-8.
  double adam_epsilon = 1e-8;
  /// AdamW betas; default 0.9 and 0.999.
  double beta1 = 0.9;
  double beta2 = 0.999;
};

/// Decay after warm-up.
enum class DecayKind {
  kCosine,       ///< "cosine": from the peak to min_lr_fraction * peak at the last step
  kExponential,  ///< "exponential": peak * decay_rate ^ (epochs since warm-up / decay_epochs), staircase
  kConstant,     ///< "constant": the peak, after warm-up
};
const char* decay_name(DecayKind kind);
DecayKind parse_decay(const std::string& name, const std::string& where);

struct ScheduleOptions {
  /// Decay after warm-up; default cosine.
  DecayKind decay = DecayKind::kCosine;
  /// Linear warm-up from 0 to the peak over this many epochs (fractions allowed); default 1.
  double warmup_epochs = 1.0;
  /// Exponential decay factor per decay_epochs; default 0.97 (EfficientNet).
  double decay_rate = 0.97;
  /// Epochs per exponential decay step; default 2.4 (EfficientNet).
  double decay_epochs = 2.4;
  /// Exponential: whole decay steps only (staircase); default true.
  bool staircase = true;
  /// Cosine: final LR as a fraction of the peak; default 0.
  double min_lr_fraction = 0.0;
};

/// Everything `nasctl train` needs.
struct TrainOptions {
  // The network (exactly one of model / graph_file / arch_file).
  /// Zoo network name (--model); default "".
  std::string model;
  /// Graph v1 JSON file (--graph); default "".
  std::string graph_file;
  /// ArchSpec JSON file (--arch); default "".
  std::string arch_file;
  /// Width multiplier of zoo networks that have one; default 1.0.
  double width = 1.0;

  // Data.
  /// ImageFolder root, IDX folder or "fashion-mnist" (--data); default "fashion-mnist".
  std::string data = "fashion-mnist";
  /// Optional class-name file (--labels); default "".
  std::string labels_file;
  /// Expected number of classes (--classes); default 0 = the data's. Must agree with the data.
  int classes = 0;
  /// Input side in pixels (--input-size); default 0 = the network's (zoo: 32 for IDX data, else
  /// the zoo network's own). A --graph/--arch network fixes it; a different value is an error.
  int input_size = 0;
  /// Transform keys (recipe "transform" object: augment, min_scale, max_scale, min_ratio,
  /// max_ratio, flip, pad, crop_ratio, mean, std) applied over data::default_transform's choices
  /// for the data and input size; default {} = those choices.
  Json transform = Json::object();
  /// Loader threads (--workers); default 2.
  int workers = 2;

  // Recipe.
  /// Epochs (--epochs); default 10.
  int epochs = 10;
  /// Images per step on each process (--batch-size); default 128. The global batch is
  /// batch_size x world size.
  int batch_size = 128;
  OptimizerOptions optimizer;
  ScheduleOptions schedule;
  /// Label smoothing of the cross-entropy (--label-smoothing); default 0.1.
  double label_smoothing = 0.1;
  /// EMA decay of the weights (--ema-decay); default 0 = off. With EMA the evaluated and exported
  /// weights are the averaged ones. The effective decay warms up as min(decay, (1+t)/(10+t)).
  double ema_decay = 0.0;
  /// Dropout before the classifier (--dropout); default 0.2.
  double dropout = 0.2;
  /// BatchNorm momentum, PyTorch convention (1 - TF's decay); default 0.01 (TF's 0.99).
  double bn_momentum = 0.01;
  /// Train in channels-last memory (nn::GraphNetOptions::channels_last); default true.
  bool channels_last = true;

  // Run.
  /// Run directory (--out); required.
  std::string out;
  /// Continue the run in `out` from its last checkpoint (--resume); default false.
  bool resume = false;
  /// "cpu", "cuda" or "cuda:N" (--device); default "cpu".
  std::string device = "cpu";
  /// Also checkpoint every N steps (--checkpoint-every-steps); default 0 = at epoch ends and every
  /// checkpoint_minutes.
  int64_t checkpoint_every_steps = 0;
  /// Also checkpoint when this many minutes passed since the last one; default 15.
  double checkpoint_minutes = 15.0;
  /// Evaluate every N epochs (and after the last); default 1.
  int eval_every_epochs = 1;
  /// Stop abruptly after this many steps in total, without a checkpoint, as a kill would (tests of
  /// --resume); default 0 = never.
  int64_t stop_after_steps = 0;
  /// Seed of initialisation, data order, augmentation and dropout (global --seed); default 0.
  uint64_t seed = 0;
  /// Deterministic algorithms (at::globalContext().setDeterministicAlgorithms); default false. On
  /// the CPU runs are repeatable with the same thread count either way.
  bool deterministic = false;

  /// Throws Error naming the field ("train.epochs must be > 0, but got 0").
  void validate() const;
};

/// The table of the training options: JSON keys, flags, checks, help (core/option_schema.h).
const OptionSchema<TrainOptions>& train_option_schema();

/// Fills `options` from a recipe JSON object (absent keys keep their value); unknown keys throw,
/// naming `origin` and the key.
void read_train_json(const Json& json, const std::string& origin, TrainOptions* options);

/// The fully resolved options as JSON (the form config.json stores; read_train_json reads it back).
Json train_options_to_json(const TrainOptions& options);

}  // namespace nasctl::train
