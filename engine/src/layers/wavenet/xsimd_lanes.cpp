// xsimd.lanes WaveNet kernels: a chunk's frames in the SIMD lanes (wavenet_lanes.hpp), for the networks it
// computes (supports_lanes).
#include "backends/xsimd_ops.hpp"
#include "layers/factories.hpp"
#include "layers/wavenet/wavenet_lanes.hpp"

namespace rtn {

namespace {

bool supports(const LayerSpec& spec) noexcept { return spec.architecture && supports_lanes(*spec.architecture); }

std::unique_ptr<Kernel> create(const LayerSpec& spec, const Weights& weights) {
  return std::make_unique<WaveNetLanesKernel<XsimdOps>>(spec, weights);
}

}  // namespace

KernelEntry wavenet_xsimd_lanes_kernels(Implementation lanes) {
  return {LayerKind::wavenet, lanes, &create, &supports};
}

}  // namespace rtn
