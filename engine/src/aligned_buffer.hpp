#pragma once
// Storage for weights and scratch: 64-byte aligned (a cache line, an AVX-512 register) and padded so
// SIMD loops can run over whole registers without a scalar tail.
#include <cstddef>
#include <new>
#include <vector>

namespace rtn {

constexpr std::size_t kAlignment = 64;
// Floats in one aligned chunk; rows of laid-out weights are padded to a multiple of this.
constexpr int kPadFloats = static_cast<int>(kAlignment / sizeof(float));

// n rounded up to a whole number of aligned chunks.
constexpr int padded_size(int n) noexcept { return (n + kPadFloats - 1) / kPadFloats * kPadFloats; }

template <typename T>
struct AlignedAllocator {
  using value_type = T;
  AlignedAllocator() noexcept = default;
  template <typename U>
  AlignedAllocator(const AlignedAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor): allocators rebind implicitly
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kAlignment}));
  }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{kAlignment}); }
  template <typename U>
  bool operator==(const AlignedAllocator<U>&) const noexcept { return true; }
  template <typename U>
  bool operator!=(const AlignedAllocator<U>&) const noexcept { return false; }
};

using AlignedFloats = std::vector<float, AlignedAllocator<float>>;

}  // namespace rtn
