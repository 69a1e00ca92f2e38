#include "rtn/registry.hpp"

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
  return entries;
}

}  // namespace

const std::vector<KernelEntry>& kernel_registry() {
  static const std::vector<KernelEntry> entries = build_registry();
  return entries;
}

const KernelEntry* find_kernel(LayerKind kind, Backend backend) noexcept {
  for (const KernelEntry& entry : kernel_registry()) {
    if (entry.kind == kind && entry.backend == backend) return &entry;
  }
  return nullptr;
}

std::unique_ptr<Kernel> create_kernel(const LayerSpec& spec, Backend backend, const Weights& weights) {
  if (const std::string problem = spec.validate(); !problem.empty()) {
    throw Error(std::string(layer_kind_name(spec.kind)) + ": " + problem);
  }
  check_weights(spec, weights);
  const KernelEntry* entry = find_kernel(spec.kind, backend);
  if (!entry) {
    throw Error("backend " + std::string(backend_name(backend)) + " is not compiled into this build of rtn");
  }
  return entry->create(spec, weights);
}

}  // namespace rtn
