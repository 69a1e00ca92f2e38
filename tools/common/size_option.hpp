#pragma once
// The option through which a subcommand picks the size of a slimmable Neural Amp Modeler model (a
// SlimmableContainer's submodel, a slimmable WaveNet's channels): --size S, from 0 to 1 (default 1, the full
// model, as NAM's plugin loads it). Other models ignore it.
#include <cstddef>
#include <string>
#include <vector>

#include "rtn/model_file.hpp"

namespace rtn::cli {

// The help line for the option, to append to a command's help.
std::string size_option_help();

// Parses arguments[i] if it is --size S or --size=S (advancing i past S) into options.slimmable_size; false
// if it is not. UsageError when S is not a number from 0 to 1.
bool parse_size_option(const std::vector<std::string>& arguments, std::size_t& i, LoadOptions& options);

}  // namespace rtn::cli
