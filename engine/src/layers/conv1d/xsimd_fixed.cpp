// xsimd.fixed Conv1D kernels: N -> N convolutions in one group and the 1 -> N ones that open a convolutional
// model (any kernel size and dilation, stride 1), for the sizes of layers/sizes.hpp.
#include "backends/xsimd_ops.hpp"
#include "layers/conv1d/conv1d_kernel.hpp"
#include "layers/factories.hpp"

namespace rtn {

// Named for its layer, not in an anonymous namespace (see dense/xsimd_fixed.cpp).
template <int N>
struct Conv1dXsimdFixed {
  static bool supports(const LayerSpec& spec) noexcept {
    // Stride 1: these are for per-sample speed, where a decimating layer computes every s-th call only.
    // A mono input's layer per sample was the slowest of a TCN's through the generic kernels' block path:
    // 32-38 ns for 36 multiply-adds (Conv1D 1 -> 12, k 3), 6.5 ns here (Intel Xeon, AVX-512).
    return (spec.input_size == N || spec.input_size == 1) && spec.output_size == N && spec.stride == 1 &&
           !Conv1dKernel<XsimdOps, N, N>::unsupported(spec);
  }
  static std::unique_ptr<Kernel> create(const LayerSpec& spec, const Weights& weights) {
    if (spec.input_size == 1) return std::make_unique<Conv1dKernel<XsimdOps, 1, N>>(spec, weights);
    return std::make_unique<Conv1dKernel<XsimdOps, N, N>>(spec, weights);
  }
};

KernelEntry conv1d_xsimd_fixed_kernels(Implementation fixed) {
  return FixedSizeKernels<Conv1dXsimdFixed, RTN_FIXED_SIZES>::entry(LayerKind::conv1d, fixed);
}

}  // namespace rtn
