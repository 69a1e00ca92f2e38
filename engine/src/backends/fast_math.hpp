#pragma once
// Fast, accurate activations: tanh, sigmoid, exp, expm1 (and SiLU, ELU through them), each written once as
// a template over the value type, so that one xsimd batch (whatever instruction set the translation unit
// targets: SSE, AVX2, AVX-512, NEON) and one float compute the same formula, operation for operation. A
// scalar tail or a portable build therefore gets the same bits as a lane of a batch.
//
// Bit identity rests on three things. Every product that feeds a sum is an explicit multiply_add, never
// `a * b + c`, which the compiler may or may not contract into an FMA (-ffp-contract). multiply_add is
// fused in both versions exactly when xsimd's batch fma is (x86 with FMA3 or AVX-512, and NEON); on a
// target without FMA (plain SSE4.2) xsimd multiplies then adds, and so does the float version. And
// minimum / maximum take the variable second, as x86's minps / maxps do, so a NaN comes through both.
//
// The polynomial's coefficients were fitted for rtn by scripts/fast_math_coefficients.py (least squares
// with Lawson's reweighting towards minimax, then rounded to float). The errors below were measured against
// double-precision std::tanh / std::exp by tests/cpp/fast_math_test.cpp: every 5th float where the
// approximations work (every 80th for exp), every 1009th float of the rest; -DRTN_FAST_MATH_EXHAUSTIVE
// takes every float (slow, not yet run to the end). docs/backends.md has the speeds.
//
//   exp(x)     = 2^n p(r), x = n ln2 + r, |r| <= ln2 / 2, p(r) = 1 + r + r^2 q(r), q of degree 4. Max relative
//                error 8.3e-8 for x in [-87.33654, 88.72283] (every result there is normal); +0 below, +inf
//                above, NaN -> NaN.
//   expm1(x)   = 2^n (p(r) - 1) + (2^n - 1): max relative error 1.2e-7 for x <= 88.37 (-1 far left),
//                +inf above 88.37 (where the true value exceeds 2^127.5), NaN -> NaN.
//   tanh(x)    = sign(x) E / (E + 2), E = expm1(2 min(|x|, 10)). Max absolute error 8.9e-8
//                (relative error near 0 alike: tanh(x) = x for tiny x); odd bit for bit, tanh(±0) = ±0,
//                exactly ±1 for |x| >= 10 and ±inf, NaN -> NaN. Not strictly monotone: it steps back by at
//                most 2 ulp (1.2e-7) in places.
//   sigmoid(x) = 0.5 + 0.5 tanh(x / 2): max absolute error 7.5e-8 (absolute: far left it gives 0 where the
//                true value is below 3e-8); 0 and 1 far out, NaN -> NaN.
//   silu(x)    = x / (1 + exp(-x)): max relative error 2.7e-7 (2.6e-7 measured at -88.72).
// None of them allocates, branches on data or touches errno. The float versions need no xsimd: a portable
// build without it still has them.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "backends/isa_namespace.hpp"
#if __has_include(<xsimd/xsimd.hpp>)
#include <xsimd/xsimd.hpp>
#define RTN_FAST_MATH_BATCHES 1
#endif

