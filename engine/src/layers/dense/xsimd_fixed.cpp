// xsimd.fixed Dense kernels: square N -> N layers and N -> 1 outputs, for the sizes of layers/sizes.hpp.
#include "backends/xsimd_ops.hpp"
#include "layers/dense/dense_kernel.hpp"
#include "layers/factories.hpp"

namespace rtn {

// Named for its layer, not in an anonymous namespace: with a template from an anonymous namespace, GCC 12
// merged the FixedSizeKernels<...> of different layers (one layer's registry entry built another's kernels).
template <int N>
struct DenseXsimdFixed {
  static bool supports(const LayerSpec& spec) noexcept {
    return spec.input_size == N && (spec.output_size == N || spec.output_size == 1);
  }
  static std::unique_ptr<Kernel> create(const LayerSpec& spec, const Weights& weights) {
    if (spec.output_size == 1) return std::make_unique<DenseKernel<XsimdOps, N, 1>>(spec, weights);
    return std::make_unique<DenseKernel<XsimdOps, N, N>>(spec, weights);
  }
};

KernelEntry dense_xsimd_fixed_kernels(Implementation fixed) {
  return FixedSizeKernels<DenseXsimdFixed, RTN_FIXED_SIZES>::entry(LayerKind::dense, fixed);
}

}  // namespace rtn
