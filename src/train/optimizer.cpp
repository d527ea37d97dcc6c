#include "nasctl/train/optimizer.h"

#include <cmath>

#include "nasctl/core/error.h"

namespace nasctl::train {
namespace {

// State slots per optimizer, in the order slots_ keeps them (names used in checkpoints).
std::vector<const char*> slot_names(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kSgd:
      return {"momentum"};
    case OptimizerKind::kRmsProp:
      return {"ms", "mom"};
    case OptimizerKind::kAdamW:
      return {"exp_avg", "exp_avg_sq"};
  }
  return {};
}

// `what` names the kind of state in messages ("optimizer state", "EMA tensor").
torch::Tensor load_like(const nn::TensorArchive& archive, const std::string& name, const torch::Tensor& like,
                        const std::string& origin, const std::string& what) {
  if (!archive.contains(name)) throw Error(origin + ": " + what + " '" + name + "' is missing from the checkpoint");
  const torch::Tensor& t = archive.get(name, origin);
  if (t.sizes() != like.sizes()) {
    throw Error(origin + ": " + what + " '" + name + "' has shape " + c10::str(t.sizes()) +
                " in the checkpoint but " + c10::str(like.sizes()) + " in the network");
  }
  return t;
}

std::string trim_dot(const std::string& prefix) {
  return !prefix.empty() && prefix.back() == '.' ? prefix.substr(0, prefix.size() - 1) : prefix;
}

}  // namespace

std::vector<NamedParameter> decay_groups(torch::nn::Module& module) {
  std::vector<NamedParameter> out;
  for (const auto& item : module.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    out.push_back({item.key(), item.value(), item.value().dim() > 1});
  }
  return out;
}

Optimizer::Optimizer(std::vector<NamedParameter> parameters, OptimizerOptions options)
    : parameters_(std::move(parameters)), options_(options) {
  torch::NoGradGuard no_grad;
  size_t slots = slot_names(options_.kind).size();
  for (const NamedParameter& p : parameters_) {
    std::vector<torch::Tensor> state;
    for (size_t s = 0; s < slots; ++s) {
      // TensorFlow's RMSProp starts its mean square at 1 (so early steps are not huge).
      bool ones = options_.kind == OptimizerKind::kRmsProp && s == 0;
      state.push_back(ones ? torch::ones_like(p.tensor) : torch::zeros_like(p.tensor));
    }
    slots_.push_back(std::move(state));
  }
  updates_.assign(parameters_.size(), 0);
}

void Optimizer::zero_grad() {
  for (NamedParameter& p : parameters_) p.tensor.mutable_grad().reset();
}

void Optimizer::step(double lr) {
  torch::NoGradGuard no_grad;
  const OptimizerOptions& o = options_;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    torch::Tensor& w = parameters_[i].tensor;
    if (!w.grad().defined()) continue;
    torch::Tensor g = w.grad();
    std::vector<torch::Tensor>& state = slots_[i];
    const bool decay = parameters_[i].decay && o.weight_decay > 0;
    ++updates_[i];
    switch (o.kind) {
      case OptimizerKind::kSgd: {
        // torch.optim.SGD (dampening 0): buf = m * buf + g; step along g + m * buf (Nesterov) or buf.
        if (decay) g = g.add(w, o.weight_decay);
        torch::Tensor& buf = state[0];
        buf.mul_(o.momentum).add_(g);
        if (o.nesterov) {
          w.add_(g.add(buf, o.momentum), -lr);
        } else {
          w.add_(buf, -lr);
        }
        break;
      }
      case OptimizerKind::kRmsProp: {
        // tf.compat.v1.train.RMSPropOptimizer: ms = rho ms + (1 - rho) g^2;
        // mom = m mom + lr g / sqrt(ms + eps); w -= mom.
        if (decay) g = g.add(w, o.weight_decay);
        torch::Tensor& ms = state[0];
        torch::Tensor& mom = state[1];
        ms.mul_(o.rmsprop_decay).addcmul_(g, g, 1.0 - o.rmsprop_decay);
        mom.mul_(o.momentum).addcdiv_(g, (ms + o.rmsprop_epsilon).sqrt_(), lr);
        w.sub_(mom);
        break;
      }
      case OptimizerKind::kAdamW: {
        // torch.optim.AdamW: decoupled decay, bias-corrected moments.
        if (decay) w.mul_(1.0 - lr * o.weight_decay);
        torch::Tensor& m = state[0];
        torch::Tensor& v = state[1];
        m.mul_(o.beta1).add_(g, 1.0 - o.beta1);
        v.mul_(o.beta2).addcmul_(g, g, 1.0 - o.beta2);
        double t = static_cast<double>(updates_[i]);
        double c1 = 1.0 - std::pow(o.beta1, t), c2 = 1.0 - std::pow(o.beta2, t);
        torch::Tensor denom = (v.sqrt() / std::sqrt(c2)).add_(o.adam_epsilon);
        w.addcdiv_(m, denom, -lr / c1);
        break;
      }
    }
  }
  ++steps_;
}

void Optimizer::save(nn::TensorArchive& archive, const std::string& prefix) const {
  std::vector<const char*> names = slot_names(options_.kind);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    for (size_t s = 0; s < names.size(); ++s) archive.add(prefix + parameters_[i].name + "." + names[s], slots_[i][s]);
  }
  archive.add(prefix + "updates", torch::tensor(updates_, torch::kInt64));
  archive.add(prefix + "steps", torch::tensor(steps_, torch::kInt64));
}

