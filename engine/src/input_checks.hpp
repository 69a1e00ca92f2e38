#pragma once
// What Model and StaticModel check of the caller's buffers on every call: whether the input overlaps the
// output, and whether every input sample is finite (a non-finite one is processed as silence). Inline, and in
// the namespace of the code's instruction-set level (backends/isa_namespace.hpp): StaticModel compiles them
// in the caller's translation unit with the caller's flags.
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "backends/isa_namespace.hpp"

namespace rtn {
inline namespace RTN_ISA_NAMESPACE {

inline bool overlaps(const float* a, std::size_t a_count, const float* b, std::size_t b_count) noexcept {
  const auto a_begin = reinterpret_cast<std::uintptr_t>(a);
  const auto b_begin = reinterpret_cast<std::uintptr_t>(b);
  return a_begin < b_begin + b_count * sizeof(float) && b_begin < a_begin + a_count * sizeof(float);
}

// Whether every value is finite, by the exponent bits (integer operations: a float test could not be
// reordered without -ffast-math). Four at a time with SSE2 (every x86-64 has it, so the portable build too),
// then one at a time: a per-sample call checks a frame of a few values, and GCC's own vectorised loop for a
// run-time count (wide registers, a prologue and an epilogue) made the whole of Model::process() set up a
// larger stack frame, while its scalar loop took about as long as a Dense 16 kernel.
inline bool all_finite(const float* values, int count) noexcept {
  constexpr std::uint32_t kExponent = 0x7f800000u;  // all ones: infinity or NaN
  int i = 0;
  bool any = false;
#if defined(__SSE2__)
  const __m128i exponent = _mm_set1_epi32(static_cast<int>(kExponent));
  __m128i non_finite = _mm_setzero_si128();
  for (; i + 4 <= count; i += 4) {
    const __m128i bits = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(values + i)), exponent);
    non_finite = _mm_or_si128(non_finite, _mm_cmpeq_epi32(bits, exponent));
  }
  any = _mm_movemask_epi8(non_finite) != 0;
#endif
  for (; i < count; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, values + i, sizeof bits);
    any |= (bits & kExponent) == kExponent;
  }
  return !any;
}

// all_finite for blocks, where it is not inlined into a per-sample path: the largest magnitude's bits (a max
// reduction, which GCC vectorises at the build's widest registers), kLanes of them kept apart so that
// several vector registers take loads each cycle. Dense 64 in blocks of 64 and 256 ran 1.05x and 1.02x
// faster with it than with all_finite's SSE2 loop (Intel Xeon, AVX-512).
inline bool all_finite_block(const float* values, int count) noexcept {
  constexpr std::uint32_t kExponent = 0x7f800000u;  // a magnitude this large or larger: infinity or NaN
  constexpr int kLanes = 32;
  const auto magnitude = [values](int i) {  // a value's bits without the sign
    std::uint32_t bits;
    std::memcpy(&bits, values + i, sizeof bits);
    return bits & 0x7fffffffu;
  };
  std::uint32_t largest[kLanes] = {};
  int i = 0;
  for (; i + kLanes <= count; i += kLanes) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const std::uint32_t bits = magnitude(i + lane);
      largest[lane] = bits > largest[lane] ? bits : largest[lane];
    }
  }
  for (; i < count; ++i) {
    const std::uint32_t bits = magnitude(i);
    largest[0] = bits > largest[0] ? bits : largest[0];
  }
  std::uint32_t overall = 0;
  for (const std::uint32_t lane : largest) overall = lane > overall ? lane : overall;
  return overall < kExponent;
}

}  // namespace RTN_ISA_NAMESPACE
}  // namespace rtn
