#include "tools/tune/bundled_suite.hpp"

#include <system_error>

namespace rtn::tune {

std::filesystem::path current_executable() {
  std::error_code error;
  std::filesystem::path path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : path;
}

std::vector<std::filesystem::path> bundled_suite_candidates(const std::filesystem::path& executable,
                                                            const std::string& installed_relative,
                                                            const std::string& source_tree_suite) {
  std::vector<std::filesystem::path> candidates;
  if (!executable.empty() && !installed_relative.empty()) {
    candidates.push_back((executable.parent_path() / installed_relative).lexically_normal());
  }
  if (!source_tree_suite.empty()) candidates.emplace_back(source_tree_suite);
  return candidates;
}

std::filesystem::path find_bundled_suite(const std::vector<std::filesystem::path>& candidates) {
  for (const std::filesystem::path& candidate : candidates) {
    std::error_code error;
    if (std::filesystem::is_regular_file(candidate, error)) return candidate;
  }
  return {};
}

}  // namespace rtn::tune