void Optimizer::load(const nn::TensorArchive& archive, const std::string& origin, const std::string& prefix) {
  std::vector<const char*> names = slot_names(options_.kind);
  // Read everything before changing anything.
  std::vector<std::vector<torch::Tensor>> loaded(parameters_.size());
  for (size_t i = 0; i < parameters_.size(); ++i) {
    for (size_t s = 0; s < names.size(); ++s) {
      std::string name = prefix + parameters_[i].name + "." + names[s];
      if (!archive.contains(name)) {
        throw Error(origin + ": optimizer state '" + name + "' is missing (a checkpoint of another optimizer (" +
                    optimizer_name(options_.kind) + " expected) or architecture?)");
      }
      loaded[i].push_back(load_like(archive, name, slots_[i][s], origin, "optimizer state"));
    }
  }
  torch::Tensor updates = archive.get(prefix + "updates", origin);
  if (updates.numel() != static_cast<int64_t>(parameters_.size())) {
    throw Error(origin + ": optimizer state '" + prefix + "updates' has " + std::to_string(updates.numel()) +
                " entries but the network has " + std::to_string(parameters_.size()) + " parameters");
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    for (size_t s = 0; s < names.size(); ++s) slots_[i][s].copy_(loaded[i][s]);
    updates_[i] = updates[static_cast<int64_t>(i)].item<int64_t>();
  }
  steps_ = archive.get(prefix + "steps", origin).item<int64_t>();
}

double scaled_lr(const OptimizerOptions& options, int64_t global_batch) {
  if (options.lr_reference_batch <= 0) return options.lr;
  return options.lr * static_cast<double>(global_batch) / options.lr_reference_batch;
}

LrSchedule::LrSchedule(ScheduleOptions options, double peak_lr, int64_t steps_per_epoch, int64_t total_steps) {
  steps_per_epoch = std::max<int64_t>(steps_per_epoch, 1);
  total_steps = std::max<int64_t>(total_steps, 1);
  const int64_t warmup = std::min<int64_t>(std::llround(options.warmup_epochs * steps_per_epoch), total_steps - 1);
  curve_.peak = peak_lr;
  curve_.warmup_steps = std::max<int64_t>(warmup, 0);
  switch (options.decay) {
    case DecayKind::kConstant: curve_.decay = LrDecay::kConstant; break;
    case DecayKind::kCosine: curve_.decay = LrDecay::kCosine; break;
    case DecayKind::kExponential: curve_.decay = LrDecay::kExponential; break;
  }
  curve_.decay_steps = total_steps - curve_.warmup_steps - 1;  // the last step runs at the floor
  curve_.floor = options.min_lr_fraction * peak_lr;
  curve_.rate = options.decay_rate;
  curve_.period_steps = options.decay_epochs * static_cast<double>(steps_per_epoch);
  curve_.staircase = options.staircase;
}

double LrSchedule::at(int64_t step) const { return curve_.at(step); }

ModelEma::ModelEma(torch::nn::Module& model, double decay) : decay_(decay) {
  torch::NoGradGuard no_grad;
  for (const auto& item : model.named_parameters()) state_.emplace_back(item.key(), item.value().detach().clone());
  first_buffer_ = state_.size();
  for (const auto& item : model.named_buffers()) state_.emplace_back(item.key(), item.value().detach().clone());
}

void ModelEma::update(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  ++updates_;
  double t = static_cast<double>(updates_);
  double d = std::min(decay_, (1.0 + t) / (10.0 + t));
  auto params = model.named_parameters();
  auto buffers = model.named_buffers();
  for (auto& [name, shadow] : state_) {
    const torch::Tensor* current = params.find(name);
    if (!current) current = buffers.find(name);
    if (!current) throw Error("EMA: the module has no tensor '" + name + "'", Error::Kind::kRuntime);
    if (shadow.is_floating_point()) {
      shadow.mul_(d).add_(*current, 1.0 - d);
    } else {
      shadow.copy_(*current);
    }
  }
}

std::vector<torch::Tensor> ModelEma::float_buffers() const {
  std::vector<torch::Tensor> out;
  for (size_t i = first_buffer_; i < state_.size(); ++i) {
    if (state_[i].second.is_floating_point()) out.push_back(state_[i].second);
  }
  return out;
}

void ModelEma::copy_to(torch::nn::Module& target) const {
  torch::NoGradGuard no_grad;
  auto params = target.named_parameters();
  auto buffers = target.named_buffers();
  for (const auto& [name, shadow] : state_) {
    torch::Tensor* t = params.find(name);
    if (!t) t = buffers.find(name);
    if (!t) throw Error("EMA: the target module has no tensor '" + name + "'", Error::Kind::kRuntime);
    t->copy_(shadow);
  }
}

void ModelEma::save(nn::TensorArchive& archive, const std::string& prefix) const {
  for (const auto& [name, shadow] : state_) archive.add(prefix + name, shadow);
  archive.add(trim_dot(prefix) + "_updates", torch::tensor(updates_, torch::kInt64));
}

void ModelEma::load(const nn::TensorArchive& archive, const std::string& origin, const std::string& prefix) {
  std::vector<torch::Tensor> loaded;
  for (const auto& [name, shadow] : state_) {
    std::string key = prefix + name;
    if (!archive.contains(key)) {
      throw Error(origin + ": EMA tensor '" + key + "' is missing (was the run trained without EMA?)");
    }
    loaded.push_back(load_like(archive, key, shadow, origin, "EMA tensor"));
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < state_.size(); ++i) state_[i].second.copy_(loaded[i]);
  updates_ = archive.get(trim_dot(prefix) + "_updates", origin).item<int64_t>();
}

}  // namespace nasctl::train
