#include "nasctl/core/files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support.h"

namespace nasctl {
namespace {

namespace fs = std::filesystem;

void touch(const std::string& path) { std::ofstream(path) << "x"; }

TEST(RunLock, ASecondWriterIsRefusedNamingTheHolder) {
  testing::TempDir dir;
  const std::string run = dir.file("run");
  {
    RunLock first(run);
    EXPECT_TRUE(fs::is_directory(run));
    // flock conflicts between two opens even in one process, as between two processes.
    EXPECT_THROW_MSG(RunLock second(run), run + " is in use by another nasctl process (pid " + std::to_string(::getpid()) + ")");
    touch(run + "/metrics.jsonl");
  }
  RunLock again(run);  // released with the first
  EXPECT_TRUE(fs::exists(run + "/metrics.jsonl"));
}

TEST(RunLock, AFolderItCreatedIsRemovedWhenNothingWasWritten) {
  testing::TempDir dir;
  { RunLock lock(dir.file("never_used")); }
  EXPECT_FALSE(fs::exists(dir.file("never_used")));
  fs::create_directories(dir.file("existing"));
  { RunLock lock(dir.file("existing")); }
  EXPECT_TRUE(fs::exists(dir.file("existing")));  // not ours to remove
}

TEST(StaleTempFiles, OnlyOtherProcessesTempFilesAreRemoved) {
  testing::TempDir dir;
  fs::create_directories(dir.file("checkpoints"));
  touch(dir.file("checkpoints/last.ckpt.tmp.12345"));
  touch(dir.file("config.json.tmp.99"));
  const std::string mine = dir.file("metrics.jsonl.tmp." + std::to_string(::getpid()));
  touch(mine);
  touch(dir.file("checkpoints/last.ckpt"));
  touch(dir.file("notes.tmp.txt"));
  touch(dir.file("x.tmp."));
  EXPECT_EQ(remove_stale_temp_files(dir.path()), 2);
  EXPECT_FALSE(fs::exists(dir.file("checkpoints/last.ckpt.tmp.12345")));
  EXPECT_FALSE(fs::exists(dir.file("config.json.tmp.99")));
  EXPECT_TRUE(fs::exists(mine));
  EXPECT_TRUE(fs::exists(dir.file("checkpoints/last.ckpt")));
  EXPECT_TRUE(fs::exists(dir.file("notes.tmp.txt")));
  EXPECT_TRUE(fs::exists(dir.file("x.tmp.")));
}

TEST(AbsoluteIfExists, PathsBecomeAbsoluteNamesStay) {
  testing::TempDir dir;
  touch(dir.file("data.txt"));
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  EXPECT_EQ(absolute_if_exists("data.txt"), (fs::path(dir.path()) / "data.txt").lexically_normal().string());
  EXPECT_EQ(absolute_if_exists("./data.txt"), (fs::path(dir.path()) / "data.txt").lexically_normal().string());
  EXPECT_EQ(absolute_if_exists("fashion-mnist"), "fashion-mnist");
  EXPECT_EQ(absolute_if_exists(""), "");
  fs::current_path(cwd);
}

}  // namespace
}  // namespace nasctl
