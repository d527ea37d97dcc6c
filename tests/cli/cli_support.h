#pragma once
// Runs the real nasctl binary and captures its exit code, stdout and stderr.

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "support.h"

namespace nasctl::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `nasctl <args>` through the shell (args are pasted as written: quote them yourself).
inline CommandResult run_nasctl(const std::string& args) {
  TempDir dir;
  std::string command = std::string("'") + NASCTL_BINARY + "' " + args + " >'" + dir.file("out") + "' 2>'" +
                        dir.file("err") + "' </dev/null";
  int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  };
  result.out = slurp(dir.file("out"));
  result.err = slurp(dir.file("err"));
  return result;
}

}  // namespace nasctl::testing
