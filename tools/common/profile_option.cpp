#include "tools/common/profile_option.hpp"

#include <cmath>
#include <cstdlib>
#include <iostream>

#include "tools/common/command.hpp"

namespace rtn::cli {

std::string profile_options_help() {
  return "  --profile PATH   choose backends with this tuning profile (default: $RTN_PROFILE, else the "
         "per-user\n"
         "                   profile rtn-tune writes, " +
         (default_profile_path().empty() ? std::string("$XDG_CONFIG_HOME/rtn/profile.json")
                                         : default_profile_path()) +
         ")\n"
         "  --no-profile     use the built-in defaults, not any profile\n"
         "  --block N        the frames per call the host uses (1: per sample); selects the profile's\n"
         "                   measurements (default 64)\n";
}

bool take_value(const std::vector<std::string>& arguments, std::size_t& i, const std::string& name,
                std::string& value) {
  const std::string& argument = arguments[i];
  if (argument == name) {
    if (i + 1 == arguments.size()) throw UsageError(name + " needs a value");
    value = arguments[++i];
    return true;
  }
  if (argument.rfind(name + "=", 0) == 0) {
    value = argument.substr(name.size() + 1);
    return true;
  }
  return false;
}

bool parse_profile_option(const std::vector<std::string>& arguments, std::size_t& i,
                          ProfileOptions& options) {
  std::string value;
  if (take_value(arguments, i, "--profile", value)) {
    if (value.empty()) throw UsageError("--profile needs a path");
    options.path = value;
    return true;
  }
  if (arguments[i] == "--no-profile") {
    options.disabled = true;
    return true;
  }
  if (take_value(arguments, i, "--block", value)) {
    char* end = nullptr;
    const long block = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || block < 1 || block > 65536) {
      throw UsageError("--block needs a whole number of frames in 1...65536, got '" + value + "'");
    }
    options.block = static_cast<int>(block);
    return true;
  }
  return false;
}

LoadedProfile load_profile_option(const ProfileOptions& options) {
  if (options.disabled) return {};
  return load_profile(options.path);
}

std::string describe_profile(const LoadedProfile& profile, const ProfileOptions& options) {
  if (options.disabled) return "none (--no-profile)";
  if (profile.profile) {
    return profile.path + " (from " + profile.origin + ", " +
           std::to_string(profile.profile->entries.size()) + " entries, created " + profile.profile->created +
           ")";
  }
  if (!profile.ignored.empty()) return profile.path + " ignored: " + profile.ignored;
  return profile.path.empty() ? "none" : "none (no " + profile.path + "; run rtn-tune to make one)";
}

void print_warnings(const std::vector<std::string>& warnings) {
  for (const std::string& warning : warnings) std::cerr << "rtn: warning: " << warning << '\n';
}

}  // namespace rtn::cli
