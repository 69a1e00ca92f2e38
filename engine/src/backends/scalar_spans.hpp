#pragma once
// Spans of one value (see XsimdOps::for_each_span): how the scalar backends (stl, eigen) run the element-wise
// loops that the kernel templates write once over spans of a register's width.
#include "backends/isa_namespace.hpp"

namespace rtn {
inline namespace RTN_ISA_NAMESPACE {  // one per instruction-set level: isa_namespace.hpp

struct ScalarSpans {
  template <typename N, typename Op>
  static void for_each_span(N n, Op op) noexcept {
    for (int i = 0; i < n; ++i) op(0.0f, i);
  }
  template <typename V>
  static V load(const float* p) noexcept { return *p; }
  static void store(float* p, float v) noexcept { *p = v; }
};

}  // namespace RTN_ISA_NAMESPACE
}  // namespace rtn
