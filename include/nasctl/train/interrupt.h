#pragma once
/// Graceful interruption of long runs: while an InterruptGuard lives, SIGINT and SIGTERM set a flag
/// (the loop checkpoints and stops at the next step) instead of killing the process; a second
/// signal kills it as usual. No LibTorch here.

namespace nasctl::train {

class InterruptGuard {
 public:
  InterruptGuard();   ///< installs the handlers and clears the flag
  ~InterruptGuard();  ///< restores the previous handlers
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  /// True once SIGINT or SIGTERM arrived.
  static bool requested();
  /// The signal that arrived (0 when none).
  static int signal_number();
};

}  // namespace nasctl::train
