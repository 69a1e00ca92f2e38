#include "rtn/implementation.hpp"

#include <algorithm>
#include <cstdlib>

#include "rtn/profile.hpp"
#include "rtn/registry.hpp"

namespace rtn {

namespace {

// The CPU features each level needs beyond the level below it (x86-64 psABI), as MachineIdentity::isa names
// them.
struct LevelFeatures {
  IsaLevel level;
  std::vector<const char*> features;
};
const std::vector<LevelFeatures>& level_features() {
  static const std::vector<LevelFeatures> levels = {
      {IsaLevel::sse4, {"sse3", "ssse3", "sse4.1", "sse4.2", "popcnt", "cmpxchg16b", "lahf-sahf"}},
      {IsaLevel::avx2, {"avx", "avx2", "fma3", "bmi", "bmi2", "lzcnt", "movbe", "f16c"}},
      {IsaLevel::avx512, {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}},
  };
  return levels;
}

}  // namespace

std::string_view isa_level_name(IsaLevel level) noexcept {
  switch (level) {
    case IsaLevel::sse4: return "sse4";
    case IsaLevel::avx2: return "avx2";
    case IsaLevel::avx512: return "avx512";
    case IsaLevel::target: break;
  }
  return "";
}

std::string_view isa_level_architecture(IsaLevel level) noexcept {
  switch (level) {
    case IsaLevel::sse4: return "x86-64-v2";
    case IsaLevel::avx2: return "x86-64-v3";
    case IsaLevel::avx512: return "x86-64-v4";
    case IsaLevel::target: break;
  }
  return "";
}

const std::vector<IsaLevel>& compiled_isa_levels() {
  // RTN_HAVE_ISA_<LEVEL>: one per level built (cmake/isa_levels.cmake).
  static const std::vector<IsaLevel> levels = {
#ifdef RTN_HAVE_ISA_SSE4
      IsaLevel::sse4,
#endif
#ifdef RTN_HAVE_ISA_AVX2
      IsaLevel::avx2,
#endif
#ifdef RTN_HAVE_ISA_AVX512
      IsaLevel::avx512,
#endif
  };
  return levels;
}

bool machine_runs(const MachineIdentity& machine, IsaLevel level) {
  const auto has = [&](const char* feature) {
    return std::find(machine.isa.begin(), machine.isa.end(), feature) != machine.isa.end();
  };
  for (const LevelFeatures& each : level_features()) {  // each level includes the ones below it
    if (each.level > level) break;
    if (!std::all_of(each.features.begin(), each.features.end(), has)) return false;
  }
  return true;
}

IsaLimit parse_isa_limit(const std::string& setting, bool build_has_levels) {
  IsaLimit limit;
  limit.setting = setting;
  if (setting.empty()) return limit;
  for (IsaLevel level : {IsaLevel::sse4, IsaLevel::avx2, IsaLevel::avx512}) {
    if (setting == isa_level_name(level) || setting == isa_level_architecture(level)) limit.level = level;
  }
  if (!limit.level) {
    limit.problem = "RTN_MAX_ISA=" + setting +
                    " ignored: not an ISA level (sse4, avx2, avx512, or x86-64-v2, x86-64-v3, x86-64-v4)";
  } else if (!build_has_levels) {
    limit.level.reset();
    limit.problem = "RTN_MAX_ISA=" + setting +
                    " ignored: this build compiles its SIMD kernels for its own target only (CMake's "
                    "RTN_ISA_LEVELS, docs/isa-levels.md)";
  }
  return limit;
}

const IsaLimit& isa_limit() {
  static const IsaLimit limit = [] {
    const char* setting = std::getenv("RTN_MAX_ISA");
    return parse_isa_limit(setting ? setting : "", !compiled_isa_levels().empty());
  }();
  return limit;
}

void limit_isa(MachineIdentity& machine, IsaLevel level) {
  const auto above = [&](const std::string& feature) {
    // The AVX-512 extensions beyond the level's five (VNNI, BF16, ...) go with them.
    if (level < IsaLevel::avx512 && feature.rfind("avx512", 0) == 0) return true;
    for (const LevelFeatures& each : level_features()) {
      if (each.level <= level) continue;
      for (const char* name : each.features) {
        if (feature == name) return true;
      }
    }
    return false;
  };
  machine.isa.erase(std::remove_if(machine.isa.begin(), machine.isa.end(), above), machine.isa.end());
  machine.isa_limited_to = isa_level_architecture(level);
}

IsaLevel best_isa_level() {
  static const IsaLevel best = [] {
    IsaLevel level = IsaLevel::target;
    for (IsaLevel compiled : compiled_isa_levels()) {
      if (machine_runs(this_machine(), compiled)) level = compiled;
    }
    return level;
  }();
  return best;
}

// The table of implementations. Adding one: a row here (a variant after the generic rows), its kernels in
// the registry (registry.cpp, or layers/level_kernels.cpp for those compiled per ISA level), and nothing
// else: every tool and test enumerates this table.
struct ImplementationTable {
  struct Row {
    std::string_view name;
    Backend backend;
    IsaLevel level;
    std::string_view variant;  // the name's last part for a variant ("fixed"), empty for the generic kernels
    std::string_view description;
  };
  static constexpr std::string_view kLanes = "a chunk's frames in the SIMD lanes (channel-major)";
  // The generic rows come first, at the index of their Backend value; then the build's own variants; then
  // each level's rows: its stl, eigen and xsimd kernels, then xsimd's variants.
  static constexpr Row kRows[] = {
      {"stl", Backend::stl, IsaLevel::target, "", ""},
      {"eigen", Backend::eigen, IsaLevel::target, "", ""},
      {"xsimd", Backend::xsimd, IsaLevel::target, "", ""},
      {"xsimd.fixed", Backend::xsimd, IsaLevel::target, "fixed", "layer sizes known at compile time"},
      {"xsimd.lanes", Backend::xsimd, IsaLevel::target, "lanes", kLanes},
      {"stl.sse4", Backend::stl, IsaLevel::sse4, "", "compiled for x86-64-v2 (SSE4.2)"},
      {"eigen.sse4", Backend::eigen, IsaLevel::sse4, "", "compiled for x86-64-v2 (SSE4.2)"},
      {"xsimd.sse4", Backend::xsimd, IsaLevel::sse4, "", "compiled for x86-64-v2 (SSE4.2)"},
      {"xsimd.sse4.fixed", Backend::xsimd, IsaLevel::sse4, "fixed",
       "layer sizes known at compile time, compiled for x86-64-v2 (SSE4.2)"},
      {"xsimd.sse4.lanes", Backend::xsimd, IsaLevel::sse4, "lanes",
       "a chunk's frames in the SIMD lanes (channel-major), compiled for x86-64-v2 (SSE4.2)"},
      {"stl.avx2", Backend::stl, IsaLevel::avx2, "", "compiled for x86-64-v3 (AVX2 + FMA)"},
      {"eigen.avx2", Backend::eigen, IsaLevel::avx2, "", "compiled for x86-64-v3 (AVX2 + FMA)"},
      {"xsimd.avx2", Backend::xsimd, IsaLevel::avx2, "", "compiled for x86-64-v3 (AVX2 + FMA)"},
      {"xsimd.avx2.fixed", Backend::xsimd, IsaLevel::avx2, "fixed",
       "layer sizes known at compile time, compiled for x86-64-v3 (AVX2 + FMA)"},
      {"xsimd.avx2.lanes", Backend::xsimd, IsaLevel::avx2, "lanes",
       "a chunk's frames in the SIMD lanes (channel-major), compiled for x86-64-v3 (AVX2 + FMA)"},
      {"stl.avx512", Backend::stl, IsaLevel::avx512, "", "compiled for x86-64-v4 (AVX-512)"},
      {"eigen.avx512", Backend::eigen, IsaLevel::avx512, "", "compiled for x86-64-v4 (AVX-512)"},
      {"xsimd.avx512", Backend::xsimd, IsaLevel::avx512, "", "compiled for x86-64-v4 (AVX-512)"},
      {"xsimd.avx512.fixed", Backend::xsimd, IsaLevel::avx512, "fixed",
       "layer sizes known at compile time, compiled for x86-64-v4 (AVX-512)"},
      {"xsimd.avx512.lanes", Backend::xsimd, IsaLevel::avx512, "lanes",
       "a chunk's frames in the SIMD lanes (channel-major), compiled for x86-64-v4 (AVX-512)"},
  };
  static constexpr std::size_t kCount = sizeof(kRows) / sizeof(kRows[0]);

