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

}  // namespace nasctl
