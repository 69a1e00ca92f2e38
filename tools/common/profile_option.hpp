#pragma once
// The options through which a subcommand takes the tuning profile and the block size that selects the
// profile's measurements: --profile PATH, --no-profile, --block N.
#include <string>
#include <vector>

#include "rtn/model.hpp"
#include "rtn/profile.hpp"

namespace rtn::cli {

struct ProfileOptions {
  std::string path;       // --profile PATH; empty: RTN_PROFILE, then the per-user default (load_profile())
  bool disabled = false;  // --no-profile
  int block = 64;         // --block N
};

// The help lines for these options, to append to a command's help.
std::string profile_options_help();

// If arguments[i] is "--NAME VALUE" or "--NAME=VALUE", stores VALUE, advances i past it and returns true.
// UsageError when the value is missing.
bool take_value(const std::vector<std::string>& arguments, std::size_t& i, const std::string& name,
                std::string& value);
// Parses arguments[i] if it is one of the profile options (advancing i past its value); false if it is not.
bool parse_profile_option(const std::vector<std::string>& arguments, std::size_t& i, ProfileOptions& options);

// The profile the options name (none with --no-profile). Never throws for a bad profile file.
LoadedProfile load_profile_option(const ProfileOptions& options);
// One line for people: "/home/me/.config/rtn/profile.json (in use, 105 entries, created
// 2025-11-25T08:00:00Z)", "none", "none (--no-profile)", "/p.json ignored: made on X, this CPU is Y".
std::string describe_profile(const LoadedProfile& profile, const ProfileOptions& options);
// Prints each warning to stderr as "rtn: warning: ...".
void print_warnings(const std::vector<std::string>& warnings);

}  // namespace rtn::cli
