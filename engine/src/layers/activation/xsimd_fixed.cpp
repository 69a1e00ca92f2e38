// xsimd.fixed activation kernels: every activation kind over N channels, for the sizes of layers/sizes.hpp.
#include "backends/xsimd_ops.hpp"
#include "layers/activation/activation_kernel.hpp"
#include "layers/factories.hpp"

namespace rtn {

// Named for its layer, not in an anonymous namespace (see dense/xsimd_fixed.cpp).
template <int N>
struct ActivationXsimdFixed {
  static bool supports(const LayerSpec& spec) noexcept {
    return is_activation(spec.kind) && spec.input_size == N;
  }
  static std::unique_ptr<Kernel> create(const LayerSpec& spec, const Weights& weights) {
    return std::make_unique<ActivationKernel<XsimdOps, N>>(spec, weights);
  }
};

std::vector<KernelEntry> activation_xsimd_fixed_kernels(Implementation fixed) {
  std::vector<KernelEntry> entries;
  for (const LayerDescriptor& descriptor : activation_descriptors()) {
    entries.push_back(FixedSizeKernels<ActivationXsimdFixed, RTN_FIXED_SIZES>::entry(descriptor.kind, fixed));
  }
  return entries;
}

}  // namespace rtn
