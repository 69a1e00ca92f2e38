#include "rtn/implementation.hpp"

#include <algorithm>

#include "rtn/registry.hpp"

namespace rtn {

// The table of implementations. Adding one: a row here (a variant after the generic rows), its kernels in
// the registry (registry.cpp), and nothing else: every tool and test enumerates this table.
struct ImplementationTable {
  struct Row {
    std::string_view name;
    Backend backend;
    std::string_view description;
  };
  // The generic rows come first, at the index of their Backend value.
  static constexpr Row kRows[] = {
      {"stl", Backend::stl, ""},
      {"eigen", Backend::eigen, ""},
      {"xsimd", Backend::xsimd, ""},
      {"xsimd.fixed", Backend::xsimd, "layer sizes known at compile time"},
  };
  static constexpr std::size_t kCount = sizeof(kRows) / sizeof(kRows[0]);

  static const Row& row(Implementation implementation) noexcept { return kRows[implementation.index_]; }
  static Implementation at(std::size_t index) noexcept {
    Implementation implementation;
    implementation.index_ = static_cast<std::uint8_t>(index);
    return implementation;
  }
};

std::string_view Implementation::name() const noexcept { return ImplementationTable::row(*this).name; }
Backend Implementation::backend() const noexcept { return ImplementationTable::row(*this).backend; }
std::string_view Implementation::description() const noexcept {
  return ImplementationTable::row(*this).description;
}

std::optional<Implementation> Implementation::parse(std::string_view name) noexcept {
  for (std::size_t i = 0; i < ImplementationTable::kCount; ++i) {
    if (ImplementationTable::kRows[i].name == name) return ImplementationTable::at(i);
  }
  return std::nullopt;
}

const std::vector<Implementation>& Implementation::all() {
  static const std::vector<Implementation> implementations = [] {
    std::vector<Implementation> list;
    for (std::size_t i = 0; i < ImplementationTable::kCount; ++i) list.push_back(ImplementationTable::at(i));
    return list;
  }();
  return implementations;
}

const std::vector<Implementation>& compiled_implementations() {
  static const std::vector<Implementation> implementations = [] {
    std::vector<Implementation> list;
    for (Implementation implementation : Implementation::all()) {
      const auto& entries = kernel_registry();
      if (std::any_of(entries.begin(), entries.end(),
                      [&](const KernelEntry& entry) { return entry.implementation == implementation; })) {
        list.push_back(implementation);
      }
    }
    return list;
  }();
  return implementations;
}

bool implementation_compiled(Implementation implementation) noexcept {
  for (Implementation compiled : compiled_implementations()) {
    if (compiled == implementation) return true;
  }
  return false;
}

}  // namespace rtn
