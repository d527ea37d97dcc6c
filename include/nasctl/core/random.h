#pragma once
/// Seeded random streams. Every random choice of a run comes from a stream whose seed is a function
/// of the run's seed and named coordinates (epoch and sample, rank and step), so batches do not
/// depend on thread counts and a resumed run draws what the uninterrupted one drew without storing
/// generator states. The generator's output is defined here, not by the standard library (whose
/// distributions differ between implementations), so draws are identical on every platform.

#include <cstdint>

namespace nasctl {

/// SplitMix64's finaliser: a bijective 64-bit mix.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// SplitMix64 stream.
class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}
  uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ULL); }
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }

 private:
  uint64_t state_;
};

// The seeds of the streams a run draws from. Each keeps the mixing it was introduced with, so that
// runs, checkpoints and results of earlier versions continue bit-identically.

/// A data loader's sample `index` of `epoch` (crop, flip).
uint64_t sample_seed(uint64_t seed, int64_t epoch, int64_t index);
/// A loader's shuffle of `epoch`.
uint64_t epoch_order_seed(uint64_t seed, int64_t epoch);
/// The held-out split of class `label`.
uint64_t class_split_seed(uint64_t seed, int64_t label);
/// A training step's draws on process `rank` (dropout).
uint64_t train_step_seed(uint64_t seed, int rank, int64_t step);
/// A search step's draws on process `rank` (which architectures it samples).
uint64_t search_step_seed(uint64_t seed, int rank, int64_t step);

}  // namespace nasctl
