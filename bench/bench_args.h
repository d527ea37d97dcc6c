// Command-line reading shared by the bench/ programs: "--key value" pairs and bare "--flag"s.
#pragma once

#include <string>

#include "nasctl/core/error.h"

namespace nasctl::bench {

/// Calls `on(key, value, i)` for each argument in order, where `value()` consumes and returns the
/// argument after the key (an error if there is none) and `i` is the key's index in `argv` (`on` may
/// consume further arguments by advancing it). `on` returns false for an unknown key, which is then
/// an error naming it.
template <typename OnArg>
void for_each_arg(int argc, char** argv, OnArg on) {
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw Error(key + " needs a value");
      return argv[++i];
    };
    if (!on(key, value, i)) throw Error("unknown argument " + key);
  }
}

}  // namespace nasctl::bench
