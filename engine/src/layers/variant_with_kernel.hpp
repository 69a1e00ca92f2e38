#pragma once
// The built-in default rules' common question (rtn/layer_descriptor.hpp's default_implementation): does a
// variant such as xsimd.fixed or xsimd.lanes compute this shape in this build?
#include <optional>
#include <string_view>

#include "rtn/implementation.hpp"
#include "rtn/layer_spec.hpp"
#include "rtn/registry.hpp"

namespace rtn {

// The implementation named `name` when this build has a kernel of it for `spec` (compiled in, and the shape
// is one it computes), else nothing. For choices made when a model is built, not per call.
inline std::optional<Implementation> variant_with_kernel(const LayerSpec& spec, std::string_view name) {
  const std::optional<Implementation> variant = Implementation::parse(name);
  if (variant && find_kernel(spec, *variant)) return variant;
  return std::nullopt;
}

}  // namespace rtn
