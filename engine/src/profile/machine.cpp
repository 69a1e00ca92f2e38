// The identity of this machine and this build, which a profile must match to be used.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "rtn/implementation.hpp"
#include "rtn/profile.hpp"

#ifdef RTN_HAVE_CPUINFO
#include <cpuinfo.h>
#endif
#ifdef RTN_HAVE_EIGEN
#include <Eigen/Core>
#endif
#ifdef RTN_HAVE_XSIMD
#include <xsimd/config/xsimd_config.hpp>
#endif

#ifndef RTN_VERSION
#define RTN_VERSION "unknown"
#endif
#ifndef RTN_BUILD_FLAGS
#define RTN_BUILD_FLAGS ""
#endif

namespace rtn {

namespace {

std::string trim(std::string text) {
  const auto blank = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && blank(text.back())) text.pop_back();
  std::size_t start = 0;
  while (start < text.size() && blank(text[start])) ++start;
  return text.substr(start);
}

// Micro-architectures that cpuinfo (as packaged in 2022) does not name yet, from the CPUID family and model;
// enough to tell the AMD Zen generations apart, which matter most for SIMD speed. Empty when unknown.
std::string x86_microarchitecture(unsigned family, unsigned model, const std::string& vendor) {
  if (vendor == "AMD") {
    if (family == 0x19) {
      if ((model >= 0x10 && model <= 0x1f) || (model >= 0x60 && model <= 0x7f) ||
          (model >= 0xa0 && model <= 0xaf)) {
        return "zen4";
      }
      return "zen3";
    }
    if (family == 0x1a) return "zen5";
    if (family == 0x17) return model >= 0x30 ? "zen2" : "zen";
  }
  if (vendor == "Intel" && family == 6) {
    // The server cores of the cloud machines audio CI runs on.
    switch (model) {
      case 0x55: return "sky-lake-server";  // also Cascade Lake and Cooper Lake
      case 0x6a:
      case 0x6c: return "ice-lake-server";
      case 0x8f: return "sapphire-rapids";
      case 0xcf: return "emerald-rapids";
      case 0xad:
      case 0xae: return "granite-rapids";
      default: break;
    }
  }
  return "";
}

std::string family_model_name(unsigned family, unsigned model) {
  return "x86 family " + std::to_string(family) + " model " + std::to_string(model);
}

// The vendor as CPUID spells it ("AuthenticAMD") in the words people use.
std::string vendor_from_cpuid_name(const std::string& name) {
  if (name == "AuthenticAMD") return "AMD";
  if (name == "GenuineIntel") return "Intel";
  if (name == "HygonGenuine") return "Hygon";
  return name.empty() ? "unknown" : name;
}

#ifdef RTN_HAVE_CPUINFO

std::string vendor_name(cpuinfo_vendor vendor) {
  switch (vendor) {
    case cpuinfo_vendor_intel:
      return "Intel";
    case cpuinfo_vendor_amd:
      return "AMD";
    case cpuinfo_vendor_arm:
      return "ARM";
    case cpuinfo_vendor_qualcomm:
      return "Qualcomm";
    case cpuinfo_vendor_apple:
      return "Apple";
    case cpuinfo_vendor_samsung:
      return "Samsung";
    case cpuinfo_vendor_nvidia:
      return "Nvidia";
    case cpuinfo_vendor_cavium:
      return "Cavium";
    case cpuinfo_vendor_broadcom:
      return "Broadcom";
    case cpuinfo_vendor_huawei:
      return "Huawei";
    case cpuinfo_vendor_hygon:
      return "Hygon";
    case cpuinfo_vendor_marvell:
      return "Marvell";
    default:
      return "unknown";
  }
}

std::string uarch_name(cpuinfo_uarch uarch) {
  switch (uarch) {
    case cpuinfo_uarch_nehalem:
      return "nehalem";
    case cpuinfo_uarch_sandy_bridge:
      return "sandy-bridge";
    case cpuinfo_uarch_ivy_bridge:
      return "ivy-bridge";
    case cpuinfo_uarch_haswell:
      return "haswell";
    case cpuinfo_uarch_broadwell:
      return "broadwell";
    case cpuinfo_uarch_sky_lake:
      return "sky-lake";
    case cpuinfo_uarch_palm_cove:
      return "palm-cove";
    case cpuinfo_uarch_sunny_cove:
      return "sunny-cove";
    case cpuinfo_uarch_silvermont:
      return "silvermont";
    case cpuinfo_uarch_airmont:
      return "airmont";
    case cpuinfo_uarch_goldmont:
      return "goldmont";
    case cpuinfo_uarch_goldmont_plus:
      return "goldmont-plus";
    case cpuinfo_uarch_knights_landing:
      return "knights-landing";
    case cpuinfo_uarch_knights_mill:
      return "knights-mill";
    case cpuinfo_uarch_bulldozer:
      return "bulldozer";
    case cpuinfo_uarch_piledriver:
      return "piledriver";
    case cpuinfo_uarch_steamroller:
      return "steamroller";
    case cpuinfo_uarch_excavator:
      return "excavator";
    case cpuinfo_uarch_zen:
      return "zen";
    case cpuinfo_uarch_zen2:
      return "zen2";
    case cpuinfo_uarch_zen3:
      return "zen3";
    case cpuinfo_uarch_jaguar:
      return "jaguar";
    case cpuinfo_uarch_puma:
      return "puma";
    case cpuinfo_uarch_dhyana:
      return "dhyana";
    case cpuinfo_uarch_cortex_a7:
      return "cortex-a7";
    case cpuinfo_uarch_cortex_a8:
      return "cortex-a8";
    case cpuinfo_uarch_cortex_a9:
      return "cortex-a9";
    case cpuinfo_uarch_cortex_a15:
      return "cortex-a15";
    case cpuinfo_uarch_cortex_a35:
      return "cortex-a35";
    case cpuinfo_uarch_cortex_a53:
      return "cortex-a53";
    case cpuinfo_uarch_cortex_a55:
      return "cortex-a55";
    case cpuinfo_uarch_cortex_a57:
      return "cortex-a57";
    case cpuinfo_uarch_cortex_a72:
      return "cortex-a72";
    case cpuinfo_uarch_cortex_a73:
      return "cortex-a73";
    case cpuinfo_uarch_cortex_a75:
      return "cortex-a75";
    case cpuinfo_uarch_cortex_a76:
      return "cortex-a76";
    case cpuinfo_uarch_cortex_a77:
      return "cortex-a77";
    case cpuinfo_uarch_cortex_a78:
      return "cortex-a78";
    case cpuinfo_uarch_cortex_x1:
      return "cortex-x1";
    case cpuinfo_uarch_neoverse_n1:
      return "neoverse-n1";
    case cpuinfo_uarch_neoverse_v1:
      return "neoverse-v1";
    case cpuinfo_uarch_neoverse_n2:
      return "neoverse-n2";
    case cpuinfo_uarch_firestorm:
      return "firestorm";
    case cpuinfo_uarch_icestorm:
      return "icestorm";
    case cpuinfo_uarch_lightning:
      return "lightning";
    case cpuinfo_uarch_thunder:
      return "thunder";
    case cpuinfo_uarch_vortex:
      return "vortex";
    case cpuinfo_uarch_tempest:
      return "tempest";
    default:
      return "";
  }
}

void add_if(std::vector<std::string>& isa, bool present, const char* name) {
  if (present) isa.emplace_back(name);
}

bool from_cpuinfo(MachineIdentity& machine) {
  if (!cpuinfo_initialize()) return false;
  const cpuinfo_core* core = cpuinfo_get_cores_count() ? cpuinfo_get_core(0) : nullptr;
  const cpuinfo_package* package = cpuinfo_get_packages_count() ? cpuinfo_get_package(0) : nullptr;
  if (!core) return false;
  machine.source = "cpuinfo";
  machine.vendor = vendor_name(core->vendor);
  machine.model_name = package ? trim(package->name) : "";
  machine.microarchitecture = uarch_name(core->uarch);
#if CPUINFO_ARCH_X86 || CPUINFO_ARCH_X86_64
  // CPUID leaf 1 EAX: the display family and model.
  const unsigned base_family = (core->cpuid >> 8) & 0xf;
  const unsigned family = base_family == 0xf ? base_family + ((core->cpuid >> 20) & 0xff) : base_family;
  unsigned model = (core->cpuid >> 4) & 0xf;
  if (base_family == 0x6 || base_family == 0xf) model |= ((core->cpuid >> 16) & 0xf) << 4;
  if (machine.microarchitecture.empty())
    machine.microarchitecture = x86_microarchitecture(family, model, machine.vendor);
  if (machine.microarchitecture.empty()) machine.microarchitecture = family_model_name(family, model);
  auto& isa = machine.isa;
  add_if(isa, cpuinfo_has_x86_sse2(), "sse2");
  add_if(isa, cpuinfo_has_x86_sse3(), "sse3");
  add_if(isa, cpuinfo_has_x86_ssse3(), "ssse3");
  add_if(isa, cpuinfo_has_x86_sse4_1(), "sse4.1");
  add_if(isa, cpuinfo_has_x86_sse4_2(), "sse4.2");
  add_if(isa, cpuinfo_has_x86_popcnt(), "popcnt");
  add_if(isa, cpuinfo_has_x86_cmpxchg16b(), "cmpxchg16b");
  add_if(isa, cpuinfo_has_x86_lahf_sahf(), "lahf-sahf");
  add_if(isa, cpuinfo_has_x86_avx(), "avx");
  add_if(isa, cpuinfo_has_x86_fma3(), "fma3");
  add_if(isa, cpuinfo_has_x86_f16c(), "f16c");
  add_if(isa, cpuinfo_has_x86_avx2(), "avx2");
  add_if(isa, cpuinfo_has_x86_bmi(), "bmi");
  add_if(isa, cpuinfo_has_x86_bmi2(), "bmi2");
  add_if(isa, cpuinfo_has_x86_lzcnt(), "lzcnt");
  add_if(isa, cpuinfo_has_x86_movbe(), "movbe");
  add_if(isa, cpuinfo_has_x86_avx512f(), "avx512f");
  add_if(isa, cpuinfo_has_x86_avx512cd(), "avx512cd");
  add_if(isa, cpuinfo_has_x86_avx512dq(), "avx512dq");
  add_if(isa, cpuinfo_has_x86_avx512bw(), "avx512bw");
  add_if(isa, cpuinfo_has_x86_avx512vl(), "avx512vl");
  add_if(isa, cpuinfo_has_x86_avx512vnni(), "avx512vnni");
  add_if(isa, cpuinfo_has_x86_avx512bf16(), "avx512bf16");
#elif CPUINFO_ARCH_ARM || CPUINFO_ARCH_ARM64
  if (machine.microarchitecture.empty()) machine.microarchitecture = "unknown";
  auto& isa = machine.isa;
  add_if(isa, cpuinfo_has_arm_neon(), "neon");
  add_if(isa, cpuinfo_has_arm_neon_fma(), "neon-fma");
  add_if(isa, cpuinfo_has_arm_neon_fp16_arith(), "neon-fp16-arith");
  add_if(isa, cpuinfo_has_arm_neon_dot(), "neon-dot");
  add_if(isa, cpuinfo_has_arm_bf16(), "bf16");
  add_if(isa, cpuinfo_has_arm_sve(), "sve");
  add_if(isa, cpuinfo_has_arm_sve2(), "sve2");
#else
  if (machine.microarchitecture.empty()) machine.microarchitecture = "unknown";
#endif
  if (const cpuinfo_cache* cache = cpuinfo_get_l1d_caches_count() ? cpuinfo_get_l1d_cache(0) : nullptr) {
    machine.l1d_cache_bytes = cache->size;
  }
  if (const cpuinfo_cache* cache = cpuinfo_get_l2_caches_count() ? cpuinfo_get_l2_cache(0) : nullptr) {
    machine.l2_cache_bytes = cache->size;
  }
  if (const cpuinfo_cache* cache = cpuinfo_get_l3_caches_count() ? cpuinfo_get_l3_cache(0) : nullptr) {
    machine.l3_cache_bytes = cache->size;
  }
  machine.logical_processors = static_cast<int>(cpuinfo_get_processors_count());
  return true;
}

#endif  // RTN_HAVE_CPUINFO

// Without cpuinfo: Linux's view of the first processor. Same feature names as the cpuinfo path.
bool from_proc_cpuinfo(MachineIdentity& machine) {
  std::ifstream file("/proc/cpuinfo");
  if (!file) return false;
  std::string line, vendor_id, flags;
  unsigned family = 0, model = 0;
  bool first_processor = true;
  int processors = 0;
  while (std::getline(file, line)) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    const std::string value = trim(line.substr(colon + 1));
    if (key == "processor") {
      first_processor = ++processors == 1;
      continue;
    }
    if (!first_processor) continue;
    if (key == "vendor_id") vendor_id = value;
    if (key == "model name") machine.model_name = value;
    if (key == "cpu family") family = static_cast<unsigned>(std::atoi(value.c_str()));
    if (key == "model") model = static_cast<unsigned>(std::atoi(value.c_str()));
    if (key == "flags" || key == "Features") flags = " " + value + " ";
  }
  machine.source = "/proc/cpuinfo";
  machine.logical_processors = processors;
  machine.vendor = vendor_from_cpuid_name(vendor_id);
  if (!vendor_id.empty()) {
    machine.microarchitecture = x86_microarchitecture(family, model, machine.vendor);
    if (machine.microarchitecture.empty()) machine.microarchitecture = family_model_name(family, model);
  } else {
    machine.microarchitecture = "unknown";
  }
  const std::pair<const char*, const char*> features[] = {
      {"sse2", "sse2"},
      {"pni", "sse3"},
      {"ssse3", "ssse3"},
      {"sse4_1", "sse4.1"},
      {"sse4_2", "sse4.2"},
      {"popcnt", "popcnt"},
      {"cx16", "cmpxchg16b"},
      {"lahf_lm", "lahf-sahf"},
      {"avx", "avx"},
      {"fma", "fma3"},
      {"f16c", "f16c"},
      {"avx2", "avx2"},
      {"bmi1", "bmi"},
      {"bmi2", "bmi2"},
      {"abm", "lzcnt"},
      {"movbe", "movbe"},
      {"avx512f", "avx512f"},
      {"avx512cd", "avx512cd"},
      {"avx512dq", "avx512dq"},
      {"avx512bw", "avx512bw"},
      {"avx512vl", "avx512vl"},
      {"avx512_vnni", "avx512vnni"},
      {"avx512_bf16", "avx512bf16"},
      {"asimd", "neon"},
      {"asimdhp", "neon-fp16-arith"},
      {"asimddp", "neon-dot"},
      {"bf16", "bf16"},
      {"sve", "sve"},
      {"sve2", "sve2"},
  };
  for (const auto& [flag, name] : features) {
    if (flags.find(std::string(" ") + flag + " ") != std::string::npos) machine.isa.emplace_back(name);
  }
  return true;
}

