#pragma once
// Where rtn-tune finds the bundled suite when it is given no suite or model: beside the program when it is
// installed (PREFIX/bin/rtn-tune reads PREFIX/share/rtn/suites/default.json), else in the source tree it was
// built from (a build directory's rtn-tune).
#include <filesystem>
#include <string>
#include <vector>

namespace rtn::tune {

// The running program's path (Linux: /proc/self/exe); empty where it cannot be known. Allocates.
std::filesystem::path current_executable();

// The places the bundled suite may be, in the order they are tried: `installed_relative` (a path relative to
// the directory of `executable`; skipped when either is empty), then `source_tree_suite` (skipped when empty).
std::vector<std::filesystem::path> bundled_suite_candidates(const std::filesystem::path& executable,
                                                            const std::string& installed_relative,
                                                            const std::string& source_tree_suite);

// The first candidate that is a regular file; empty when none is. Allocates.
std::filesystem::path find_bundled_suite(const std::vector<std::filesystem::path>& candidates);

}  // namespace rtn::tune
