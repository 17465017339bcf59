// The xcodec program: one binary, one subcommand per file (see command.h).
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"
#include "cli/inference_commands.h"
#include "xcodec/core/allocator.h"
#include "xcodec/core/error.h"
#include "xcodec/core/logging.h"
#include "xcodec/core/openmp_wait.h"
#include "xcodec/core/version.h"

namespace xcodec::cli {
namespace {
std::vector<std::pair<int, CommandFactory>>& registry() {
  static std::vector<std::pair<int, CommandFactory>> commands;
  return commands;
}
}  // namespace

bool register_command(int order, CommandFactory factory) {
  registry().emplace_back(order, std::move(factory));
  return true;
}

namespace {
std::vector<std::string>& arguments() {
  static std::vector<std::string> args;
  return args;
}
}  // namespace

const std::vector<std::string>& program_arguments() { return arguments(); }
void set_program_arguments(int argc, char** argv) { arguments().assign(argv, argv + argc); }

void add_registered_commands(CLI::App& root) {
  auto& commands = registry();
  std::stable_sort(commands.begin(), commands.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& c : commands) c.second(root);
}

}  // namespace xcodec::cli

int main(int argc, char** argv) {
  // The `xcodec` launcher has set the policy already; run directly, the program re-executes.
  const bool inference = xcodec::cli::is_inference_command(argc, argv);
  if (inference) xcodec::reexec_with_passive_openmp_wait(argv);
  xcodec::cli::set_program_arguments(argc, argv);
  // Large temporaries of the convolutions otherwise page-fault on every call (docs/models.md).
  xcodec::tune_allocator_for_inference();
  CLI::App app{"xcodec: neural speech codecs (X-Codec-2.0, DwanCodec) in C++"};
  app.require_subcommand(1);
  app.set_version_flag(
      "--version", "xcodec " + xcodec::version() + " (LibTorch " + xcodec::torch_version() + ")");
  std::string log_level;
  app.add_option("--log-level", log_level,
                 "debug|info|warn|error|off (default: $XCODEC_LOG_LEVEL or info)")
      ->each([](const std::string& v) { xcodec::set_log_level(xcodec::parse_log_level(v)); });
  xcodec::cli::add_registered_commands(app);
  if (inference) {
    app.parse_complete_callback([] {
      const char* policy = std::getenv("OMP_WAIT_POLICY");
      XCODEC_LOG_DEBUG("[cli] OMP_WAIT_POLICY=" << (policy ? policy : "(unset)"));
    });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const xcodec::Interrupted& e) {
    std::cerr << "xcodec: " << e.what() << "\n";
    return 128 + SIGTERM;
  } catch (const xcodec::Error& e) {
    std::cerr << "xcodec: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "xcodec: internal error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
