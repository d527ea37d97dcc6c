#pragma once
/// nasctl's one exception type. Library code throws it; `main` maps it to an exit code.

#include <stdexcept>
#include <string>

namespace nasctl {

/// Process exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input.
enum class ExitCode : int { kOk = 0, kRuntime = 1, kUsage = 2 };

/// An error with a one-line message naming the file, key and value at fault.
/// `kind` decides the exit code: input errors (bad files, flags, values) exit 2, the rest 1.
class Error : public std::runtime_error {
 public:
  enum class Kind { kInput, kRuntime };

  explicit Error(const std::string& message, Kind kind = Kind::kInput)
      : std::runtime_error(message), kind_(kind) {}

  Kind kind() const { return kind_; }
  ExitCode exit_code() const { return kind_ == Kind::kInput ? ExitCode::kUsage : ExitCode::kRuntime; }

 private:
  Kind kind_;
};

/// Shorthand for a runtime failure (exit 1): I/O that failed, a diverging run, ...
inline Error runtime_error(const std::string& message) { return Error(message, Error::Kind::kRuntime); }

}  // namespace nasctl
