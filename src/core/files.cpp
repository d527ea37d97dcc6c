#include "nasctl/core/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "nasctl/core/error.h"

namespace nasctl {
namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw Error(path + ": is a directory, expected a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file (" + std::strerror(errno) + ")");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void make_directories(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw runtime_error(dir + ": cannot create directory (" + ec.message() + ")");
}

std::string absolute_if_exists(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !fs::exists(path, ec)) return path;
  fs::path absolute = fs::absolute(path, ec);
  return ec ? path : absolute.lexically_normal().string();
}

namespace {

constexpr const char* kTempMarker = ".tmp.";
constexpr const char* kLockName = ".nasctl.lock";

// "<name>.tmp.<pid>" of a pid other than ours.
bool stale_temp_name(const std::string& name) {
  size_t at = name.rfind(kTempMarker);
  if (at == std::string::npos || at == 0) return false;
  std::string pid = name.substr(at + std::strlen(kTempMarker));
  if (pid.empty() || pid.size() > 10 || pid.find_first_not_of("0123456789") != std::string::npos) return false;
  return pid != std::to_string(::getpid());
}

}  // namespace

int remove_stale_temp_files(const std::string& dir) {
  int removed = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it.depth() > 2) it.disable_recursion_pending();  // run folders are shallow
    if (!it->is_regular_file(ec) || !stale_temp_name(it->path().filename().string())) continue;
    std::error_code removal;
    if (fs::remove(it->path(), removal)) ++removed;
  }
  return removed;
}

RunLock::RunLock(const std::string& dir) : dir_(dir) {
  std::error_code ec;
  created_ = !fs::exists(dir, ec);
  make_directories(dir);
  const std::string path = dir + "/" + kLockName;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw runtime_error(path + ": cannot open the run folder's lock (" + std::strerror(errno) + ")");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char holder[32] = {0};
    ssize_t n = ::pread(fd_, holder, sizeof holder - 1, 0);
    std::string pid = n > 0 ? std::string(holder, size_t(n)) : std::string();
    pid = pid.substr(0, pid.find_first_not_of("0123456789"));  // the leading digits
    ::close(fd_);
    fd_ = -1;
    if (error != EWOULDBLOCK) throw runtime_error(path + ": cannot lock the run folder (" + std::strerror(error) + ")");
    throw Error(dir + " is in use by another nasctl process (pid " + (pid.empty() ? "unknown" : pid) +
                "); wait for it to finish or choose another --out");
  }
  const std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, me.data(), me.size(), 0) != ssize_t(me.size())) {
    // The pid is only for the message a second writer prints; the lock itself holds.
  }
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  if (created_) {
    // Nothing but the lock inside: the run never started (bad input); leave no empty folder.
    std::error_code ec;
    bool only_lock = true;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) only_lock = only_lock && entry.path().filename() == kLockName;
    if (!ec && only_lock) {
      fs::remove(fs::path(dir_) / kLockName, ec);
      fs::remove(dir_, ec);
    }
  }
  ::close(fd_);  // releases the lock
}

void report_file_size_limit_as_error() { std::signal(SIGXFSZ, SIG_IGN); }

namespace {

std::string temp_path_for(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw runtime_error(path + ": cannot reopen to sync (" + std::strerror(errno) + ")");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw runtime_error(path + ": fsync failed (" + std::strerror(errno) + ")");
}

void fsync_parent(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  int fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void write_file_atomic_with(const std::string& path, const std::function<void(const std::string&)>& write) {
  const std::string tmp = temp_path_for(path);
  try {
    write(tmp);
    fsync_path(tmp);
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw runtime_error(path + ": cannot write (" + ec.message() + ")");
    fsync_parent(path);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_file_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw runtime_error(path + ": cannot write (" + std::strerror(errno) + ")");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) throw runtime_error(path + ": write failed (" + std::strerror(errno) + ")");
  });
}

}  // namespace nasctl
