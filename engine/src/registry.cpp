#include "rtn/registry.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "layers/factories.hpp"
#include "rtn/error.hpp"
#include "rtn/profile.hpp"

namespace rtn {

// The kernels of each instruction-set level compiled in (layers/level_kernels.cpp, once per level), or
// of the build's own target (declared in factories.hpp).
#define RTN_DECLARE_ISA_LEVEL(level) \
  namespace isa_##level {           \
  std::vector<KernelEntry> level_kernels(const LevelImplementations& names); \
  }
RTN_DECLARE_ISA_LEVEL(sse4)
RTN_DECLARE_ISA_LEVEL(avx2)
RTN_DECLARE_ISA_LEVEL(avx512)

namespace {

using LevelKernels = std::vector<KernelEntry> (*)(const LevelImplementations& names);

LevelKernels level_kernels_of(IsaLevel level) noexcept {
  switch (level) {
#ifdef RTN_HAVE_ISA_SSE4
    case IsaLevel::sse4: return &isa_sse4::level_kernels;
#endif
#ifdef RTN_HAVE_ISA_AVX2
    case IsaLevel::avx2: return &isa_avx2::level_kernels;
#endif
#ifdef RTN_HAVE_ISA_AVX512
    case IsaLevel::avx512: return &isa_avx512::level_kernels;
#endif
#if defined(RTN_HAVE_XSIMD) && !defined(RTN_HAVE_ISA_LEVELS)
    case IsaLevel::target: return &isa_target::level_kernels;
#endif
    default: return nullptr;
  }
}

// The kernels compiled per level that this CPU runs: of every compiled level it has the features for, each
// level's under its own names ("stl.avx2", "eigen.avx2", "xsimd.avx2", "xsimd.avx2.fixed",
// "xsimd.avx2.lanes"), or the xsimd ones compiled for the build's own target.
void add_level_kernels(std::vector<KernelEntry>& entries) {
  std::vector<IsaLevel> levels = compiled_isa_levels();
  if (levels.empty()) levels.push_back(IsaLevel::target);
  for (IsaLevel level : levels) {
    const LevelKernels kernels = level_kernels_of(level);
    if (!kernels || !machine_runs(this_machine(), level)) continue;
    const std::string suffix = level == IsaLevel::target ? "" : "." + std::string(isa_level_name(level));
    const LevelImplementations names{*Implementation::parse("stl" + suffix), *Implementation::parse("eigen" + suffix),
                                     *Implementation::parse("xsimd" + suffix),
                                     *Implementation::parse("xsimd" + suffix + ".fixed"),
                                     *Implementation::parse("xsimd" + suffix + ".lanes")};
    for (const KernelEntry& entry : kernels(names)) entries.push_back(entry);
  }
}

// A backend's factory where that backend is compiled in, else nullptr (and no entry).
#ifdef RTN_HAVE_EIGEN
#define RTN_EIGEN_FACTORY(layer) &make_##layer##_eigen
#else
#define RTN_EIGEN_FACTORY(layer) nullptr
#endif

void add(std::vector<KernelEntry>& entries, LayerKind kind, KernelFactory stl, KernelFactory eigen) {
  entries.push_back({kind, Backend::stl, stl});
  if (eigen) entries.push_back({kind, Backend::eigen, eigen});
}

#define RTN_ADD_LAYER(entries, kind, layer) add(entries, kind, &make_##layer##_stl, RTN_EIGEN_FACTORY(layer))

std::vector<KernelEntry> build_registry() {
  std::vector<KernelEntry> entries;
  // Every layer folder's stl and eigen kernels compiled for the baseline, for each kind it computes. In a
  // build with ISA levels, only on a CPU that runs none of them: the levels' own copies stand for them
  // ("stl" names the best level's, as "xsimd" does).
  if (best_isa_level() == IsaLevel::target) {
#define RTN_LAYER(layer) \
  for (const LayerDescriptor& descriptor : layer##_descriptors()) RTN_ADD_LAYER(entries, descriptor.kind, layer);
#include "layers/layers.def"
#undef RTN_LAYER
  }
  add_level_kernels(entries);
  std::stable_sort(entries.begin(), entries.end(), [](const KernelEntry& a, const KernelEntry& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.implementation < b.implementation;
  });
  return entries;
}

std::vector<KernelEntry>& mutable_registry() {
  static std::vector<KernelEntry> entries = build_registry();
  return entries;
}

}  // namespace

const std::vector<KernelEntry>& kernel_registry() { return mutable_registry(); }

void register_kernel(KernelEntry entry) {
  if (!find_layer_descriptor(entry.kind)) {
    throw Error("register_kernel: layer kind " + std::to_string(static_cast<int>(entry.kind)) +
                " is not registered (register_layer_kind first)");
  }
  if (!entry.factory) throw Error("register_kernel: the kernel needs a factory");
  if (find_kernel(entry.kind, entry.implementation)) {
    throw Error("register_kernel: " + std::string(layer_kind_name(entry.kind)) + " already has a " +
                std::string(entry.implementation.name()) + " kernel");
  }
  std::vector<KernelEntry>& entries = mutable_registry();
  const auto place = std::upper_bound(entries.begin(), entries.end(), entry, [](const KernelEntry& a, const KernelEntry& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.implementation < b.implementation;
  });
  entries.insert(place, entry);
}

const KernelEntry* find_kernel(LayerKind kind, Implementation implementation) noexcept {
  for (const KernelEntry& entry : kernel_registry()) {
    if (entry.kind == kind && entry.implementation == implementation) return &entry;
  }
  return nullptr;
}

const KernelEntry* find_kernel(const LayerSpec& spec, Implementation implementation) noexcept {
  const KernelEntry* entry = find_kernel(spec.kind, implementation);
  return entry && entry->supports(spec) ? entry : nullptr;
}

std::vector<Implementation> implementations_for(const LayerSpec& spec) {
  std::vector<Implementation> implementations;
  for (const KernelEntry& entry : kernel_registry()) {
    if (entry.supports(spec)) implementations.push_back(entry.implementation);
  }
  return implementations;
}

std::unique_ptr<Kernel> KernelEntry::create(const LayerSpec& spec, const Weights& weights) const {
  if (spec.kind != kind) {
    throw Error(std::string(implementation.name()) + " " + std::string(layer_kind_name(kind)) +
                " kernel asked to compute a " + std::string(layer_kind_name(spec.kind)) + " layer");
  }
  if (const std::string problem = spec.validate(); !problem.empty()) {
    throw Error(std::string(layer_kind_name(spec.kind)) + ": " + problem);
  }
  check_weights(spec, weights);
  if (!supports(spec)) {
    throw Error(std::string(implementation.name()) + " has no kernel for " + spec.to_string());
  }
  std::unique_ptr<Kernel> kernel = factory(spec, weights);
  kernel->set_implementation(implementation);
  return kernel;
}

std::unique_ptr<Kernel> create_kernel(const LayerSpec& spec, Implementation implementation, const Weights& weights) {
  const KernelEntry* entry = find_kernel(spec.kind, implementation);
  if (!entry) {
    if (const std::string problem = spec.validate(); !problem.empty()) {
      throw Error(std::string(layer_kind_name(spec.kind)) + ": " + problem);
    }
    throw Error(std::string(implementation.name()) + " has no " + std::string(layer_kind_name(spec.kind)) +
                " kernel in this build of rtn");
  }
  return entry->create(spec, weights);
}

}  // namespace rtn
