#pragma once
// The kernel registry: every (layer kind, implementation) kernel compiled into this build.
// Tests, the tuner and the model all iterate it, so registering a kernel is all it takes for it to be
// tested, benchmarked and selectable.
#include <memory>
#include <vector>

#include "rtn/implementation.hpp"
#include "rtn/kernel.hpp"
#include "rtn/layer_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn {

// Builds a kernel; the weights have already passed check_weights(). Allocates; may throw rtn::Error.
using KernelFactory = std::unique_ptr<Kernel> (*)(const LayerSpec& spec, const Weights& weights);

// Which shapes a kernel handles (a fixed-size variant only the sizes it was compiled for). Never allocates.
using KernelSupports = bool (*)(const LayerSpec& spec);

struct KernelEntry {
  LayerKind kind;
  Implementation implementation;
  KernelFactory factory;
  KernelSupports supports_shape = nullptr;  // nullptr: every valid shape of the kind

  Backend backend() const noexcept { return implementation.backend(); }
  bool supports(const LayerSpec& spec) const noexcept {
    return spec.kind == kind && (!supports_shape || supports_shape(spec));
  }
  // Checks the spec and weights, then builds the kernel. Allocates. Throws rtn::Error on an invalid spec,
  // bad weights or a shape this kernel does not support.
  std::unique_ptr<Kernel> create(const LayerSpec& spec, const Weights& weights) const;
};

// Every registered kernel, ordered by kind then implementation.
const std::vector<KernelEntry>& kernel_registry();
// Adds a kernel at run time: a new layer kind's (rtn::register_layer_kind() first) or another implementation
// of a kind. Allocates. Throws rtn::Error for an unregistered kind, no factory, or a (kind, implementation)
// already registered. Register before building models or enumerating kernels on other threads: it moves the
// entries that find_kernel() pointers point at.
void register_kernel(KernelEntry entry);
// The entry for (kind, implementation), or nullptr when this build lacks it.
const KernelEntry* find_kernel(LayerKind kind, Implementation implementation) noexcept;
// The entry of `implementation` that can compute `spec` (its kind and shape), or nullptr. Never allocates.
const KernelEntry* find_kernel(const LayerSpec& spec, Implementation implementation) noexcept;
// The implementations that can compute `spec` in this build, in Implementation::all()'s order. Allocates.
std::vector<Implementation> implementations_for(const LayerSpec& spec);

// Checks the spec and weights, then builds the kernel. Allocates. Throws rtn::Error on an invalid spec,
// bad weights, an implementation that is not compiled in or does not support the shape.
std::unique_ptr<Kernel> create_kernel(const LayerSpec& spec, Implementation implementation, const Weights& weights);

}  // namespace rtn
