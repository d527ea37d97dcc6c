#pragma once
/// A progress display for long loops (training epochs, search steps): a redrawn bar with rate and
/// ETA on stderr when stderr is a terminal, plain periodic log lines (spdlog, info) otherwise, so
/// that logs of batch jobs stay readable.
///
///   ProgressBar bar("epoch 3/10", steps_per_epoch);
///   for (...) { ...; bar.update(step + 1, "loss 0.412 lr 0.08"); }
///   bar.finish("val top-1 91.2%");

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace nasctl {

/// How a ProgressBar shows itself.
enum class ProgressMode {
  kAuto,      ///< bar when stderr is a terminal, plain log lines otherwise
  kBar,       ///< always the redrawn bar
  kLog,       ///< always plain lines
  kDisabled,  ///< nothing (non-zero ranks of a distributed run, --quiet)
};

struct ProgressOptions {
  /// Where the display goes; default kAuto.
  ProgressMode mode = ProgressMode::kAuto;
  /// Seconds between plain log lines; default 10 (the first and last update always print).
  double log_interval_s = 10.0;
  /// Seconds between bar redraws; default 0.1.
  double redraw_interval_s = 0.1;
  /// Unit of the rate ("it", "img"); default "it".
  std::string unit = "it";
  /// Items per update step for the rate (e.g. the batch size when counting steps but reporting
  /// images/s); default 1.
  double items_per_step = 1.0;
  /// Steps already done when the bar starts (a resumed run), not counted in the rate; default 0.
  int64_t initial = 0;
  /// Stream the bar / lines are written to instead of stderr / spdlog; default nullptr (for tests).
  std::ostream* stream = nullptr;
};

class ProgressBar {
 public:
  /// `total` steps; 0 = unknown (no percentage or ETA, only the count and rate).
  ProgressBar(std::string label, int64_t total, ProgressOptions options = {});
  /// Ends the line of an unfinished bar.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Reports `done` steps completed (absolute), with an optional status ("loss 0.41").
  void update(int64_t done, const std::string& status = "");
  /// update(done + n).
  void advance(int64_t n = 1, const std::string& status = "") { update(done_ + n, status); }
  /// Final line: the total time and `status`. Further updates are ignored.
  void finish(const std::string& status = "");

  /// Seconds since construction.
  double elapsed_s() const;
  /// Estimated seconds left from the mean rate so far; negative when unknown.
  double eta_s() const;
  /// The mode in effect (kAuto resolved).
  ProgressMode mode() const { return mode_; }

 private:
  std::string line(bool final_line, const std::string& status) const;
  void emit(const std::string& text, bool redraw);

  std::string label_;
  int64_t total_;
  ProgressOptions options_;
  ProgressMode mode_;
  int64_t done_ = 0;
  bool finished_ = false;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_emit_;
};

/// "1:02:03", "4:05" (minutes:seconds under an hour), "?" for negative or non-finite values.
std::string format_duration(double seconds);

}  // namespace nasctl
