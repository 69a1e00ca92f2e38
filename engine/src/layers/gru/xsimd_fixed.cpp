// xsimd.fixed GRU kernels: a hidden size of layers/sizes.hpp (any input size and stack depth).
#include "backends/xsimd_ops.hpp"
#include "layers/factories.hpp"
#include "layers/gru/gru_kernel.hpp"

namespace rtn {

// Named for its layer, not in an anonymous namespace: with a template from an anonymous namespace, GCC 12
// merged the FixedSizeKernels<...> of different layers (one layer's registry entry built another's kernels).
template <int N>
struct GruXsimdFixed {
  static bool supports(const LayerSpec& spec) noexcept {
    return spec.output_size == N && !GruKernel<XsimdOps, N>::unsupported(spec);
  }
  static std::unique_ptr<Kernel> create(const LayerSpec& spec, const Weights& weights) {
    return std::make_unique<GruKernel<XsimdOps, N>>(spec, weights);
  }
};

KernelEntry gru_xsimd_fixed_kernels(Implementation fixed) {
  return FixedSizeKernels<GruXsimdFixed, RTN_FIXED_SIZES>::entry(LayerKind::gru, fixed);
}

}  // namespace rtn
