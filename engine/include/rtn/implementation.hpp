#pragma once
// An implementation: how a kernel computes. A backend (the library its arithmetic is written with: stl,
// eigen, xsimd) plus a variant of the algorithm and, for the SIMD kernels of an x86-64 build with run-time
// ISA dispatch, the instruction-set level they were compiled for. Named "backend[.level][.variant]":
// "xsimd", "xsimd.fixed" (sizes known at compile time), "xsimd.avx2", "xsimd.avx512.fixed" (docs/isa-levels.md).
// The kernel registry lists which (layer kind, implementation) pairs this build has and this CPU runs; the
// tests, the tuner, the dispatcher and the tools enumerate implementations from it, never by name.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtn/backend.hpp"

namespace rtn {

struct MachineIdentity;

// The x86-64 instruction-set levels the SIMD kernels can be compiled for, all into one library, beside the
// build's own target (CMake's RTN_ISA_LEVELS). Ordered: a CPU that runs a level runs those below it.
enum class IsaLevel : std::uint8_t {
  target,  // the build's own target (-march=native, or what the compiler flags say): no level of its own
  sse4,    // x86-64-v2: SSE4.2, POPCNT
  avx2,    // x86-64-v3: AVX2, FMA, BMI1/2, LZCNT, MOVBE, F16C
  avx512,  // x86-64-v4: AVX-512 F, BW, CD, DQ, VL
};

// "sse4", "avx2", "avx512": the level's part of an implementation's name; "" for IsaLevel::target.
std::string_view isa_level_name(IsaLevel level) noexcept;
// "x86-64-v2", "x86-64-v3", "x86-64-v4" (the psABI's names, as -march takes them); "" for IsaLevel::target.
std::string_view isa_level_architecture(IsaLevel level) noexcept;
// The levels this build compiled its SIMD kernels for, lowest first; empty when it compiled them once, for
// its own target (RTN_ISA_LEVELS empty: the native builds, and every non-x86-64 one). Allocates on the first
// call only.
const std::vector<IsaLevel>& compiled_isa_levels();
// Whether `machine` runs code compiled for `level`: cpuinfo (or Linux) reports every feature of the level,
// which both check the operating system saves its registers. True for IsaLevel::target. Allocates.
bool machine_runs(const MachineIdentity& machine, IsaLevel level);
// The highest compiled level this CPU runs; IsaLevel::target when the build has no levels or the CPU runs
// none of them. The plain names "xsimd" and "xsimd.fixed" stand for that level's kernels. Allocates on the
// first call only.
IsaLevel best_isa_level();

// The environment variable RTN_MAX_ISA: the highest level the kernels may use, whatever the CPU has
// ("sse4", "avx2", "avx512", or the psABI's "x86-64-v2", "x86-64-v3", "x86-64-v4"), as libtorch's
// ATEN_CPU_CAPABILITY and oneDNN's ONEDNN_MAX_CPU_ISA do: to run a build with levels as it runs on an older
// CPU (testing and timing the AVX2 kernels on an AVX-512 machine), or to keep a level off. Applied by
// this_machine(), which then lists no feature above that level: the registry, the defaults, the tuner and the
// profile all see that CPU. Read once per process.
struct IsaLimit {
  std::string setting;            // RTN_MAX_ISA's value; empty when it is unset or empty
  std::optional<IsaLevel> level;  // the level it allows; nullopt when unset or not applied
  // Why a setting is not applied: "RTN_MAX_ISA=avx3 ignored: ..." (not a level's name; or a build whose
  // kernels are compiled for its own target only, where the variable cannot change them). Empty otherwise.
  std::string problem;
};
// `setting` as RTN_MAX_ISA, for a build that has ISA levels or not.
IsaLimit parse_isa_limit(const std::string& setting, bool build_has_levels);
// RTN_MAX_ISA as this process read it (parse_isa_limit of the environment). Allocates on the first call only.
const IsaLimit& isa_limit();
// Removes from machine.isa every feature above `level` (each AVX-512 extension too, below avx512), so that
// machine_runs() refuses the levels above it; records the level in machine.isa_limited_to.
void limit_isa(MachineIdentity& machine, IsaLevel level);

class Implementation {
 public:
  // The generic kernels of `backend` (implicit: a backend names its generic implementation). For xsimd in a
  // build with ISA levels, those of the best level this CPU runs (best_isa_level()).
  Implementation(Backend backend = Backend::stl) noexcept;  // NOLINT(google-explicit-constructor): as said

  // "xsimd", "xsimd.fixed", "xsimd.avx2", "xsimd.avx512.fixed".
  std::string_view name() const noexcept;
  // The backend it is written with: the family it belongs to.
  Backend backend() const noexcept;
  // The instruction-set level its code was compiled for; IsaLevel::target for the build's own.
  IsaLevel isa_level() const noexcept;
  // What the variant does differently, for people ("sizes known at compile time"); empty for generic.
  std::string_view description() const noexcept;
  // Parses a name; nullopt for one this build of rtn does not know. In a build with ISA levels, the plain
  // names of a SIMD backend ("xsimd", "xsimd.fixed") give the best level's implementation.
  static std::optional<Implementation> parse(std::string_view name) noexcept;
  // Every implementation rtn knows (whether compiled in or not), generic ones first in backend order.
  static const std::vector<Implementation>& all();

  friend bool operator==(Implementation a, Implementation b) noexcept { return a.index_ == b.index_; }
  friend bool operator!=(Implementation a, Implementation b) noexcept { return a.index_ != b.index_; }
  friend bool operator<(Implementation a, Implementation b) noexcept { return a.index_ < b.index_; }

 private:
  friend struct ImplementationTable;
  std::uint8_t index_;  // into the table in implementation.cpp
};

// The implementations with at least one kernel in this build's registry (so: that this CPU runs), in
// Implementation::all()'s order. Allocates on the first call only.
const std::vector<Implementation>& compiled_implementations();
bool implementation_compiled(Implementation implementation) noexcept;

}  // namespace rtn
