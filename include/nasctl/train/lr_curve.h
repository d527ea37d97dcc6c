#pragma once
/// The learning-rate curve of a run, shared by the trainer (train::LrSchedule) and the search's
/// shared-weights and controller optimisers: a linear warm-up to the peak, then no decay, a cosine
/// or linear decay to a floor, or a (staircase) exponential decay. No LibTorch here.

#include <cstdint>

namespace nasctl::train {

/// The decay after warm-up.
enum class LrDecay {
  kConstant,     ///< the peak
  kCosine,       ///< peak -> floor along half a cosine over decay_steps
  kLinear,       ///< peak -> floor linearly over decay_steps
  kExponential,  ///< peak * rate ^ (steps since warm-up / period_steps), floored to whole periods if staircase
};

struct LrCurve {
  double peak = 0.0;
  /// Warm-up step s (0-based, s < warmup_steps) uses peak * (s + 1) / warmup_steps.
  int64_t warmup_steps = 0;
  LrDecay decay = LrDecay::kCosine;
  /// Cosine and linear: the decay reaches `floor` this many steps after warm-up and stays there
  /// (at least 1). The trainer sets it so that the last step runs at the floor (total - warm-up
  /// - 1); the search so that the floor would come one step after its last (total - warm-up).
  int64_t decay_steps = 1;
  /// Cosine and linear: the final rate.
  double floor = 0.0;
  /// Exponential: the factor per period, the period in steps, whole periods only.
  double rate = 1.0;
  double period_steps = 1.0;
  bool staircase = true;

  /// The learning rate of step `step` (0-based).
  double at(int64_t step) const;
};

}  // namespace nasctl::train