namespace rtn {
inline namespace RTN_ISA_NAMESPACE {  // one per instruction-set level: isa_namespace.hpp
namespace fast_math {

namespace detail {

// Whether xsimd's batch fma is fused on this target: see the comment at the top.
#if defined(__FMA__) || defined(__AVX512F__) || defined(__ARM_NEON) || defined(__aarch64__)
inline constexpr bool kFused = true;
#else
inline constexpr bool kFused = false;
#endif

inline float multiply_add(float a, float b, float c) noexcept {
  if constexpr (kFused) {
    return std::fma(a, b, c);
  } else {
    const float product = a * b;  // no FMA instruction on this target, so nothing to contract into
    return product + c;
  }
}
#ifdef RTN_FAST_MATH_BATCHES
template <typename A>
inline xsimd::batch<float, A> multiply_add(xsimd::batch<float, A> a, xsimd::batch<float, A> b,
                                           xsimd::batch<float, A> c) noexcept {
  return xsimd::fma(a, b, c);
}
#if defined(__FMA__) && XSIMD_WITH_SSE4_2
// xsimd's 4-lane batch on an AVX target (XsimdOps' narrowest span) multiplies then adds in its fma: fused here,
// as every other batch and the float version are.
inline xsimd::batch<float, xsimd::sse4_2> multiply_add(xsimd::batch<float, xsimd::sse4_2> a,
                                                       xsimd::batch<float, xsimd::sse4_2> b,
                                                       xsimd::batch<float, xsimd::sse4_2> c) noexcept {
  return _mm_fmadd_ps(a, b, c);
}
#endif
#endif

// a / b. xsimd 8 divides float batches on NEON by a reciprocal estimate refined twice (not correctly rounded),
// even on aarch64, which has a true division: that one, so a batch lane gives the float version's bits.
template <typename V>
inline V divide(V a, V b) noexcept {
  return a / b;
}
#if defined(RTN_FAST_MATH_BATCHES) && XSIMD_WITH_NEON64
inline xsimd::batch<float, xsimd::neon64> divide(xsimd::batch<float, xsimd::neon64> a,
                                                 xsimd::batch<float, xsimd::neon64> b) noexcept {
  return vdivq_f32(a, b);
}
#endif

// minps / maxps semantics: the second argument when either is NaN.
inline float minimum(float a, float b) noexcept { return a < b ? a : b; }
inline float maximum(float a, float b) noexcept { return a > b ? a : b; }
#ifdef RTN_FAST_MATH_BATCHES
template <typename A>
inline xsimd::batch<float, A> minimum(xsimd::batch<float, A> a, xsimd::batch<float, A> b) noexcept {
  return xsimd::min(a, b);
}
template <typename A>
inline xsimd::batch<float, A> maximum(xsimd::batch<float, A> a, xsimd::batch<float, A> b) noexcept {
  return xsimd::max(a, b);
}
#endif

// The float's bits, and back.
inline std::int32_t to_bits(float v) noexcept {
  std::int32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
inline float from_bits(std::int32_t bits) noexcept {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
// v * 2^n, for the n whose bits sit in the low bits of `shifted` (the rounding-shift trick): n is added to
// v's exponent field. In unsigned arithmetic, which wraps as the vector lanes do (a signed shift of these
// bits would overflow: undefined behaviour, as UBSan says).
inline float scale_by_exponent(float v, float shifted) noexcept {
  const std::uint32_t bits =
      static_cast<std::uint32_t>(to_bits(v)) + (static_cast<std::uint32_t>(to_bits(shifted)) << 23);
  return from_bits(static_cast<std::int32_t>(bits));
}
#ifdef RTN_FAST_MATH_BATCHES
template <typename A>
inline xsimd::batch<std::int32_t, A> to_bits(xsimd::batch<float, A> v) noexcept {
  return xsimd::bitwise_cast<xsimd::batch<std::int32_t, A>>(v);
}
template <typename A>
inline xsimd::batch<float, A> from_bits(xsimd::batch<std::int32_t, A> bits) noexcept {
  return xsimd::bitwise_cast<xsimd::batch<float, A>>(bits);
}
template <typename A>
inline xsimd::batch<float, A> scale_by_exponent(xsimd::batch<float, A> v, xsimd::batch<float, A> shifted) noexcept {
  return from_bits(to_bits(v) + (to_bits(shifted) << 23));
}
#endif

// (less ? if_less : otherwise), lane by lane; NaN compares false.
inline float select_less(float a, float b, float if_less, float otherwise) noexcept {
  return a < b ? if_less : otherwise;
}
#ifdef RTN_FAST_MATH_BATCHES
template <typename A>
inline xsimd::batch<float, A> select_less(xsimd::batch<float, A> a, xsimd::batch<float, A> b,
                                          xsimd::batch<float, A> if_less, xsimd::batch<float, A> otherwise) noexcept {
  return xsimd::select(a < b, if_less, otherwise);
}
#endif

// |x|, and |y| with x's sign bit (y >= 0 or NaN): bit operations, exact.
template <typename V>
inline V absolute(V x) noexcept {
  using Bits = decltype(to_bits(x));
  return from_bits(to_bits(x) & Bits(0x7fffffff));
}
template <typename V>
inline V with_sign_of(V y, V x) noexcept {
  using Bits = decltype(to_bits(x));
  return from_bits(to_bits(y) | (to_bits(x) & Bits(-0x7fffffff - 1)));
}

// The coefficients and constants (scripts/fast_math_coefficients.py prints them).
inline constexpr float kTanhClamp = 10.0f;
inline constexpr float kExpQ0 = 0.49999997f, kExpQ1 = 0.166665435f, kExpQ2 = 0.0416672006f, kExpQ3 = 0.008366514f,
                       kExpQ4 = 0.00138825225f;
inline constexpr float kLog2e = 1.44269502f, kLn2 = 0.693147182f;
// ln 2 in two parts: the first has 16 significant bits, so n * kLn2High is exact for |n| <= 256 even
// without an FMA, and x - n * kLn2High is exact too.
inline constexpr float kLn2High = 0.693145752f, kLn2Low = 1.42860677e-06f;
// Adding 1.5 * 2^23 rounds a float of magnitude below 2^22 to an integer, which then sits in the low
// mantissa bits.
inline constexpr float kRoundingShift = 12582912.0f;
// exp's range: every result in it is a normal float (the smallest float x with x >= ln(FLT_MIN), and
// the largest with exp(x) <= FLT_MAX).
inline constexpr float kExpLow = -87.3365402f, kExpHigh = 88.7228317f;
// expm1's range: below, the result is -1 anyway; above, 2^n would overflow.
inline constexpr float kExpm1Low = -87.0f, kExpm1High = 88.3762589f;

// x = n ln2 + r: returns r and sets shifted to n + kRoundingShift (n in its low mantissa bits).
template <typename V>
inline V reduce(V x, V& shifted) noexcept {
  shifted = multiply_add(x, V(kLog2e), V(kRoundingShift));
  const V n = shifted - V(kRoundingShift);  // exact
  const V r = multiply_add(n, V(-kLn2High), x);
  return multiply_add(n, V(-kLn2Low), r);
}

// e^r - 1 for |r| <= ln2 / 2 (and a little beyond).
template <typename V>
inline V expm1_reduced(V r) noexcept {
  V q = multiply_add(V(kExpQ4), r, V(kExpQ3));
  q = multiply_add(q, r, V(kExpQ2));
  q = multiply_add(q, r, V(kExpQ1));
  q = multiply_add(q, r, V(kExpQ0));
  return multiply_add(r * r, q, r);
}

// 2^n (e^r - 1) + (2^n - 1) = e^x - 1 for x = n ln2 + r, with 2^n normal (x in about [-87, 88.37]).
template <typename V>
inline V expm1_unclamped(V x) noexcept {
  V shifted;
  const V r = reduce(x, shifted);
  const V scale = scale_by_exponent(V(1.0f), shifted);  // 2^n
  return multiply_add(scale, expm1_reduced(r), scale - V(1.0f));
}

// tanh |x| = E / (E + 2) with E = e^(2|x|) - 1: no cancellation anywhere, so the relative error of E
// reaches the result shrunk by 2 / (E + 2), and tanh(x) = x for tiny x (E = 2x, E + 2 = 2). |x| is clamped
// at 10, where the quotient rounds to 1; NaN passes through the clamp (second argument). E comes from
// expm1's polynomial with r halved (2|x| = n ln2 + 2r, e^(2r) - 1 = r (2 + r q(r)), q's coefficients
// expm1's times powers of two, exact), and from a one-constant reduction: its error, n (ln2 - float ln2)
// / 2 < 3e-8 at n = 29, is shrunk by 2 / (E + 2) < 2^-(n-1) before it reaches the result.
template <typename V>
inline V tanh(V x) noexcept {
  const V magnitude = minimum(V(kTanhClamp), absolute(x));
  const V shifted = multiply_add(magnitude, V(2.0f * kLog2e), V(kRoundingShift));
  const V n = shifted - V(kRoundingShift);
  const V r = multiply_add(n, V(-0.5f * kLn2), magnitude);
  V q = multiply_add(V(64.0f * kExpQ4), r, V(32.0f * kExpQ3));
  q = multiply_add(q, r, V(16.0f * kExpQ2));
  q = multiply_add(q, r, V(8.0f * kExpQ1));
  q = multiply_add(q, r, V(4.0f * kExpQ0));
  const V e2r_minus_1 = r * multiply_add(r, q, V(2.0f));
  const V scale = scale_by_exponent(V(1.0f), shifted);  // 2^n
  const V e = multiply_add(scale, e2r_minus_1, scale - V(1.0f));
  return with_sign_of(divide(e, e + V(2.0f)), x);
}

template <typename V>
inline V exp(V x) noexcept {
  const V clamped = minimum(V(kExpHigh), maximum(V(kExpLow), x));
  V shifted;
  const V r = reduce(clamped, shifted);
  const V p = expm1_reduced(r) + V(1.0f);
  // p * 2^n by adding n to the exponent field: exact, as every result in the range is normal.
  const V result = scale_by_exponent(p, shifted);
  return select_less(x, V(kExpLow), V(0.0f),
                     select_less(V(kExpHigh), x, V(std::numeric_limits<float>::infinity()), result));
}

template <typename V>
inline V expm1(V x) noexcept {
  const V result = expm1_unclamped(minimum(V(kExpm1High), maximum(V(kExpm1Low), x)));
  return select_less(V(kExpm1High), x, V(std::numeric_limits<float>::infinity()), result);
}

}  // namespace detail

// The public functions, for a float or an xsimd batch of floats.
inline float tanh(float x) noexcept { return detail::tanh(x); }
inline float sigmoid(float x) noexcept { return detail::multiply_add(0.5f, detail::tanh(0.5f * x), 0.5f); }
inline float exp(float x) noexcept { return detail::exp(x); }
inline float expm1(float x) noexcept { return detail::expm1(x); }
// x * sigmoid(x) as x / (1 + e^-x): relative error within 4e-7 everywhere.
inline float silu(float x) noexcept { return x / (detail::exp(-x) + 1.0f); }

#ifdef RTN_FAST_MATH_BATCHES
template <typename A>
inline xsimd::batch<float, A> tanh(xsimd::batch<float, A> x) noexcept {
  return detail::tanh(x);
}
template <typename A>
inline xsimd::batch<float, A> sigmoid(xsimd::batch<float, A> x) noexcept {
  using V = xsimd::batch<float, A>;
  return detail::multiply_add(V(0.5f), detail::tanh(V(0.5f) * x), V(0.5f));
}
template <typename A>
inline xsimd::batch<float, A> exp(xsimd::batch<float, A> x) noexcept {
  return detail::exp(x);
}
template <typename A>
inline xsimd::batch<float, A> expm1(xsimd::batch<float, A> x) noexcept {
  return detail::expm1(x);
}
template <typename A>
inline xsimd::batch<float, A> silu(xsimd::batch<float, A> x) noexcept {
  using V = xsimd::batch<float, A>;
  return detail::divide(x, detail::exp(-x) + V(1.0f));
}
#endif

}  // namespace fast_math
}  // inline namespace RTN_ISA_NAMESPACE
}  // namespace rtn
