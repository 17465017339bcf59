#pragma once
// Subcommands register themselves here, one file per subcommand (src/cli/<name>_command.cpp),
// so adding a command never touches main.cpp. A subcommand only parses arguments into a config
// struct, calls one library function and reports (STYLE.md §1).
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace xcodec::cli {

/// Adds one subcommand (with its callback) to the root app.
using CommandFactory = std::function<void(CLI::App& root)>;

/// Registers a factory; `order` sorts commands in --help (lower first).
bool register_command(int order, CommandFactory factory);

/// Calls every registered factory in order.
void add_registered_commands(CLI::App& root);

/// The program's command line as given to main() (argv[0] first), for commands that re-launch
/// the program (data-parallel training).
const std::vector<std::string>& program_arguments();
void set_program_arguments(int argc, char** argv);

}  // namespace xcodec::cli

#define XCODEC_CLI_CONCAT_INNER(a, b) a##b
#define XCODEC_CLI_CONCAT(a, b) XCODEC_CLI_CONCAT_INNER(a, b)
/// XCODEC_REGISTER_COMMAND(20, add_info_command);
#define XCODEC_REGISTER_COMMAND(order, factory)                               \
  static const bool XCODEC_CLI_CONCAT(xcodec_command_registered_, __LINE__) = \
      ::xcodec::cli::register_command(order, factory)
