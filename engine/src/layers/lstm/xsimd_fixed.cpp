// xsimd.fixed LSTM kernels: a hidden size of layers/sizes.hpp (any input size and stack depth).
#include "backends/xsimd_ops.hpp"
#include "layers/factories.hpp"
#include "layers/lstm/lstm_kernel.hpp"

namespace rtn {

// Named for its layer, not in an anonymous namespace: with a template from an anonymous namespace, GCC 12
// merged the FixedSizeKernels<...> of different layers (one layer's registry entry built another's kernels).
template <int N>
struct LstmXsimdFixed {
  static bool supports(const LayerSpec& spec) noexcept { return spec.output_size == N; }
  static std::unique_ptr<Kernel> create(const LayerSpec& spec, const Weights& weights) {
    return std::make_unique<LstmKernel<XsimdOps, N>>(spec, weights);
  }
};

KernelEntry lstm_xsimd_fixed_kernels(Implementation fixed) {
  return FixedSizeKernels<LstmXsimdFixed, RTN_FIXED_SIZES>::entry(LayerKind::lstm, fixed);
}

}  // namespace rtn
