#pragma once
// The backends a kernel can be implemented on. All compiled-in backends live in the same library,
// so a model may run each layer on a different one.
#include <optional>
#include <string_view>
#include <vector>

namespace rtn {

enum class Backend { stl, eigen, xsimd };

// "stl", "eigen", "xsimd".
std::string_view backend_name(Backend backend) noexcept;
// Parses a backend name; nullopt for an unknown one.
std::optional<Backend> parse_backend(std::string_view name) noexcept;
// The backends compiled into this build of the library, in enum order. Allocates.
const std::vector<Backend>& compiled_backends();
bool backend_compiled(Backend backend) noexcept;

}  // namespace rtn
