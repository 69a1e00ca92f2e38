#pragma once
// The kernel factories and descriptors of every layer folder (layers/layers.def); registry.cpp lists the stl
// and eigen kernels of the build's baseline, layers/level_kernels.cpp those compiled once per instruction-set
// level (see there).
#include <memory>
#include <vector>

#include "backends/isa_namespace.hpp"
#include "rtn/kernel.hpp"
#include "rtn/layer_descriptor.hpp"
#include "rtn/registry.hpp"
#include "rtn/weights.hpp"

#define RTN_DECLARE_FACTORIES(layer)                                                          \
  std::unique_ptr<Kernel> make_##layer##_stl(const LayerSpec& spec, const Weights& weights);   \
  std::unique_ptr<Kernel> make_##layer##_eigen(const LayerSpec& spec, const Weights& weights); \
  std::unique_ptr<Kernel> make_##layer##_xsimd(const LayerSpec& spec, const Weights& weights);

namespace rtn {

// Each folder's kernels and the layer kinds it computes (<folder>/descriptor.cpp).
#define RTN_LAYER(layer) RTN_DECLARE_FACTORIES(layer) std::vector<LayerDescriptor> layer##_descriptors();
#include "layers/layers.def"
#undef RTN_LAYER

// The names the kernels of one instruction-set level are registered under ("stl.avx2", "eigen.avx2",
// "xsimd.avx2", "xsimd.avx2.fixed", "xsimd.avx2.lanes"), or of the build's own target ("xsimd", ...).
struct LevelImplementations {
  Implementation stl;
  Implementation eigen;
  Implementation xsimd;
  Implementation fixed;  // xsimd with sizes known at compile time
  Implementation lanes;  // xsimd with a chunk's frames in the SIMD lanes
};
// The kernels of one instruction-set level (layers/level_kernels.cpp): the xsimd ones, and in a build with
// levels the level's stl and eigen ones. Declared for the level this file is compiled for: registry.cpp
// declares each level's own.
inline namespace RTN_ISA_NAMESPACE {
std::vector<KernelEntry> level_kernels(const LevelImplementations& names);
}
// The fixed-size kernels of each layer (layers/<layer>/xsimd_fixed.cpp), registered as `fixed`.
KernelEntry dense_xsimd_fixed_kernels(Implementation fixed);
KernelEntry conv1d_xsimd_fixed_kernels(Implementation fixed);
KernelEntry gru_xsimd_fixed_kernels(Implementation fixed);
KernelEntry lstm_xsimd_fixed_kernels(Implementation fixed);
KernelEntry wavenet_xsimd_fixed_kernels(Implementation fixed);
// One entry per activation kind (layers/activation/xsimd_fixed.cpp).
std::vector<KernelEntry> activation_xsimd_fixed_kernels(Implementation fixed);
// The WaveNet with time in the SIMD lanes (layers/wavenet/xsimd_lanes.cpp), registered as `lanes`.
KernelEntry wavenet_xsimd_lanes_kernels(Implementation lanes);

// The registry entry of a fixed-size variant of a layer: one entry for all its compiled sizes N, which
// builds the kernel compiled for the layer's size. Fixed<N> provides
//   static bool supports(const LayerSpec&) noexcept;        // the shapes the kernels of size N compute
//   static std::unique_ptr<Kernel> create(const LayerSpec&, const Weights&);  // for a supported shape
template <template <int> class Fixed, int... N>
struct FixedSizeKernels {
  static bool supports(const LayerSpec& spec) noexcept { return (Fixed<N>::supports(spec) || ...); }
  static std::unique_ptr<Kernel> create(const LayerSpec& spec, const Weights& weights) {
    std::unique_ptr<Kernel> kernel;
    ((Fixed<N>::supports(spec) && (kernel = Fixed<N>::create(spec, weights), true)) || ...);
    return kernel;
  }
  static KernelEntry entry(LayerKind kind, Implementation implementation) {
    return {kind, implementation, &create, &supports};
  }
};

}  // namespace rtn

// Defines make_<layer>_<backend>() building `KernelType` (a kernel template instantiated for the
// backend's ops). Each backend file of a layer is one such line unless the backend specialises.
#define RTN_KERNEL_FACTORY(layer, backend_name, KernelType)                                         \
  namespace rtn {                                                                                  \
  std::unique_ptr<Kernel> make_##layer##_##backend_name(const LayerSpec& spec, const Weights& weights) { \
    return std::make_unique<KernelType>(spec, weights);                                             \
  }                                                                                                \
  }
