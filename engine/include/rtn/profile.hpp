#pragma once
// The tuning profile: which implementation `rtn-tune` measured fastest for each layer shape and block size
// on one machine and one build of rtn, with every implementation's time and error. The format is documented in
// docs/profile.md (schema: docs/rtn-profile.schema.json).
//
// Like FFTW's wisdom, a profile is used all-or-nothing: one made on another CPU or by another build is
// ignored as a whole, with a warning that says why. Loading never throws because of the file's content:
// a missing, corrupt or foreign profile leaves every layer on the built-in defaults.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtn/backend.hpp"

namespace rtn {

// What the CPU is, as far as the speed of the kernels goes. Two machines with the same vendor, model name,
// micro-architecture and ISA features share profiles; cache sizes and core counts are recorded but not
// compared (virtual machines of one CPU type report different ones).
struct MachineIdentity {
  std::string vendor;             // "AMD", "Intel", "ARM", "Apple", ... or "unknown"
  std::string model_name;         // "AMD EPYC 9R45"
  std::string microarchitecture;  // "zen4", "sky-lake", "cortex-a76"; "x86 family 25 model 17" when unnamed
  std::vector<std::string> isa;   // the SIMD features the kernels may use, e.g. "avx2", "fma3", "avx512f"
  std::uint64_t l1d_cache_bytes = 0;
  std::uint64_t l2_cache_bytes = 0;
  std::uint64_t l3_cache_bytes = 0;
  int logical_processors = 0;
  std::string source;  // where this came from: "cpuinfo", "/proc/cpuinfo" or "none"
  // The level RTN_MAX_ISA limited `isa` to ("x86-64-v3"; isa_limit(), implementation.hpp); empty when the
  // features are the CPU's own.
  std::string isa_limited_to;

  // "AMD EPYC 9R45 (zen5)"; "AMD EPYC 9R45 (zen5) limited to x86-64-v3 by RTN_MAX_ISA". Allocates.
  std::string describe() const;
  // The instruction-set level the SIMD kernels can use: "x86-64-v4" (AVX-512 F/BW/CD/DQ/VL),
  // "x86-64-v3" (AVX2 + FMA + BMI2 ...), "x86-64-v2" (SSE4.2 + POPCNT ...), "x86-64", or "neon" / "unknown"
  // elsewhere: the highest level whose every feature the CPU has (machine_runs(), implementation.hpp).
  // Allocates.
  std::string isa_level() const;
};

// What was compiled: a profile measured with other kernels, another compiler or other flags says nothing
// about this build.
struct BuildIdentity {
  std::string rtn_version;            // "0.1.0"
  std::string compiler;               // "GCC 12.2.0"
  std::string flags;                  // "-O3 -DNDEBUG -march=native"
  std::string eigen_version;          // "3.4.0"; empty when the Eigen backend is not compiled in
  std::string xsimd_version;          // "8.1.0"; empty when the xsimd backend is not compiled in
  std::vector<std::string> backends;  // the implementations compiled in: "stl", "eigen", "xsimd", "xsimd.fixed"
  // A hash of the kernels' source code: a library rebuilt with changed kernels ignores profiles that
  // measured the old ones, even with the same version, compiler and flags.
  std::string kernel_sources;
  // The instruction-set levels its SIMD kernels were compiled for ("x86-64-v3", "x86-64-v4"), besides the
  // build's own target (in `flags`); empty when they were compiled for that target only.
  std::vector<std::string> isa_levels;

  // "rtn 0.1.0, GCC 12.2.0 -O3 -DNDEBUG -march=native, kernels 1a2b3c4d, implementations stl eigen xsimd".
  // Allocates.
  std::string describe() const;
};

// This machine. The first call asks the CPU (through cpuinfo where compiled in, else /proc/cpuinfo) and
// allocates; later calls return the cached value.
const MachineIdentity& this_machine();
// This build of the library. Allocates on the first call only.
const BuildIdentity& this_build();

// One implementation measured on one layer shape and block size.
struct BackendMeasurement {
  // The implementation's name ("xsimd.fixed"). A name this build does not know is kept, never chosen.
  std::string implementation;
  double ns_per_sample = 0;         // the low quantile of the repetitions: what the choice is made on
  double median_ns_per_sample = 0;  // for reporting
  double spread = 0;                // (p75 - p25) / median of the repetitions
  double max_abs_error = 0;         // largest |output - libtorch's output|
  double max_rel_error = 0;         // max_abs_error / max(1, peak |libtorch's output|)
  bool within_tolerance = true;     // an implementation outside the tolerance is never chosen
};

// The measurements of one layer shape at one block size, and the implementation chosen from them.
struct ProfileEntry {
  std::string layer;  // LayerSpec::to_string(): "lstm(in=1,hidden=40,layers=1,bias=1)"
  int block = 1;      // frames per process() call: 1 is per-sample processing
  std::string chosen;  // an implementation's name
  std::vector<BackendMeasurement> backends;
  std::optional<double> libtorch_ns_per_sample;  // libtorch on the same shape and block, when measured