MachineIdentity detect_machine() {
  MachineIdentity machine;
#ifdef RTN_HAVE_CPUINFO
  if (from_cpuinfo(machine)) return machine;
  machine = MachineIdentity();
#endif
  if (from_proc_cpuinfo(machine)) return machine;
  machine = MachineIdentity();
  machine.vendor = "unknown";
  machine.microarchitecture = "unknown";
  machine.source = "none";
  return machine;
}

std::string compiler_name() {
#if defined(__clang__)
  return "Clang " + std::to_string(__clang_major__) + "." + std::to_string(__clang_minor__) + "." +
         std::to_string(__clang_patchlevel__);
#elif defined(__GNUC__)
  return "GCC " + std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
         std::to_string(__GNUC_PATCHLEVEL__);
#elif defined(_MSC_VER)
  return "MSVC " + std::to_string(_MSC_FULL_VER);
#else
  return "unknown";
#endif
}

BuildIdentity detect_build() {
  BuildIdentity build;
  build.rtn_version = RTN_VERSION;
  build.compiler = compiler_name();
  build.flags = trim(RTN_BUILD_FLAGS);
#ifdef RTN_HAVE_EIGEN
  build.eigen_version = std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                        "." + std::to_string(EIGEN_MINOR_VERSION);
#endif
#ifdef RTN_HAVE_XSIMD
  build.xsimd_version = std::to_string(XSIMD_VERSION_MAJOR) + "." + std::to_string(XSIMD_VERSION_MINOR) +
                        "." + std::to_string(XSIMD_VERSION_PATCH);
#endif
  for (Implementation implementation : compiled_implementations()) build.backends.emplace_back(implementation.name());
  build.kernel_sources = RTN_KERNEL_SOURCES_HASH;
  for (IsaLevel level : compiled_isa_levels()) build.isa_levels.emplace_back(isa_level_architecture(level));
  return build;
}

}  // namespace

