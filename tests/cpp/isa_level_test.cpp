// Run-time ISA levels (docs/isa-levels.md): which levels a CPU runs, which this build compiled, and that the
// registry offers and the defaults choose the best of them. That each level's kernels compute the right
// function is the conformance tests' part (they run every registered kernel); that no instruction above a
// level is reachable from its kernels is scripts/check_isa_levels.py's (the rtn_isa_levels_check test).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "rtn/implementation.hpp"
#include "rtn/model.hpp"
#include "rtn/profile.hpp"
#include "rtn/registry.hpp"

#ifndef RTN_TEST_ISA_LEVELS
#define RTN_TEST_ISA_LEVELS ""
#endif

namespace rtn {
namespace {

MachineIdentity machine_with(std::vector<std::string> isa) {
  MachineIdentity machine;
  machine.isa = std::move(isa);
  return machine;
}

const std::vector<std::string> kV2 = {"sse2",   "sse3",       "ssse3",    "sse4.1",
                                      "sse4.2", "popcnt",     "cmpxchg16b", "lahf-sahf"};
const std::vector<std::string> kV3Extra = {"avx", "avx2", "fma3", "bmi", "bmi2", "lzcnt", "movbe", "f16c"};
const std::vector<std::string> kV4Extra = {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"};

std::vector<std::string> joined(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::string> without(std::vector<std::string> isa, const std::string& feature) {
  isa.erase(std::remove(isa.begin(), isa.end(), feature), isa.end());
  return isa;
}

TEST(IsaLevels, AMachineRunsALevelWhenItHasEveryFeatureOfItAndOfTheLevelsBelow) {
  const std::vector<std::string> v3 = joined(kV2, kV3Extra);
  const std::vector<std::string> v4 = joined(v3, kV4Extra);
  // A Zen 3 (AVX2, no AVX-512) and an AVX-512 server.
  EXPECT_TRUE(machine_runs(machine_with(v3), IsaLevel::avx2));
  EXPECT_FALSE(machine_runs(machine_with(v3), IsaLevel::avx512));
  EXPECT_EQ(machine_with(v3).isa_level(), "x86-64-v3");
  EXPECT_TRUE(machine_runs(machine_with(v4), IsaLevel::avx512));
  EXPECT_EQ(machine_with(v4).isa_level(), "x86-64-v4");
  // One feature missing is enough: -march=x86-64-v3 may emit BMI2 or MOVBE anywhere.
  EXPECT_FALSE(machine_runs(machine_with(without(v3, "bmi2")), IsaLevel::avx2));
  EXPECT_FALSE(machine_runs(machine_with(without(v4, "avx512vl")), IsaLevel::avx512));
  EXPECT_EQ(machine_with(without(v4, "avx512vl")).isa_level(), "x86-64-v3");
  // AVX-512 without the level below (never sold, but possible in a virtual machine's CPUID): not v4.
  EXPECT_FALSE(machine_runs(machine_with(joined(kV2, kV4Extra)), IsaLevel::avx512));
  EXPECT_FALSE(machine_runs(machine_with({"sse2"}), IsaLevel::sse4));
  EXPECT_EQ(machine_with({"sse2"}).isa_level(), "x86-64");
  EXPECT_TRUE(machine_runs(machine_with({}), IsaLevel::target));
}

TEST(IsaLevels, LevelNamesParseAndSayTheirLevel) {
  for (IsaLevel level : {IsaLevel::sse4, IsaLevel::avx2, IsaLevel::avx512}) {
    const std::string suffix = "." + std::string(isa_level_name(level));
    const std::pair<std::string, Backend> names[] = {{"stl" + suffix, Backend::stl},
                                                     {"eigen" + suffix, Backend::eigen},
                                                     {"xsimd" + suffix, Backend::xsimd},
                                                     {"xsimd" + suffix + ".fixed", Backend::xsimd},
                                                     {"xsimd" + suffix + ".lanes", Backend::xsimd}};
    for (const auto& [each, backend] : names) {
      const std::optional<Implementation> implementation = Implementation::parse(each);
      ASSERT_TRUE(implementation) << each;
      EXPECT_EQ(implementation->name(), each);
      EXPECT_EQ(implementation->isa_level(), level);
      EXPECT_EQ(implementation->backend(), backend);
      EXPECT_NE(implementation->description().find(isa_level_architecture(level)), std::string_view::npos);
    }
  }
  EXPECT_FALSE(Implementation::parse("xsimd.avx1024"));
}

TEST(IsaLevels, TheBuildHasTheLevelsItWasConfiguredWith) {
  std::string compiled;
  for (IsaLevel level : compiled_isa_levels()) compiled += (compiled.empty() ? "" : " ") + std::string(isa_level_name(level));
  EXPECT_EQ(compiled, RTN_TEST_ISA_LEVELS);
  std::vector<std::string> architectures;
  for (IsaLevel level : compiled_isa_levels()) architectures.emplace_back(isa_level_architecture(level));
  EXPECT_EQ(this_build().isa_levels, architectures);  // what a profile records
}

// The registry offers exactly the compiled levels this CPU runs, and the plain names stand for the best.
TEST(IsaLevels, TheRegistryOffersTheLevelsThisCpuRunsAndTheDefaultsTakeTheBest) {
  IsaLevel best = IsaLevel::target;
  for (IsaLevel level : compiled_isa_levels()) {
    const bool runs = machine_runs(this_machine(), level);
    for (const char* backend : {"stl", "xsimd"}) {  // eigen too where it is compiled in
      const Implementation generic = *Implementation::parse(backend + ("." + std::string(isa_level_name(level))));
      EXPECT_EQ(implementation_compiled(generic), runs) << generic.name();
    }
    if (runs) best = level;
  }
  EXPECT_EQ(best_isa_level(), best);
  for (Backend backend : {Backend::stl, Backend::eigen, Backend::xsimd}) {
    // The plain names, and the backends in the API, stand for the best level's kernels; the baseline's stl
    // and eigen kernels are registered only where no level runs.
    const Implementation plain = backend;
    EXPECT_EQ(plain.isa_level(), best) << plain.name();
    EXPECT_EQ(Implementation::parse(backend_name(backend)), plain);
  }
  EXPECT_EQ(Implementation::parse("xsimd.fixed")->isa_level(), best);
  if (compiled_isa_levels().empty() || !backend_compiled(Backend::xsimd)) return;

  // On this machine: when its level, as MachineIdentity::isa_level() names it, is at least the highest
  // compiled, that highest level is what the defaults use (on an AVX-512 CPU, the avx512 kernels).
  IsaLevel machine = IsaLevel::target;
  for (IsaLevel level : {IsaLevel::sse4, IsaLevel::avx2, IsaLevel::avx512}) {
    if (this_machine().isa_level() == isa_level_architecture(level)) machine = level;
  }
  const IsaLevel highest = compiled_isa_levels().back();
  if (machine >= highest) {
    EXPECT_EQ(best, highest) << "this CPU is " << this_machine().isa_level();
  }
  // An LSTM of a fixed size and a convolution of another size take the best level's kernels by default.
  EXPECT_EQ(default_implementation(LayerSpec::lstm(1, 40), 1).name(),
            "xsimd." + std::string(isa_level_name(best)) + ".fixed");
  EXPECT_EQ(default_implementation(LayerSpec::conv1d(36, 36, 3, 8), 64).name(),
            "xsimd." + std::string(isa_level_name(best)));
}

TEST(IsaLimit, ASettingNamesALevelOrIsIgnoredWithTheReason) {
  EXPECT_FALSE(parse_isa_limit("", true).level);
  EXPECT_EQ(parse_isa_limit("", true).problem, "");
  EXPECT_EQ(parse_isa_limit("avx2", true).level, IsaLevel::avx2);
  EXPECT_EQ(parse_isa_limit("x86-64-v3", true).level, IsaLevel::avx2);
  EXPECT_EQ(parse_isa_limit("sse4", true).level, IsaLevel::sse4);
  EXPECT_EQ(parse_isa_limit("x86-64-v4", true).level, IsaLevel::avx512);
  EXPECT_EQ(parse_isa_limit("avx2", true).problem, "");
  const IsaLimit unknown = parse_isa_limit("AVX2 ", true);  // exact names only
  EXPECT_FALSE(unknown.level);
  EXPECT_EQ(
      unknown.problem,
      "RTN_MAX_ISA=AVX2  ignored: not an ISA level (sse4, avx2, avx512, or x86-64-v2, x86-64-v3, x86-64-v4)");
  // A build without levels has one set of kernels, compiled for its target: nothing to limit.
  const IsaLimit native = parse_isa_limit("avx2", false);
  EXPECT_FALSE(native.level);
  EXPECT_NE(native.problem.find(
                "RTN_MAX_ISA=avx2 ignored: this build compiles its SIMD kernels for its own target"),
            std::string::npos)
      << native.problem;
}

TEST(IsaLimit, LimitingAMachineTakesAwayTheFeaturesAboveTheLevel) {
  const std::vector<std::string> v4 =
      joined(joined(kV2, kV3Extra), joined(kV4Extra, {"avx512vnni", "avx512bf16"}));
  MachineIdentity zen4 = machine_with(v4);
  zen4.model_name = "AMD EPYC 9R14";
  zen4.microarchitecture = "zen4";
  MachineIdentity limited = zen4;
  limit_isa(limited, IsaLevel::avx2);
  EXPECT_EQ(limited.isa, joined(kV2, kV3Extra));  // every AVX-512 extension goes, the order stays
  EXPECT_TRUE(machine_runs(limited, IsaLevel::avx2));
  EXPECT_FALSE(machine_runs(limited, IsaLevel::avx512));
  EXPECT_EQ(limited.isa_level(), "x86-64-v3");
  EXPECT_EQ(limited.isa_limited_to, "x86-64-v3");
  EXPECT_EQ(limited.describe(), "AMD EPYC 9R14 (zen4) limited to x86-64-v3 by RTN_MAX_ISA");

  MachineIdentity sse4 = zen4;
  limit_isa(sse4, IsaLevel::sse4);
  EXPECT_EQ(sse4.isa, kV2);
  EXPECT_EQ(sse4.isa_level(), "x86-64-v2");

  // A limit above what the CPU has changes no feature.
  MachineIdentity zen3 = machine_with(joined(kV2, kV3Extra));
  limit_isa(zen3, IsaLevel::avx512);
  EXPECT_EQ(zen3.isa, joined(kV2, kV3Extra));

  // A profile made under the limit is another machine's, and the reason says why.
  Profile profile;
  profile.machine = limited;
  profile.build = this_build();
  EXPECT_EQ(
      profile_mismatch(profile, zen4, this_build()),
      "made on a CPU without avx512f, avx512bw, avx512cd, avx512dq, avx512vl, avx512vnni, avx512bf16, which "
      "this CPU has; it was made limited to x86-64-v3 by RTN_MAX_ISA");
  const std::string json = profile_to_json(profile);  // the limit is recorded, and read back
  EXPECT_NE(json.find("\"isa_limited_to\": \"x86-64-v3\""), std::string::npos) << json;
  EXPECT_EQ(parse_profile_json(json).machine.isa_limited_to, "x86-64-v3");
  profile.machine = zen4;
  EXPECT_EQ(profile_to_json(profile).find("isa_limited_to"), std::string::npos);
  EXPECT_EQ(
      profile_mismatch(profile, limited, this_build()),
      "made on a CPU with avx512f, avx512bw, avx512cd, avx512dq, avx512vl, avx512vnni, avx512bf16, this CPU "
      "lacks them; RTN_MAX_ISA limits this run to x86-64-v3");
}

// This process as RTN_MAX_ISA says (CTest runs these tests once more with RTN_MAX_ISA=avx2 in a build with
// levels: rtn_unit_tests_isa_limited): the registry and the defaults stay at or below the level, and on a CPU
// that runs it, the level is what the defaults take.
TEST(IsaLimit, ThisProcessFollowsRtnMaxIsa) {
  const char* setting = std::getenv("RTN_MAX_ISA");
  const IsaLimit expected = parse_isa_limit(setting ? setting : "", !compiled_isa_levels().empty());
  EXPECT_EQ(isa_limit().level, expected.level);
  EXPECT_EQ(isa_limit().problem, expected.problem);
  if (!isa_limit().problem.empty()) {
    ModelDefinition definition;
    definition.layers.push_back(
        {LayerSpec::dense(1, 1), Weights{{"weight", {{1, 1}, {0.5f}}}, {"bias", {{1}, {0.0f}}}}});
    const std::vector<std::string> warnings = Model::build(definition).warnings();
    EXPECT_NE(std::find(warnings.begin(), warnings.end(), isa_limit().problem), warnings.end());
  }
  if (!isa_limit().level) {
    EXPECT_EQ(this_machine().isa_limited_to, "");
    return;
  }
  const IsaLevel limit = *isa_limit().level;
  EXPECT_EQ(this_machine().isa_limited_to, isa_level_architecture(limit));
  if (limit <
      IsaLevel::avx512) {  // the level above the limit, where there is one (RTN_MAX_ISA=avx512 has none)
    EXPECT_FALSE(machine_runs(this_machine(), static_cast<IsaLevel>(static_cast<int>(limit) + 1)));
  }
  EXPECT_LE(best_isa_level(), limit);
  for (const KernelEntry& entry : kernel_registry()) {
    EXPECT_LE(entry.implementation.isa_level(), limit) << entry.implementation.name();
  }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  const bool cpu_runs_limit = limit == IsaLevel::sse4 ? __builtin_cpu_supports("sse4.2")
                              : limit == IsaLevel::avx2
                                  ? __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                                  : __builtin_cpu_supports("avx512f");
  const bool compiled = std::find(compiled_isa_levels().begin(), compiled_isa_levels().end(), limit) !=
                        compiled_isa_levels().end();
  if (cpu_runs_limit && compiled) {
    EXPECT_EQ(best_isa_level(), limit);
    EXPECT_EQ(Implementation(Backend::xsimd).isa_level(), limit);
  }
#endif
}

}  // namespace
}  // namespace rtn
