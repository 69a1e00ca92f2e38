#pragma once
// The kernel factories of every layer on every backend; registry.cpp lists them.
// Adding a layer: a folder in layers/ with <layer>.cpp, stl.cpp, eigen.cpp, xsimd.cpp,
// one RTN_DECLARE_FACTORIES line here and one line in registry.cpp.
#include <memory>
#include <vector>

#include "rtn/kernel.hpp"
#include "rtn/registry.hpp"
#include "rtn/weights.hpp"

#define RTN_DECLARE_FACTORIES(layer)                                                          \
  std::unique_ptr<Kernel> make_##layer##_stl(const LayerSpec& spec, const Weights& weights);   \
  std::unique_ptr<Kernel> make_##layer##_eigen(const LayerSpec& spec, const Weights& weights); \
  std::unique_ptr<Kernel> make_##layer##_xsimd(const LayerSpec& spec, const Weights& weights);

namespace rtn {

RTN_DECLARE_FACTORIES(dense)
RTN_DECLARE_FACTORIES(activation)
RTN_DECLARE_FACTORIES(batchnorm)
RTN_DECLARE_FACTORIES(conv1d)
RTN_DECLARE_FACTORIES(gru)
RTN_DECLARE_FACTORIES(lstm)
RTN_DECLARE_FACTORIES(wavenet)

// The kernels of the variant implementations (xsimd.fixed, ...), each entry with the shapes it supports:
// layers/variants.cpp.
std::vector<KernelEntry> variant_kernels();

}  // namespace rtn

// Defines make_<layer>_<backend>() building `KernelType` (a kernel template instantiated for the
// backend's ops). Each backend file of a layer is one such line unless the backend specialises.
#define RTN_KERNEL_FACTORY(layer, backend_name, KernelType)                                         \
  namespace rtn {                                                                                  \
  std::unique_ptr<Kernel> make_##layer##_##backend_name(const LayerSpec& spec, const Weights& weights) { \
    return std::make_unique<KernelType>(spec, weights);                                             \
  }                                                                                                \
  }
