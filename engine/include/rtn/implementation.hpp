#pragma once
// An implementation: how a kernel computes. A backend (the library its arithmetic is written with: stl,
// eigen, xsimd) plus a variant of the algorithm, named "backend" for the generic kernels and
// "backend.variant" for the others ("xsimd.fixed": sizes known at compile time). The kernel registry lists
// which (layer kind, implementation) pairs this build has; the tests, the tuner, the dispatcher and the
// tools enumerate implementations from it, never by name.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "rtn/backend.hpp"

namespace rtn {

class Implementation {
 public:
  // The generic kernels of `backend` (implicit: a backend names its generic implementation).
  constexpr Implementation(Backend backend = Backend::stl) noexcept : index_(static_cast<std::uint8_t>(backend)) {}

  // "xsimd", "xsimd.fixed".
  std::string_view name() const noexcept;
  // The backend it is written with: the family it belongs to.
  Backend backend() const noexcept;
  // What the variant does differently, for people ("sizes known at compile time"); empty for generic.
  std::string_view description() const noexcept;
  // Parses a name; nullopt for one this build of rtn does not know.
  static std::optional<Implementation> parse(std::string_view name) noexcept;
  // Every implementation rtn knows (whether compiled in or not), generic ones first in backend order.
  static const std::vector<Implementation>& all();

  friend constexpr bool operator==(Implementation a, Implementation b) noexcept { return a.index_ == b.index_; }
  friend constexpr bool operator!=(Implementation a, Implementation b) noexcept { return a.index_ != b.index_; }
  friend constexpr bool operator<(Implementation a, Implementation b) noexcept { return a.index_ < b.index_; }

 private:
  friend struct ImplementationTable;
  std::uint8_t index_;  // into the table in implementation.cpp; the generic ones share the Backend's value
};

// The implementations with at least one kernel in this build's registry, in Implementation::all()'s order.
// Allocates on the first call only.
const std::vector<Implementation>& compiled_implementations();
bool implementation_compiled(Implementation implementation) noexcept;

}  // namespace rtn
