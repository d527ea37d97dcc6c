#pragma once
/// Process-wide compute settings of the LibTorch modules, callable without including LibTorch.

namespace nasctl {

/// Sets LibTorch's intra-op thread count (and OpenMP/BLAS through it).
void set_compute_threads(int threads);

}  // namespace nasctl
