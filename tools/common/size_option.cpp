#include "tools/common/size_option.hpp"

#include <cstdlib>

#include "tools/common/command.hpp"
#include "tools/common/profile_option.hpp"

namespace rtn::cli {

std::string size_option_help() {
  return "  --size S         the size of a slimmable Neural Amp Modeler model, 0 to 1: a "
         "SlimmableContainer's\n"
         "                   submodel, or a slimmable WaveNet's channels (default 1: the full model)\n";
}

bool parse_size_option(const std::vector<std::string>& arguments, std::size_t& i, LoadOptions& options) {
  std::string value;
  if (!take_value(arguments, i, "--size", value)) return false;
  char* end = nullptr;
  const double size = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(size >= 0.0 && size <= 1.0)) {
    throw UsageError("--size needs a number from 0 to 1, got '" + value + "'");
  }
  options.slimmable_size = size;
  return true;
}

}  // namespace rtn::cli
