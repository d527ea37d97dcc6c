#include "cli/app.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#include "nasctl/core/error.h"
#include "nasctl/core/limits.h"
#include "nasctl/nn/runtime.h"

namespace nasctl::cli {
namespace {

using Register = void (*)(CLI::App&, const GlobalOptions&);

// The commands, in the order `nasctl --help` lists them.
const Register kCommands[] = {
    add_space_command,
    add_models_command,
    add_latency_command,
    add_search_command,
    add_train_command,
    add_eval_command,
    add_export_command,
    add_report_command,
};

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("nasctl");
  logger->set_pattern("[%H:%M:%S] [%^%l%$] %v");
  spdlog::set_default_logger(logger);
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    throw Error("--log-level must be one of trace, debug, info, warn, error, off, but got \"" + level + "\"");
  }
  spdlog::set_level(parsed);
}

// A seed is a plain decimal integer in uint64's range: CLI11 alone would wrap "-1" and round
// "1e23" to 2^64-1.
std::string check_seed(const std::string& text) {
  const std::string bad = "must be an integer in [0, 18446744073709551615], but got " + text;
  if (text.empty() || text.size() > 20 || text.find_first_not_of("0123456789") != std::string::npos) return bad;
  if (text.size() == 20 && text > "18446744073709551615") return bad;
  return "";
}

}  // namespace

std::unique_ptr<RunLock> lock_run_folder(const std::string& out) {
  const char* rank = std::getenv("RANK");
  if (out.empty() || (rank && *rank && std::string(rank) != "0")) return nullptr;
  auto lock = std::make_unique<RunLock>(out);
  int removed = remove_stale_temp_files(out);
  if (removed > 0) spdlog::info("{}: removed {} temporary file(s) left by an interrupted run", out, removed);
  return lock;
}

void apply_global_options(const GlobalOptions& global) {
  setup_logging(global.log_level);
  if (global.threads < 0 || global.threads > kMaxThreads) {
    throw Error("--threads must be in [0, " + std::to_string(kMaxThreads) + "] (0 = all cores), but got " +
                std::to_string(global.threads));
  }
  int threads = global.threads > 0 ? global.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  set_compute_threads(threads);
}

int run(int argc, char** argv) {
  report_file_size_limit_as_error();
  CLI::App app{"nasctl: hardware-aware neural architecture search for the Edge TPU"};
  app.name("nasctl");
  app.require_subcommand(1);
  app.fallthrough();  // global flags may follow the subcommand: `nasctl search --seed 3`
  app.set_version_flag("--version", "nasctl 0.1.0");
  GlobalOptions global;
  app.add_option("--log-level", global.log_level, "Log level on stderr: trace|debug|info|warn|error|off")
      ->capture_default_str();
  app.add_option("--threads", global.threads, "Compute threads (0 = all cores)")->capture_default_str();
  app.add_option("--seed", global.seed, "Seed for every random choice")
      ->capture_default_str()
      ->check(CLI::Validator(check_seed, "UINT64"));
  for (Register add : kCommands) add(app, global);
  app.parse_complete_callback([&] { apply_global_options(global); });
  try {
    app.parse(argc, argv);
    return static_cast<int>(ExitCode::kOk);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);  // prints help / the parse error
    return code == 0 ? 0 : static_cast<int>(ExitCode::kUsage);
  } catch (const Error& e) {
    std::cerr << "nasctl: error: " << e.what() << "\n";
    return static_cast<int>(e.exit_code());
  } catch (const std::exception& e) {
    // c10::Error carries a backtrace after the first line; one line is the contract.
    std::string message = e.what();
    message = message.substr(0, message.find('\n'));
    std::cerr << "nasctl: error: " << message << "\n";
    return static_cast<int>(ExitCode::kRuntime);
  }
}

}  // namespace nasctl::cli
