// rtn: the command-line tool.
//
//   rtn info MODEL [--backend stl|eigen|xsimd]   layers, cost and the backend of each layer
//   rtn bench MODEL [--profile P] [--block N]    real-time factor and latency: tuned, each backend, libtorch
//   rtn process MODEL IN.wav OUT.wav [...]       render an audio file through the model (libsndfile)
//
// Each subcommand is a Command defined in <name>_command.cpp and listed in commands() below.
// Exit codes: 0 success, 1 error (bad model, missing file...), 2 bad usage.
#include <algorithm>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "rtn/error.hpp"
#include "tools/common/command.hpp"

#ifndef RTN_VERSION
#define RTN_VERSION "unknown"
#endif

namespace rtn::cli {
namespace {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {kInfoCommand, kBenchCommand, kProcessCommand};
  return table;
}

std::string main_usage() {
  std::ostringstream text;
  text << "usage: rtn <command> [arguments]\n"
       << "       rtn --help | --version\n\n"
       << "Commands:\n";
  std::size_t width = 0;
  for (const Command& command : commands()) width = std::max(width, std::string(command.name).size());
  for (const Command& command : commands()) {
    text << "  " << command.name << std::string(width - std::string(command.name).size() + 3, ' ')
         << command.summary << '\n';
  }
  text << "\nRun 'rtn <command> --help' for the arguments of a command.\n";
  return text.str();
}

std::string command_usage(const Command& command) {
  return std::string("usage: rtn ") + command.name + " " + command.arguments + "\n";
}

bool is_help(std::string_view argument) { return argument == "-h" || argument == "--help"; }

int run(const std::vector<std::string>& arguments) {
  if (arguments.empty()) {
    std::cerr << main_usage();
    return kExitUsage;
  }
  const std::string& name = arguments[0];
  if (is_help(name)) {
    std::cout << main_usage();
    return kExitSuccess;
  }
  if (name == "--version") {
    std::cout << "rtn " << RTN_VERSION << " (implementations: " << compiled_backend_names() << ")\n";
    return kExitSuccess;
  }
  const Command* command = nullptr;
  for (const Command& candidate : commands()) {
    if (name == candidate.name) command = &candidate;
  }
  if (!command) {
    std::cerr << "rtn: error: unknown command '" << name << "'\n\n" << main_usage();
    return kExitUsage;
  }

  const std::vector<std::string> rest(arguments.begin() + 1, arguments.end());
  for (const std::string& argument : rest) {
    if (argument == "--") break;
    if (is_help(argument)) {
      std::cout << command_usage(*command) << '\n' << command->help();
      return kExitSuccess;
    }
  }
  try {
    return command->run(rest);
  } catch (const UsageError& error) {
    std::cerr << "rtn: error: " << error.what() << "\n\n"
              << command_usage(*command) << "Run 'rtn " << command->name << " --help' for more.\n";
    return kExitUsage;
  }
}

}  // namespace
}  // namespace rtn::cli

int main(int argc, char** argv) {
  try {
    return rtn::cli::run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const rtn::Error& error) {
    std::cerr << "rtn: error: " << error.what() << '\n';
  } catch (const std::bad_alloc&) {
    std::cerr << "rtn: error: out of memory\n";
  } catch (const std::exception& error) {
    std::cerr << "rtn: error: " << error.what() << '\n';
  }
  return rtn::cli::kExitError;
}
