#include "rtn/backend.hpp"

namespace rtn {

std::string_view backend_name(Backend backend) noexcept {
  switch (backend) {
    case Backend::stl: return "stl";
    case Backend::eigen: return "eigen";
    case Backend::xsimd: return "xsimd";
  }
  return "unknown";
}

std::optional<Backend> parse_backend(std::string_view name) noexcept {
  for (Backend backend : {Backend::stl, Backend::eigen, Backend::xsimd}) {
    if (backend_name(backend) == name) return backend;
  }
  return std::nullopt;
}

const std::vector<Backend>& compiled_backends() {
  static const std::vector<Backend> backends = {
      Backend::stl,
#ifdef RTN_HAVE_EIGEN
      Backend::eigen,
#endif
#ifdef RTN_HAVE_XSIMD
      Backend::xsimd,
#endif
  };
  return backends;
}

bool backend_compiled(Backend backend) noexcept {
  for (Backend compiled : compiled_backends()) {
    if (compiled == backend) return true;
  }
  return false;
}

}  // namespace rtn
