#pragma once
// What rtn-tune's command line asks for, and its usage text.
#include <string>
#include <vector>

#include "rtn/implementation.hpp"
#include "rtn/model_file.hpp"

namespace rtn::tune {

struct Options {
  std::vector<std::string> inputs;
  std::vector<Implementation> backends;
  std::vector<int> blocks;
  double budget = 60;
  std::string output;
  std::string results;
  bool torch = true;
  bool replace = false;
  unsigned seed = 1;
  LoadOptions load;  // --size: which size of a slimmable NAM model
  std::string command_line;
};

extern const char* const kTuneUsage;

// Reads the command line (without the program's name). Throws cli::UsageError for a bad one. Allocates.
Options parse_tune_options(const std::vector<std::string>& arguments);

}  // namespace rtn::tune
