#pragma once
/// Bounds that several modules check their inputs against.

namespace nasctl {

/// The most threads (compute or data loading) any flag or config accepts: more only thrashes, and
/// a typo such as 100000 would start that many.
constexpr int kMaxThreads = 1024;

}  // namespace nasctl
