#pragma once
/// Process-wide compute settings, callable without including LibTorch.

namespace nasctl {

/// The most threads (compute or data loading) any flag or config accepts: more only thrashes, and
/// a typo such as 100000 would start that many.
constexpr int kMaxThreads = 1024;

/// Sets LibTorch's intra-op thread count (and OpenMP/BLAS through it). Implemented in nn.
void set_compute_threads(int threads);

}  // namespace nasctl
