#pragma once
// Shared test helpers: paths, temporary folders, and asserting on error messages.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "nasctl/core/error.h"

namespace nasctl::testing {

/// The source tree (configs/, tests/data/).
inline std::string source_dir() { return NASCTL_SOURCE_DIR; }

/// A fresh temporary folder, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "nasctl_test_XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace nasctl::testing

/// Asserts that `statement` throws nasctl::Error whose message contains `substring`.
#define EXPECT_THROW_MSG(statement, substring)                                                  \
  do {                                                                                          \
    try {                                                                                       \
      statement;                                                                                \
      ADD_FAILURE() << "expected nasctl::Error containing \"" << (substring) << "\"";          \
    } catch (const ::nasctl::Error& e) {                                                        \
      EXPECT_NE(std::string(e.what()).find(substring), std::string::npos)                       \
          << "message: " << e.what() << "\nexpected to contain: " << (substring);              \
    }                                                                                           \
  } while (0)
