#pragma once
/// Files written atomically, and file reading with clear errors.

#include <functional>
#include <string>

namespace nasctl {

/// Reads a whole file; throws Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

/// Writes `content` to `path` atomically: a temporary file in the same folder, fsync, rename.
/// On failure nothing is left behind and any previous `path` is intact.
void write_file_atomic(const std::string& path, const std::string& content);

/// Atomic write for writers that need a path (torch::save, flatbuffers): `write(tmp_path)` writes
/// the temporary file, which is then fsynced and renamed over `path`.
void write_file_atomic_with(const std::string& path, const std::function<void(const std::string&)>& write);

/// Creates `dir` and its parents; throws Error naming it when that fails.
void make_directories(const std::string& dir);

/// `path` made absolute when it names an existing file or folder (so a run's stored config still
/// finds its data from another working directory); anything else (a built-in name such as
/// "fashion-mnist", "") unchanged.
std::string absolute_if_exists(const std::string& path);

/// Removes the temporary files that write_file_atomic of another, dead process left in `dir` and
/// its subfolders ("<name>.tmp.<pid>" with pid not this process); returns how many. Call it only
/// while holding the folder's RunLock.
int remove_stale_temp_files(const std::string& dir);

/// An exclusive lock (flock) on a run folder for the life of the object: a second writer of the
/// same folder is refused with an Error naming the holder's pid. The kernel drops the lock when
/// the process dies, so a killed run never leaves a stale lock. The lock file ".nasctl.lock" stays.
class RunLock {
 public:
  /// Creates `dir` when missing and locks it; throws Error when another process holds the lock.
  /// A folder this lock created is removed again when the lock is released with nothing else in
  /// it (bad input rejected before the run wrote anything).
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  std::string dir_;
  int fd_ = -1;
  bool created_ = false;
};

/// Makes a write beyond the file-size limit (ulimit -f) fail with EFBIG, reported like any other
/// write error, instead of killing the process with SIGXFSZ. Called once at start-up.
void report_file_size_limit_as_error();

}  // namespace nasctl
