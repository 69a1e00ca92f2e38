// xsimd.fixed WaveNet kernels: networks whose residual layers all have N channels and N z rows in one group
// (NAM's A2 is 8 wide), their dilated convolutions compiled for N -> N. Sizes 8 and 16 only: each size is a
// whole WaveNet to compile, and NAM's two-array presets change width between arrays (the generic kernel).
#include "backends/xsimd_ops.hpp"
#include "layers/factories.hpp"
#include "layers/wavenet/wavenet_kernel.hpp"

namespace rtn {

// Named for its layer, not in an anonymous namespace (see dense/xsimd_fixed.cpp).
template <int N>
struct WaveNetXsimdFixed {
  static bool supports(const LayerSpec& spec) noexcept {
    return spec.architecture && supports_fixed_size(*spec.architecture, N);
  }
  static std::unique_ptr<Kernel> create(const LayerSpec& spec, const Weights& weights) {
    return std::make_unique<WaveNetKernel<XsimdOps, N>>(spec, weights);
  }
};

KernelEntry wavenet_xsimd_fixed_kernels(Implementation fixed) {
  return FixedSizeKernels<WaveNetXsimdFixed, 8, 16>::entry(LayerKind::wavenet, fixed);
}

}  // namespace rtn
