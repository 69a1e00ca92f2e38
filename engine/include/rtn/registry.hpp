#pragma once
// The kernel registry: every (layer kind, backend) implementation compiled into this build.
// Tests, the tuner and the model all iterate it, so registering a kernel is all it takes for it to be
// tested, benchmarked and selectable.
#include <memory>
#include <vector>

#include "rtn/backend.hpp"
#include "rtn/kernel.hpp"
#include "rtn/layer_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn {

// Builds a kernel; the weights have already passed check_weights(). Allocates; may throw rtn::Error.
using KernelFactory = std::unique_ptr<Kernel> (*)(const LayerSpec& spec, const Weights& weights);

struct KernelEntry {
  LayerKind kind;
  Backend backend;
  KernelFactory create;
};

// Every registered kernel, ordered by kind then backend.
const std::vector<KernelEntry>& kernel_registry();
// The entry for (kind, backend), or nullptr when that backend is not compiled in.
const KernelEntry* find_kernel(LayerKind kind, Backend backend) noexcept;

// Checks the spec and weights, then builds the kernel. Allocates. Throws rtn::Error on an invalid spec,
// bad weights, or a backend that is not compiled in.
std::unique_ptr<Kernel> create_kernel(const LayerSpec& spec, Backend backend, const Weights& weights);

}  // namespace rtn
