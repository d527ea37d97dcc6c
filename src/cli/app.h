#pragma once
// The command-line front end: one CLI::App, one file per subcommand, one exception boundary.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace nasctl::cli {

/// Flags every command sees.
struct GlobalOptions {
  std::string log_level = "info";  ///< trace|debug|info|warn|error|off; default info
  int threads = 0;                 ///< intra-op threads; default 0 = all cores
  uint64_t seed = 0;               ///< seed for every random choice; default 0
};

/// Parses argv, runs the chosen command and returns the process exit code.
int run(int argc, char** argv);

// One registration function per subcommand (src/cli/<name>.cpp).
void add_space_command(CLI::App& app, const GlobalOptions& global);
void add_models_command(CLI::App& app, const GlobalOptions& global);
void add_export_command(CLI::App& app, const GlobalOptions& global);
void add_latency_command(CLI::App& app, const GlobalOptions& global);
void add_search_command(CLI::App& app, const GlobalOptions& global);
void add_train_command(CLI::App& app, const GlobalOptions& global);
void add_eval_command(CLI::App& app, const GlobalOptions& global);
void add_report_command(CLI::App& app, const GlobalOptions& global);

/// Sets up spdlog (stderr) and LibTorch threads from the global flags; called before any command.
void apply_global_options(const GlobalOptions& global);

}  // namespace nasctl::cli
