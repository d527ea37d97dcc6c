#include "nasctl/core/random.h"

namespace nasctl {

uint64_t sample_seed(uint64_t seed, int64_t epoch, int64_t index) {
  uint64_t h = mix64(seed ^ 0x6a09e667f3bcc909ULL);
  h = mix64(h ^ (static_cast<uint64_t>(epoch) * 0x9e3779b97f4a7c15ULL));
  return mix64(h ^ (static_cast<uint64_t>(index) * 0xc2b2ae3d27d4eb4fULL));
}

uint64_t epoch_order_seed(uint64_t seed, int64_t epoch) {
  return mix64(seed ^ 0xbb67ae8584caa73bULL) ^ mix64(static_cast<uint64_t>(epoch) + 1);
}

uint64_t class_split_seed(uint64_t seed, int64_t label) { return mix64(seed) ^ mix64(static_cast<uint64_t>(label) + 1); }

uint64_t train_step_seed(uint64_t seed, int rank, int64_t step) {
  return mix64(seed + 0x9e3779b97f4a7c15ULL * (static_cast<uint64_t>(step) + 1) +
               0xbf58476d1ce4e5b9ULL * static_cast<uint64_t>(rank));
}

uint64_t search_step_seed(uint64_t seed, int rank, int64_t step) {
  // The sample stream's mixing with (rank, step) in its (epoch, index) places, salted apart from it.
  return sample_seed(seed ^ 0x5ea5c4ULL, rank, step);
}

}  // namespace nasctl
