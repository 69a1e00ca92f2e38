#pragma once
// Counts heap allocations made by this thread while a CountAllocations is alive. The test program that
// links allocation_counter.cpp replaces operator new/delete and malloc/calloc/realloc, so every path
// to the heap is seen.
#include <cstddef>

namespace rtn::testing {

class CountAllocations {
 public:
  CountAllocations() noexcept;
  ~CountAllocations();
  CountAllocations(const CountAllocations&) = delete;
  CountAllocations& operator=(const CountAllocations&) = delete;
  // Allocations (and reallocations) since construction.
  std::size_t count() const noexcept;

 private:
  std::size_t start_;
};

}  // namespace rtn::testing