std::string MachineIdentity::describe() const {
  std::string text = model_name.empty() ? vendor + " CPU" : model_name;
  text += " (" + microarchitecture + ")";
  if (!isa_limited_to.empty()) text += " limited to " + isa_limited_to + " by RTN_MAX_ISA";
  return text;
}

std::string MachineIdentity::isa_level() const {
  if (std::find(isa.begin(), isa.end(), "neon") != isa.end()) return "neon";
  for (IsaLevel level : {IsaLevel::avx512, IsaLevel::avx2, IsaLevel::sse4}) {
    if (machine_runs(*this, level)) return std::string(isa_level_architecture(level));
  }
  if (std::find(isa.begin(), isa.end(), "sse2") != isa.end()) return "x86-64";
  return "unknown";
}

std::string BuildIdentity::describe() const {
  std::string text = "rtn " + rtn_version + ", " + compiler;
  if (!flags.empty()) text += " " + flags;
  if (!kernel_sources.empty()) text += ", kernels " + kernel_sources;
  if (!isa_levels.empty()) {
    text += ", ISA levels";
    for (const std::string& level : isa_levels) text += " " + level;
  }
  text += ", implementations";
  for (const std::string& implementation : backends) text += " " + implementation;
  return text;
}

const MachineIdentity& this_machine() {
  // A function-local static: detected once, thread-safe.
  static const MachineIdentity machine = [] {
    MachineIdentity detected = detect_machine();
    if (isa_limit().level) limit_isa(detected, *isa_limit().level);
    return detected;
  }();
  return machine;
}

const BuildIdentity& this_build() {
  static const BuildIdentity build = detect_build();
  return build;
}

}  // namespace rtn
