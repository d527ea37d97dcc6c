#pragma once
/// Optimizers with their state in TensorArchives (version-neutral checkpoints), the learning-rate
/// schedule and the EMA of the weights. The search reuses all three for its shared weights.
///
///   auto params = train::decay_groups(*net);            // decay on weights, not on BN/biases
///   train::Optimizer opt(params, options.optimizer);
///   train::LrSchedule schedule(options.schedule, train::scaled_lr(options.optimizer, global_batch),
///                              steps_per_epoch, total_steps);
///   train::ModelEma ema(*net, 0.9999);
///   for (step ...) { opt.zero_grad(); loss.backward(); opt.step(schedule.at(step)); ema.update(*net); }

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/nn/tensor_archive.h"
#include "nasctl/train/lr_curve.h"
#include "nasctl/train/options.h"

namespace nasctl::train {

/// One tensor an optimizer updates.
struct NamedParameter {
  std::string name;     ///< the module's parameter name ("conv_0.weight"); names optimizer state
  torch::Tensor tensor;
  bool decay = true;    ///< weight decay applies
};

/// The trainable parameters of `module`, with decay off for tensors of rank <= 1 (biases and BN's
/// gamma/beta) and on for the rest (conv and fully_connected kernels).
std::vector<NamedParameter> decay_groups(torch::nn::Module& module);

/// SGD (Nesterov), TensorFlow-style RMSProp or AdamW; see OptimizerKind for the exact update rules.
/// Parameters without a gradient at step() (not on the sampled path of a supernet) are skipped and
/// their state is left as it was.
class Optimizer {
 public:
  Optimizer(std::vector<NamedParameter> parameters, OptimizerOptions options);

  /// Drops the gradients (sets them undefined, so unused parameters are skipped by step()).
  void zero_grad();
  /// One update with learning rate `lr`.
  void step(double lr);
  /// Updates done so far.
  int64_t steps() const { return steps_; }

  /// Stores the state as "<prefix><param>.<slot>" tensors plus "<prefix>steps".
  void save(nn::TensorArchive& archive, const std::string& prefix = "optimizer.") const;
  /// Restores it; throws Error naming `origin` and the first missing or mismatching tensor.
  void load(const nn::TensorArchive& archive, const std::string& origin, const std::string& prefix = "optimizer.");

  const std::vector<NamedParameter>& parameters() const { return parameters_; }
  const OptimizerOptions& options() const { return options_; }

 private:
  std::vector<NamedParameter> parameters_;
  OptimizerOptions options_;
  std::vector<std::vector<torch::Tensor>> slots_;  // per parameter: momentum / ms, mom / exp_avg, exp_avg_sq
  std::vector<int64_t> updates_;                    // per parameter (Adam's bias correction)
  int64_t steps_ = 0;
};

/// lr * global_batch / lr_reference_batch (or lr when the reference is 0).
double scaled_lr(const OptimizerOptions& options, int64_t global_batch);

/// Linear warm-up from 0 to the peak, then cosine, exponential or no decay; see ScheduleOptions.
class LrSchedule {
 public:
  LrSchedule(ScheduleOptions options, double peak_lr, int64_t steps_per_epoch, int64_t total_steps);
  /// The learning rate of step `step` (0-based): warm-up step s uses peak * (s + 1) / warm-up steps.
  double at(int64_t step) const;
  int64_t warmup_steps() const { return curve_.warmup_steps; }

 private:
  LrCurve curve_;
};

/// Exponential moving average of a module's parameters and floating-point buffers (BN running
/// statistics; TensorFlow's EfficientNet averages those too), with the usual warm-up: the decay used
/// at update t (1-based) is min(decay, (1 + t) / (10 + t)). Integer buffers are copied.
class ModelEma {
 public:
  ModelEma(torch::nn::Module& model, double decay);
  /// Folds the module's current state in (after each optimizer step).
  void update(torch::nn::Module& model);
  /// Copies the averaged state into `target` (a module with the same names and shapes).
  void copy_to(torch::nn::Module& target) const;
  int64_t updates() const { return updates_; }
  double decay() const { return decay_; }
  /// The averaged copies of the module's floating-point buffers (BN running statistics), for
  /// averaging over ranks.
  std::vector<torch::Tensor> float_buffers() const;

  /// Stores "<prefix><name>" for every tensor (loadable into the model with
  /// nn::load_module_state(..., prefix)) and the update count as "<prefix_without_dot>_updates".
  void save(nn::TensorArchive& archive, const std::string& prefix = "ema.") const;
  void load(const nn::TensorArchive& archive, const std::string& origin, const std::string& prefix = "ema.");

 private:
  double decay_;
  int64_t updates_ = 0;
  std::vector<std::pair<std::string, torch::Tensor>> state_;
  size_t first_buffer_ = 0;  // state_[first_buffer_..] are buffers, the rest parameters
};

}  // namespace nasctl::train
