// The xsimd kernels for the registry. This file and every layer's xsimd*.cpp are compiled once per
// instruction-set level of RTN_ISA_LEVELS, each time into its own namespace and object (isa_namespace.hpp,
// cmake/isa_levels.cmake), or once for the build's own target; registry.cpp calls each level's
// xsimd_kernels() if the CPU runs that level. A layer folder's xsimd.cpp is collected from layers/layers.def;
// a variant (fixed-size, lanes): its file in layers/<layer>/ and one line here.
#include "layers/factories.hpp"

namespace rtn::RTN_ISA_NAMESPACE {

std::vector<KernelEntry> xsimd_kernels(const SimdImplementations& names) {
  // Every layer folder's xsimd kernel (layers/layers.def), for each kind it computes.
  std::vector<KernelEntry> entries;
#define RTN_LAYER(layer) \
  for (const LayerDescriptor& descriptor : layer##_descriptors()) \
    entries.push_back({descriptor.kind, names.generic, &make_##layer##_xsimd});
#include "layers/layers.def"
#undef RTN_LAYER
  // The variants, each entry with the shapes it supports.
  for (auto fixed_kernels : {&dense_xsimd_fixed_kernels, &conv1d_xsimd_fixed_kernels, &gru_xsimd_fixed_kernels,
                             &lstm_xsimd_fixed_kernels, &wavenet_xsimd_fixed_kernels}) {
    entries.push_back(fixed_kernels(names.fixed));
  }
  entries.push_back(wavenet_xsimd_lanes_kernels(names.lanes));
  return entries;
}

}  // namespace rtn::RTN_ISA_NAMESPACE
