#include "nasctl/train/lr_curve.h"

#include <algorithm>
#include <cmath>

namespace nasctl::train {
namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

double LrCurve::at(int64_t step) const {
  if (step < warmup_steps) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const double since = static_cast<double>(step - warmup_steps);
  const double progress = std::min(since / static_cast<double>(std::max<int64_t>(decay_steps, 1)), 1.0);
  switch (decay) {
    case LrDecay::kConstant:
      return peak;
    case LrDecay::kCosine:
      return floor + (peak - floor) * 0.5 * (1.0 + std::cos(kPi * progress));
    case LrDecay::kLinear:
      return floor + (peak - floor) * (1.0 - progress);
    case LrDecay::kExponential: {
      double periods = since / period_steps;
      if (staircase) periods = std::floor(periods);
      return peak * std::pow(rate, periods);
    }
  }
  return peak;
}

}  // namespace nasctl::train
