#pragma once
/// The TuNAS controller: one independent categorical distribution per decision of a search space,
/// trained with REINFORCE and Adam, and the exponential-moving-average reward baseline.
///
/// Only decisions that are active in a sample count (a skipped layer's kernel does not): they
/// alone enter the log-probability, the entropy and the gradient. Choices can be masked out
/// (e.g. ops the Edge TPU cannot run): a masked choice has probability 0 and is never sampled.
/// Everything is plain double arithmetic, so a run resumes bitwise-identically.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "nasctl/core/json.h"

namespace nasctl::search {

/// Adam settings of the controller (TuNAS: beta1 0, beta2 0.999).
struct ControllerOptions {
  double adam_beta1 = 0.0;    ///< default 0 (no momentum: the policy follows the latest rewards)
  double adam_beta2 = 0.999;  ///< default 0.999
  double adam_epsilon = 1e-8; ///< default 1e-8
};

/// Per decision, per choice: a value for each logit (gradients, probabilities).
using LogitTable = std::vector<std::vector<double>>;

/// A uniform double in [0, 1) from 53 random bits: the same on every platform and standard library.
double uniform01(std::mt19937_64& rng);

class Controller {
 public:
  /// `choice_counts[d]` choices for decision d (each >= 1); logits start at 0 (uniform).
  explicit Controller(std::vector<int> choice_counts, ControllerOptions options = {});

  int num_decisions() const { return static_cast<int>(logits_.size()); }
  int num_choices(int decision) const { return static_cast<int>(logits_[decision].size()); }

  /// Forbids choice `choice` of `decision`; throws Error when that would forbid every choice.
  void mask(int decision, int choice);
  bool allowed(int decision, int choice) const { return allowed_[decision][choice]; }

  /// Softmax over the allowed choices (masked choices get 0).
  std::vector<double> probabilities(int decision) const;
  LogitTable probabilities() const;

  /// One choice per decision, drawn from the policy (every decision is drawn, active or not).
  std::vector<int> sample(std::mt19937_64& rng) const;
  /// One choice per decision, uniformly among the allowed choices (TuNAS's op warm-up).
  std::vector<int> sample_uniform(std::mt19937_64& rng) const;
  /// The most likely choice of each decision (ties: the first).
  std::vector<int> most_likely() const;

  /// log p(indices), summed over the active decisions.
  double log_prob(const std::vector<int>& indices, const std::vector<bool>& active) const;
  /// Entropy of the policy, summed over the active decisions (nats).
  double entropy(const std::vector<bool>& active) const;

  /// Gradient of the REINFORCE loss -advantage * log p(indices) with respect to the logits:
  /// -advantage * (onehot - p) on active decisions, 0 elsewhere and on masked choices.
  LogitTable reinforce_gradient(const std::vector<int>& indices, const std::vector<bool>& active,
                                double advantage) const;
  /// One Adam step on the logits with `gradient` (e.g. averaged across ranks) and `learning_rate`.
  void apply_gradient(const LogitTable& gradient, double learning_rate);

  const LogitTable& logits() const { return logits_; }
  int64_t adam_steps() const { return adam_steps_; }

  /// Logits, masks and Adam state as JSON (doubles round-trip exactly), and back.
  Json state() const;
  /// Throws Error naming `origin` when the state does not fit this controller.
  void load_state(const Json& state, const std::string& origin);

 private:
  void check_indices(const std::vector<int>& indices, const std::vector<bool>& active) const;

  ControllerOptions options_;
  LogitTable logits_;
  std::vector<std::vector<bool>> allowed_;
  LogitTable adam_m_;
  LogitTable adam_v_;
  int64_t adam_steps_ = 0;
};

/// TuNAS's reward baseline: an exponential moving average of the rewards. It starts at the first
/// reward it sees (a zero start would give the first few samples a large, arbitrary advantage).
class RewardBaseline {
 public:
  /// `momentum`: weight of the old value; default 0.95 (TuNAS).
  explicit RewardBaseline(double momentum = 0.95) : momentum_(momentum) {}

  bool initialised() const { return initialised_; }
  double value() const { return value_; }
  /// Advantage of `reward` against the current baseline (0 for the first reward).
  double advantage(double reward) const { return initialised_ ? reward - value_ : 0.0; }
  /// Moves the baseline towards `reward` (the mean reward of all ranks).
  void update(double reward);

  Json state() const;
  void load_state(const Json& state, const std::string& origin);

 private:
  double momentum_;
  double value_ = 0.0;
  bool initialised_ = false;
};

}  // namespace nasctl::search
