#include "nasctl/core/progress.h"

#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace nasctl {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

int terminal_columns() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20) return size.ws_col;
  return 100;
}

std::string format_rate(double rate, const std::string& unit) {
  char buffer[64];
  if (rate >= 100) {
    std::snprintf(buffer, sizeof buffer, "%.0f %s/s", rate, unit.c_str());
  } else if (rate >= 1 || rate == 0) {
    std::snprintf(buffer, sizeof buffer, "%.1f %s/s", rate, unit.c_str());
  } else {
    std::snprintf(buffer, sizeof buffer, "%.1f s/%s", 1.0 / rate, unit.c_str());
  }
  return buffer;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  auto total = static_cast<int64_t>(std::llround(seconds));
  int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buffer[48];
  if (h > 0) {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", static_cast<long long>(h), static_cast<long long>(m),
                  static_cast<long long>(s));
  } else {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld", static_cast<long long>(m), static_cast<long long>(s));
  }
  return buffer;
}

ProgressBar::ProgressBar(std::string label, int64_t total, ProgressOptions options)
    : label_(std::move(label)), total_(std::max<int64_t>(total, 0)), options_(std::move(options)), mode_(options_.mode) {
  if (mode_ == ProgressMode::kAuto) mode_ = ::isatty(STDERR_FILENO) ? ProgressMode::kBar : ProgressMode::kLog;
  done_ = options_.initial;
  start_ = Clock::now();
  last_emit_ = start_;
}

ProgressBar::~ProgressBar() {
  if (drawn_ && !finished_ && mode_ == ProgressMode::kBar) emit("\n", false);
}

double ProgressBar::elapsed_s() const { return seconds_between(start_, Clock::now()); }

double ProgressBar::eta_s() const {
  int64_t counted = done_ - options_.initial;
  if (total_ == 0 || counted <= 0) return -1;
  double per_step = elapsed_s() / static_cast<double>(counted);
  return per_step * static_cast<double>(std::max<int64_t>(total_ - done_, 0));
}

std::string ProgressBar::line(bool final_line, const std::string& status) const {
  std::ostringstream out;
  out << label_ << " ";
  double elapsed = elapsed_s();
  double rate = elapsed > 0 ? static_cast<double>(done_ - options_.initial) * options_.items_per_step / elapsed : 0;
  std::string counts = std::to_string(done_) + (total_ > 0 ? "/" + std::to_string(total_) : "");
  if (mode_ == ProgressMode::kBar && total_ > 0) {
    // Leave room for the text around the bar; the bar itself gets what is left (10..40 cells).
    int text = static_cast<int>(label_.size() + counts.size() + status.size()) + 40;
    int width = std::clamp(terminal_columns() - text, 10, 40);
    int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(std::min(done_, total_)) /
                                  static_cast<double>(total_));
    out << "[" << std::string(filled, '#') << std::string(width - filled, '.') << "] ";
  }
  if (total_ > 0) out << static_cast<int>(100.0 * static_cast<double>(std::min(done_, total_)) / total_) << "% ";
  out << counts << " " << format_rate(rate, options_.unit);
  if (final_line) {
    out << " in " << format_duration(elapsed);
  } else if (total_ > 0) {
    out << " ETA " << format_duration(eta_s());
  }
  if (!status.empty()) out << " | " << status;
  return out.str();
}

void ProgressBar::emit(const std::string& text, bool redraw) {
  if (mode_ == ProgressMode::kLog) {
    if (options_.stream) {
      *options_.stream << text << "\n";
    } else {
      spdlog::info("{}", text);
    }
    return;
  }
  // Bar: carriage return + clear to end of line, so a shorter line leaves no debris.
  std::string out = redraw ? "\r" + text + "\033[K" : text;
  if (options_.stream) {
    *options_.stream << out << std::flush;
  } else {
    std::fputs(out.c_str(), stderr);
    std::fflush(stderr);
  }
  drawn_ = true;
}

void ProgressBar::update(int64_t done, const std::string& status) {
  if (finished_ || mode_ == ProgressMode::kDisabled) return;
  bool first = done_ == options_.initial;
  done_ = done;
  auto now = Clock::now();
  double since = seconds_between(last_emit_, now);
  double interval = mode_ == ProgressMode::kBar ? options_.redraw_interval_s : options_.log_interval_s;
  bool last = total_ > 0 && done_ >= total_;
  if (!first && !last && since < interval) return;
  last_emit_ = now;
  emit(line(false, status), true);
}

void ProgressBar::finish(const std::string& status) {
  if (finished_ || mode_ == ProgressMode::kDisabled) return;
  finished_ = true;
  emit(line(true, status), true);
  if (mode_ == ProgressMode::kBar) emit("\n", false);
}

}  // namespace nasctl
