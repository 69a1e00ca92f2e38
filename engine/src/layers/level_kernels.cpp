// The kernels compiled once per instruction-set level, for the registry. This file, every layer's xsimd*.cpp
// and, in a build with levels, every layer's stl.cpp and eigen.cpp are compiled once per level of
// RTN_ISA_LEVELS, each time into its own namespace and object (isa_namespace.hpp, cmake/isa_levels.cmake), or
// (the xsimd ones) once for the build's own target; registry.cpp calls each level's level_kernels() if the
// CPU runs that level. A layer folder's kernels are collected from layers/layers.def; a variant (fixed-size,
// lanes): its file in layers/<layer>/ and one line here.
#include "layers/factories.hpp"

namespace rtn::RTN_ISA_NAMESPACE {

std::vector<KernelEntry> level_kernels(const LevelImplementations& names) {
  // Every layer folder's xsimd kernel (layers/layers.def), for each kind it computes.
  std::vector<KernelEntry> entries;
#define RTN_LAYER(layer) \
  for (const LayerDescriptor& descriptor : layer##_descriptors()) \
    entries.push_back({descriptor.kind, names.xsimd, &make_##layer##_xsimd});
#include "layers/layers.def"
#undef RTN_LAYER
  // The variants, each entry with the shapes it supports.
  for (auto fixed_kernels : {&dense_xsimd_fixed_kernels, &conv1d_xsimd_fixed_kernels, &gru_xsimd_fixed_kernels,
                             &lstm_xsimd_fixed_kernels, &wavenet_xsimd_fixed_kernels}) {
    entries.push_back(fixed_kernels(names.fixed));
  }
  for (const KernelEntry& entry : activation_xsimd_fixed_kernels(names.fixed)) entries.push_back(entry);
  entries.push_back(wavenet_xsimd_lanes_kernels(names.lanes));
#ifdef RTN_ISA_LEVEL
  // The level's own copies of the stl and eigen kernels: the same source compiled for the level, so that a
  // portable build's scalar backends run as fast as a native build's (the compiler vectorises their loops,
  // Eigen its products, for the level's instruction set). registry.cpp registers the baseline's only on a CPU
  // that runs none of the levels.
#ifdef RTN_HAVE_EIGEN
#define RTN_LAYER(layer)                                                     \
  for (const LayerDescriptor& descriptor : layer##_descriptors()) {          \
    entries.push_back({descriptor.kind, names.stl, &make_##layer##_stl});     \
    entries.push_back({descriptor.kind, names.eigen, &make_##layer##_eigen}); \
  }
#else
#define RTN_LAYER(layer) \
  for (const LayerDescriptor& descriptor : layer##_descriptors()) \
    entries.push_back({descriptor.kind, names.stl, &make_##layer##_stl});
#endif
#include "layers/layers.def"
#undef RTN_LAYER
#endif
  return entries;
}

}  // namespace rtn::RTN_ISA_NAMESPACE
