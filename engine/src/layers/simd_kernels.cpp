// The xsimd kernels for the registry. This file and every layer's xsimd*.cpp are compiled once per
// instruction-set level of RTN_ISA_LEVELS, each time into its own namespace and object (isa_namespace.hpp,
// cmake/isa_levels.cmake), or once for the build's own target; registry.cpp calls each level's
// xsimd_kernels() if the CPU runs that level. Adding an xsimd kernel: its file in layers/<layer>/ and one line
// here.
#include "layers/factories.hpp"

namespace rtn::RTN_ISA_NAMESPACE {

std::vector<KernelEntry> xsimd_kernels(Implementation generic, Implementation fixed) {
  std::vector<KernelEntry> entries = {
      {LayerKind::dense, generic, &make_dense_xsimd},
      {LayerKind::conv1d, generic, &make_conv1d_xsimd},
      {LayerKind::gru, generic, &make_gru_xsimd},
      {LayerKind::lstm, generic, &make_lstm_xsimd},
      {LayerKind::batchnorm1d, generic, &make_batchnorm_xsimd},
      {LayerKind::wavenet, generic, &make_wavenet_xsimd},
  };
  for (LayerKind kind : all_layer_kinds()) {
    if (is_activation(kind)) entries.push_back({kind, generic, &make_activation_xsimd});
  }
  // The variants, each entry with the shapes it supports.
  for (auto fixed_kernels : {&dense_xsimd_fixed_kernels, &conv1d_xsimd_fixed_kernels, &gru_xsimd_fixed_kernels,
                             &lstm_xsimd_fixed_kernels, &wavenet_xsimd_fixed_kernels}) {
    entries.push_back(fixed_kernels(fixed));
  }
  return entries;
}

}  // namespace rtn::RTN_ISA_NAMESPACE
