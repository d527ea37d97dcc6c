#pragma once
// Function multi-versioning for nasctl's own CPU kernels (depthwise convolution, fused BatchNorm).
// With GCC on x86-64 a function marked NASCTL_CPU_CLONES is compiled twice, for AVX2 and for the
// baseline ISA, and the loader picks the AVX2 version when the CPU has it. The clone is named by
// ISA feature, not by CPU family ("arch=haswell" is only chosen on Intel CPUs of that family and
// later, never on AMD ones). Loop bodies reached from a clone are marked NASCTL_INLINE so that they
// are compiled into each version.

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define NASCTL_CPU_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define NASCTL_CPU_CLONES
#endif

#define NASCTL_INLINE inline __attribute__((always_inline))
