// rtn-tune's options (tune_options.hpp).
#include "tools/tune/tune_options.hpp"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "tools/common/command.hpp"
#include "tools/common/size_option.hpp"

namespace rtn::tune {
namespace {

using cli::UsageError;

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

double parse_number(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value < 0) {
    throw UsageError(option + " needs a number >= 0, got '" + text + "'");
  }
  return value;
}

}  // namespace

const char* const kTuneUsage =
    "usage: rtn-tune [SUITE.json | MODEL ...] [options]\n"
    "\n"
    "Measures every layer shape of a suite file (a list of shapes, see docs/tuning.md) or of model files on\n"
    "every backend, per sample and in blocks. Each backend's output is first checked against libtorch\n"
    "(a backend outside the tolerance is never chosen); then it is timed, and libtorch with it. Writes the\n"
    "tuning profile that rtn's dispatcher reads (docs/profile.md) and prints a summary table.\n"
    "Without SUITE or MODEL it tunes the bundled suite, suites/default.json (installed: PREFIX/share/rtn/suites,\n"
    "found relative to rtn-tune; a build directory's rtn-tune reads the source tree's).\n"
    "\n"
    "Options:\n"
    "  --backends LIST     backends to consider (default: all compiled in)\n"
    "  --blocks LIST       block sizes to measure; 1 is per-sample processing (default: the suite's, else "
    "1,64,256)\n"
    "  --budget SECONDS    time to spend, about (default 60)\n"
    "  --output PATH       the profile to write (default: the per-user profile, "
    "$XDG_CONFIG_HOME/rtn/profile.json\n"
    "                      or ~/.config/rtn/profile.json, which the engine reads when nothing else is "
    "given)\n"
    "  --results PATH      also write every repetition of every measurement there (JSON)\n"
    "  --no-torch          neither check against nor time libtorch (backends are checked against stl)\n"
    "  --replace           start the profile afresh (default: keep the entries of an existing profile from "
    "this\n"
    "                      machine and build that this run does not measure)\n"
    "  --seed N            seed of the random weights and signals (default 1)\n"
    "  --size S            the size of a slimmable Neural Amp Modeler model, 0 to 1: a SlimmableContainer's\n"
    "                      submodel, or a slimmable WaveNet's channels (default 1: the full model)\n"
    "  -h, --help          show this help\n";

Options parse_tune_options(const std::vector<std::string>& arguments) {
  Options options;
  for (const std::string& argument : arguments)
    options.command_line += (options.command_line.empty() ? "" : " ") + argument;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (cli::parse_size_option(arguments, i, options.load)) continue;
    std::string argument = arguments[i];
    std::string value;
    const bool takes_value = argument == "--backends" || argument == "--blocks" || argument == "--budget" ||
                             argument == "--output" || argument == "--results" || argument == "--seed";
    if (const std::size_t equals = argument.find('=');
        argument.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = argument.substr(equals + 1);
      argument = argument.substr(0, equals);
    } else if (takes_value) {
      if (i + 1 == arguments.size()) throw UsageError(argument + " needs a value");
      value = arguments[++i];
    }
    if (argument == "--backends") {
      for (const std::string& name : split(value))
        options.backends.push_back(cli::parse_backend_option(name));
    } else if (argument == "--blocks") {
      for (const std::string& text : split(value)) {
        const double block = parse_number("--blocks", text);
        if (block < 1 || block > 65536 || block != std::floor(block)) {
          throw UsageError("--blocks: block sizes are integers in 1...65536, got '" + text + "'");
        }
        options.blocks.push_back(static_cast<int>(block));
      }
    } else if (argument == "--budget") {
      options.budget = parse_number("--budget", value);
    } else if (argument == "--output") {
      options.output = value;
    } else if (argument == "--results") {
      options.results = value;
    } else if (argument == "--seed") {
      options.seed = static_cast<unsigned>(parse_number("--seed", value));
    } else if (argument == "--no-torch") {
      options.torch = false;
    } else if (argument == "--replace") {
      options.replace = true;
    } else if (argument.size() > 1 && argument[0] == '-') {
      throw UsageError("unknown option '" + argument + "'");
    } else {
      options.inputs.push_back(argument);
    }
  }
  if (options.backends.empty()) options.backends = compiled_implementations();
#ifndef RTN_TUNE_WITH_TORCH
  options.torch = false;
#endif
  return options;
}

}  // namespace rtn::tune
