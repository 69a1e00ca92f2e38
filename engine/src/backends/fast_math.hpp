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
//   tanh(x)    = sign(x) min(1, m P(m^2) / Q(m^2)), m = min(|x|, 9.5), P and Q of degree 4 evaluated by
//                Estrin's scheme: about 40 cycles from x to tanh(x) (the expm1 form it replaced took 70, paid
//                twice per step of a recurrent cell). Max absolute error 2.8e-7 with FMA (x86-64-v3 and up,
//                NEON), 3.4e-7 without (relative error near 0 below 1.6e-7, tanh(x) = x for tiny x); odd bit for
//                bit, tanh(±0) = ±0, exactly ±1 for |x| >= 9.5 and ±inf, never beyond ±1, NaN -> NaN. Not
//                strictly monotone: near ±1 it steps back by up to 6 ulp (8 without FMA) in places.
//   sigmoid(x) = 1/2 + 1/2 tanh(x / 2), with the factors of two folded into the coefficients (exact): the same
//                latency as tanh. Max absolute error 1.6e-7 with FMA, 2e-7 without; 0 and 1 far out, NaN -> NaN.
//   silu(x)    = x / (1 + exp(-x)): max relative error 2.7e-7 (2.6e-7 measured at -88.72).
// None of them allocates, branches on data or touches errno. The float versions need no xsimd: a portable
// build without it still has them.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "backends/isa_namespace.hpp"
#if __has_include(<xsimd/xsimd.hpp>)
#include <xsimd/xsimd.hpp>
#define RTN_FAST_MATH_BATCHES 1
#endif

namespace rtn {
inline namespace RTN_ISA_NAMESPACE {  // one per instruction-set level: isa_namespace.hpp
namespace fast_math {

// Whether xsimd's batch fma is fused on this target: see the comment at the top. (XsimdOps's block
// products read it too: without FMA a product needs a register of its own.)
#if defined(__FMA__) || defined(__AVX512F__) || defined(__ARM_NEON) || defined(__aarch64__)
inline constexpr bool kFused = true;
#else
inline constexpr bool kFused = false;
#endif

namespace detail {

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
#if XSIMD_WITH_AVX512F
  // xsimd 8's AVX-512 fma is a * b + c, fused only where GCC contracts it (not under the sanitizers).
  if constexpr (std::is_base_of<xsimd::avx512f, A>::value) return _mm512_fmadd_ps(a, b, c);
#endif
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
inline constexpr float kTanhClamp = 9.5f;
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

// tanh |x| ~ m P(m^2) / Q(m^2) on [0, 9.5] (scripts/fast_math_coefficients.py fitted P and Q on [0, 9]; beyond,
// the quotient exceeds 1 and the bound takes over), P(0) = Q(0) = 1. A coefficient set holds P and Q scaled for
// tanh(x / s) / b, s and b powers of two: the same quotient, every operation scaled exactly.
struct TanhQuotient {
  float clamp, bound;  // m = min(|x|, clamp); the result is at most bound
  float p1, p2, p3, p4;  // P(0) = 1
  float q0, q1, q2, q3, q4;
};
inline constexpr float kTanhP1 = 0.133803129f, kTanhP2 = 0.0034947535f, kTanhP3 = 2.05959986e-05f,
                       kTanhP4 = 1.33379325e-08f;
inline constexpr float kTanhQ1 = 0.467136323f, kTanhQ2 = 0.0258737728f, kTanhQ3 = 0.000328429625f,
                       kTanhQ4 = 7.76940851e-07f;
inline constexpr TanhQuotient kTanh = {kTanhClamp, 1.0f,    kTanhP1, kTanhP2, kTanhP3, kTanhP4,
                                       1.0f,       kTanhQ1, kTanhQ2, kTanhQ3, kTanhQ4};
// sigmoid(x) - 1/2 = tanh(x / 2) / 2 = |x| P(x^2 / 4) / (4 Q(x^2 / 4)) with x's sign: the k-th coefficients over
// 4^k, Q's times 4 more.
inline constexpr TanhQuotient kHalfTanhOfHalf = {
    2.0f * kTanhClamp, 0.5f, kTanhP1 / 4, kTanhP2 / 16, kTanhP3 / 64, kTanhP4 / 256,
    4.0f,              kTanhQ1, kTanhQ2 / 4, kTanhQ3 / 16, kTanhQ4 / 64};

// sign(x) min(bound, m P(m^2) / Q(m^2)). Estrin's scheme: m P = (m + p1 t m) + t^2 m (p2 + p3 t + p4 t^2), so x
// reaches the division through abs, min, four products or multiply-adds, and the division. No plain product
// feeds an addition (only multiply_add's factors): GCC would contract it into a multiply-add of its own choosing
// in one version and not the other. NaN passes the clamp and the bound (their second argument).
template <typename V>
inline V tanh_quotient(V x, const TanhQuotient& c) noexcept {
  const V m = minimum(V(c.clamp), absolute(x));
  const V t = m * m;
  const V t2 = t * t;
  const V low_p = multiply_add(V(c.p1), t * m, m);
  const V high_p = multiply_add(V(c.p4), t2, multiply_add(V(c.p3), t, V(c.p2)));
  const V numerator = multiply_add(high_p, t2 * m, low_p);
  const V high_q = multiply_add(V(c.q4), t2, multiply_add(V(c.q3), t, V(c.q2)));
  const V denominator = multiply_add(high_q, t2, multiply_add(V(c.q1), t, V(c.q0)));
  return with_sign_of(minimum(V(c.bound), divide(numerator, denominator)), x);
}

template <typename V>
inline V tanh(V x) noexcept {
  return tanh_quotient(x, kTanh);
}

template <typename V>
inline V sigmoid(V x) noexcept {
  return tanh_quotient(x, kHalfTanhOfHalf) + V(0.5f);
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
inline float sigmoid(float x) noexcept { return detail::sigmoid(x); }
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
  return detail::sigmoid(x);
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
