#pragma once
/// Process-wide compute settings, callable without including LibTorch.

namespace nasctl {

/// Sets LibTorch's intra-op thread count (and OpenMP/BLAS through it). Implemented in nn.
void set_compute_threads(int threads);

}  // namespace nasctl
