// Profiles in memory: lookups, whether one applies to this machine and build, and where the per-user
// profile lives. Needs no JSON, so that an embedded build can still take a profile built in code.
#include "rtn/profile.hpp"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace rtn {

namespace {

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

// Items of `a` that are not in `b`, in a's order.
std::vector<std::string> missing_from(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> missing;
  for (const std::string& item : a) {
    if (std::find(b.begin(), b.end(), item) == b.end()) missing.push_back(item);
  }
  return missing;
}

std::string machine_mismatch(const MachineIdentity& made_on, const MachineIdentity& here) {
  if (made_on.vendor != here.vendor || made_on.model_name != here.model_name ||
      made_on.microarchitecture != here.microarchitecture) {
    return "made on " + made_on.describe() + ", this CPU is " + here.describe();
  }
  // Features that RTN_MAX_ISA took away count as missing: the profile measured other kernels.
  const auto limits = [&] {
    std::string text;
    if (!made_on.isa_limited_to.empty())
      text += "; it was made limited to " + made_on.isa_limited_to + " by RTN_MAX_ISA";
    if (!here.isa_limited_to.empty()) text += "; RTN_MAX_ISA limits this run to " + here.isa_limited_to;
    return text;
  };
  const std::vector<std::string> lacking = missing_from(made_on.isa, here.isa);
  if (!lacking.empty()) {
    return "made on a CPU with " + join(lacking) + ", this CPU " +
           (lacking.size() == 1 ? "lacks it" : "lacks them") + limits();
  }
  const std::vector<std::string> extra = missing_from(here.isa, made_on.isa);
  if (!extra.empty()) {
    return "made on a CPU without " + join(extra) + ", which this CPU has" + limits();
  }
  return "";
}

std::string build_mismatch(const BuildIdentity& made_by, const BuildIdentity& here) {
  std::vector<std::string> differences;
  const auto compare = [&](const char* what, const std::string& then, const std::string& now) {
    if (then != now) {
      differences.push_back(std::string(what) + " " + (then.empty() ? "(none)" : then) + ", this build has " +
                            (now.empty() ? "(none)" : now));
    }
  };
  compare("rtn", made_by.rtn_version, here.rtn_version);
  compare("compiler", made_by.compiler, here.compiler);
  compare("flags", made_by.flags, here.flags);
  compare("Eigen", made_by.eigen_version, here.eigen_version);
  compare("xsimd", made_by.xsimd_version, here.xsimd_version);
  compare("kernel sources", made_by.kernel_sources, here.kernel_sources);
  compare("ISA levels", join(made_by.isa_levels, " "), join(here.isa_levels, " "));
  compare("implementations", join(made_by.backends, " "), join(here.backends, " "));
  if (differences.empty()) return "";
  return "made by another build of rtn: " + join(differences, "; ");
}

}  // namespace

const BackendMeasurement* ProfileEntry::find(std::string_view implementation) const noexcept {
  for (const BackendMeasurement& measurement : backends) {
    if (measurement.implementation == implementation) return &measurement;
  }
  return nullptr;
}

const ProfileEntry* Profile::find(std::string_view layer, int block) const noexcept {
  for (const ProfileEntry& entry : entries) {
    if (entry.block == block && entry.layer == layer) return &entry;
  }
  return nullptr;
}

std::string profile_mismatch(const Profile& profile, const MachineIdentity& machine,
                             const BuildIdentity& build) {
  std::string why = machine_mismatch(profile.machine, machine);
  if (why.empty()) why = build_mismatch(profile.build, build);
  return why;
}

LoadedProfile accept_profile(Profile profile, const MachineIdentity& machine, const BuildIdentity& build) {
  LoadedProfile loaded;
  loaded.origin = "memory";
  loaded.ignored = profile_mismatch(profile, machine, build);
  if (loaded.ignored.empty()) {
    loaded.profile = std::make_shared<const Profile>(std::move(profile));
  } else {
    loaded.warnings.push_back("profile ignored: " + loaded.ignored +
                              " (every layer uses the built-in defaults)");
  }
  return loaded;
}

std::string default_profile_path() {
  const auto variable = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value ? value : "";
  };
#ifdef _WIN32
  if (const std::string appdata = variable("APPDATA"); !appdata.empty())
    return appdata + "\\rtn\\profile.json";
  return "";
#else
  if (const std::string config = variable("XDG_CONFIG_HOME"); !config.empty())
    return config + "/rtn/profile.json";
  if (const std::string home = variable("HOME"); !home.empty()) return home + "/.config/rtn/profile.json";
  return "";
#endif
}

}  // namespace rtn
