// The kernels of the variant implementations: one entry per (layer kind, variant, compiled size), with the
// shapes each supports. registry.cpp adds them to the generic kernels.
#include "layers/factories.hpp"

namespace rtn {

std::vector<KernelEntry> variant_kernels() {
  std::vector<KernelEntry> entries;
#ifdef RTN_HAVE_XSIMD
  for (auto fixed : {&dense_xsimd_fixed_kernels, &conv1d_xsimd_fixed_kernels, &gru_xsimd_fixed_kernels,
                     &lstm_xsimd_fixed_kernels, &wavenet_xsimd_fixed_kernels}) {
    entries.push_back(fixed());
  }
#endif
  return entries;
}

}  // namespace rtn
