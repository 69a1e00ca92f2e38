#include "rtn/registry.hpp"

#include <algorithm>

#include "layers/factories.hpp"
#include "rtn/error.hpp"

namespace rtn {

namespace {

// A backend's factory where that backend is compiled in, else nullptr (and no entry).
#ifdef RTN_HAVE_EIGEN
#define RTN_EIGEN_FACTORY(layer) &make_##layer##_eigen
#else
#define RTN_EIGEN_FACTORY(layer) nullptr
#endif
#ifdef RTN_HAVE_XSIMD
#define RTN_XSIMD_FACTORY(layer) &make_##layer##_xsimd
#else
#define RTN_XSIMD_FACTORY(layer) nullptr
#endif

void add(std::vector<KernelEntry>& entries, LayerKind kind, KernelFactory stl, KernelFactory eigen,
         KernelFactory xsimd) {
  entries.push_back({kind, Backend::stl, stl});
  if (eigen) entries.push_back({kind, Backend::eigen, eigen});
  if (xsimd) entries.push_back({kind, Backend::xsimd, xsimd});
}

#define RTN_ADD_LAYER(entries, kind, layer) \
  add(entries, kind, &make_##layer##_stl, RTN_EIGEN_FACTORY(layer), RTN_XSIMD_FACTORY(layer))

std::vector<KernelEntry> build_registry() {
  std::vector<KernelEntry> entries;
  RTN_ADD_LAYER(entries, LayerKind::dense, dense);
  RTN_ADD_LAYER(entries, LayerKind::conv1d, conv1d);
  RTN_ADD_LAYER(entries, LayerKind::gru, gru);
  RTN_ADD_LAYER(entries, LayerKind::lstm, lstm);
  RTN_ADD_LAYER(entries, LayerKind::batchnorm1d, batchnorm);
  RTN_ADD_LAYER(entries, LayerKind::wavenet, wavenet);
  for (LayerKind kind : all_layer_kinds()) {
    if (is_activation(kind)) RTN_ADD_LAYER(entries, kind, activation);
  }
  // Variants: their kernels, each with the shapes it supports.
  for (const KernelEntry& variant : variant_kernels()) entries.push_back(variant);
  std::stable_sort(entries.begin(), entries.end(), [](const KernelEntry& a, const KernelEntry& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.implementation < b.implementation;
  });
  return entries;
}

}  // namespace

const std::vector<KernelEntry>& kernel_registry() {
  static const std::vector<KernelEntry> entries = build_registry();
  return entries;
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