  static const Row& row(Implementation implementation) noexcept { return kRows[implementation.index_]; }
  static Implementation at(std::size_t index) noexcept {
    Implementation implementation;
    implementation.index_ = static_cast<std::uint8_t>(index);
    return implementation;
  }
  // The row of `backend` and `variant` compiled for `level`; kCount when there is none.
  static std::size_t find(Backend backend, std::string_view variant, IsaLevel level) noexcept {
    for (std::size_t i = 0; i < kCount; ++i) {
      if (kRows[i].backend == backend && kRows[i].variant == variant && kRows[i].level == level) return i;
    }
    return kCount;
  }
  // What a row of the build's own target stands for: in a build with levels, where the kernels exist per
  // level (the baseline's stl and eigen ones are registered only on a CPU that runs no level), the same
  // kernels at the best level this CPU runs.
  static std::size_t resolve(std::size_t index) noexcept {
    const Row& plain = kRows[index];
    if (plain.level != IsaLevel::target) return index;
    const IsaLevel best = best_isa_level();
    if (best == IsaLevel::target) return index;
    const std::size_t leveled = find(plain.backend, plain.variant, best);
    return leveled < kCount ? leveled : index;
  }
};

Implementation::Implementation(Backend backend) noexcept
    : index_(static_cast<std::uint8_t>(ImplementationTable::resolve(static_cast<std::size_t>(backend)))) {}

std::string_view Implementation::name() const noexcept { return ImplementationTable::row(*this).name; }
Backend Implementation::backend() const noexcept { return ImplementationTable::row(*this).backend; }
IsaLevel Implementation::isa_level() const noexcept { return ImplementationTable::row(*this).level; }
std::string_view Implementation::description() const noexcept {
  return ImplementationTable::row(*this).description;
}

std::optional<Implementation> Implementation::parse(std::string_view name) noexcept {
  for (std::size_t i = 0; i < ImplementationTable::kCount; ++i) {
    if (ImplementationTable::kRows[i].name == name) return ImplementationTable::at(ImplementationTable::resolve(i));
  }
  return std::nullopt;
}

const std::vector<Implementation>& Implementation::all() {
  static const std::vector<Implementation> implementations = [] {
    std::vector<Implementation> list;
    for (std::size_t i = 0; i < ImplementationTable::kCount; ++i) list.push_back(ImplementationTable::at(i));
    return list;
  }();
  return implementations;
}

const std::vector<Implementation>& compiled_implementations() {
  static const std::vector<Implementation> implementations = [] {
    std::vector<Implementation> list;
    for (Implementation implementation : Implementation::all()) {
      const auto& entries = kernel_registry();
      if (std::any_of(entries.begin(), entries.end(),
                      [&](const KernelEntry& entry) { return entry.implementation == implementation; })) {
        list.push_back(implementation);
      }
    }
    return list;
  }();
  return implementations;
}

bool implementation_compiled(Implementation implementation) noexcept {
  for (Implementation compiled : compiled_implementations()) {
    if (compiled == implementation) return true;
  }
  return false;
}

}  // namespace rtn