  // The measurement of the implementation named `implementation`, or nullptr. Never allocates.
  const BackendMeasurement* find(std::string_view implementation) const noexcept;
};

struct Profile {
  static constexpr int kFormatVersion = 1;

  MachineIdentity machine;
  BuildIdentity build;
  std::string created;                       // ISO 8601 UTC, "2025-11-25T08:00:00Z"
  std::map<std::string, std::string> tuner;  // how it was measured (libtorch, BLAS, budget); never compared
  std::vector<ProfileEntry> entries;

  // The entry for exactly this layer and block, or nullptr. Never allocates.
  const ProfileEntry* find(std::string_view layer, int block) const noexcept;
};

// Empty when a profile made on `profile.machine` by `profile.build` applies to `machine` and `build`;
// otherwise exactly why not: "made on AMD EPYC 9R45 (zen5), this CPU is AMD EPYC 7R13 (zen3)",
// "made on a CPU with avx512f, avx512bw, this CPU lacks them", "made by another build of rtn: rtn version
// 0.1.0, this is 0.2.0". Allocates.
std::string profile_mismatch(const Profile& profile, const MachineIdentity& machine,
                             const BuildIdentity& build);

// A profile as the engine found it: in use, or ignored and why. This is what Model::build takes
// (BackendSelection::profile); an empty one means "no profile".
struct LoadedProfile {
  std::string path;    // the file looked at; empty when none was (or the profile came from memory)
  std::string origin;  // how it was found: "argument", "RTN_PROFILE", "default path" or "memory"
  std::shared_ptr<const Profile> profile;  // set when the profile is in use
  std::string ignored;                     // why a profile that was found is not used; empty otherwise
  std::vector<std::string> warnings;       // for the user, e.g. printed to stderr by the rtn tool
};

// Uses `profile` if it was made on `machine` by `build`; otherwise ignores it as a whole, with the reason in
// `ignored` and a warning. Allocates.
LoadedProfile accept_profile(Profile profile, const MachineIdentity& machine = this_machine(),
                             const BuildIdentity& build = this_build());

// The per-user profile that rtn-tune writes by default: $XDG_CONFIG_HOME/rtn/profile.json, else
// $HOME/.config/rtn/profile.json (on Windows %APPDATA%\rtn\profile.json); empty when none of these
// variables is set. Allocates.
std::string default_profile_path();

#ifdef RTN_HAVE_JSON
// The profile as JSON (docs/profile.md): small and diffable, numbers rounded to what the measurements
// resolve. Allocates.
std::string profile_to_json(const Profile& profile);
// The profile's machine and build sections on their own, as one-line JSON objects, for other files that
// record where and by what they were measured (rtn-tune's results). Allocates.
std::string machine_to_json(const MachineIdentity& machine);
std::string build_to_json(const BuildIdentity& build);
// Reads and fully validates a profile document. Allocates. Throws rtn::Error naming `source_name` and the
// exact place of the problem ("p.json: entries[3].chosen: 'xsimd' was not measured in this entry").
Profile parse_profile_json(std::string_view text, const std::string& source_name = "<memory>");
// Writes `profile` to `path`, creating missing directories; the file is replaced at once (written aside,
// then renamed) so a reader never sees half a profile. Allocates. Throws rtn::Error when it cannot write.
void save_profile(const Profile& profile, const std::string& path);

// Finds and loads the profile: `explicit_path` if not empty, else the file named by the environment variable
// RTN_PROFILE if set and not empty, else default_profile_path() if that file exists. Never throws for a
// missing, unreadable, corrupt or foreign file: the result then holds no profile, says why in `ignored` and
// carries a warning (except for a missing default file, which just means rtn-tune has not been run).
// Allocates; reads a file: call it at load time, never from the audio thread.
LoadedProfile load_profile(const std::string& explicit_path = "");
#endif

}  // namespace rtn
