// The fast activations (engine/src/backends/fast_math.hpp): their error against double-precision std::tanh
// and std::exp over dense sweeps of the floats (every float when built with -DRTN_FAST_MATH_EXHAUSTIVE),
// their special values, the monotonicity they promise, and that the float version and every lane of a
// batch give the same bits. The maxima stated in the header are what the default (strided) run measured.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "backends/fast_math.hpp"
#if defined(RTN_FAST_MATH_BATCHES)
#include "backends/xsimd_ops.hpp"
#define RTN_FAST_MATH_TEST_OPS 1
#endif

namespace rtn::testing {
namespace {

#ifdef RTN_FAST_MATH_EXHAUSTIVE
constexpr std::uint32_t kDenseStride = 1;   // every float in the ranges where the approximations work
constexpr std::uint32_t kSparseStride = 1;  // every finite float
#else
constexpr std::uint32_t kDenseStride = 5;
constexpr std::uint32_t kSparseStride = 1009;
#endif

// The promises (the header's measured maxima are below them).
// tanh and sigmoid: 2.8e-7 and 1.6e-7 with FMA; without (plain SSE4.2) 3.4e-7 and 2e-7.
constexpr double kTanhMaxAbsoluteError = 3.5e-7;
constexpr double kSigmoidMaxAbsoluteError = 2.1e-7;
constexpr std::uint32_t kTanhMaxStepBackUlp = 8;  // (6 with FMA) near ±1, where the quotient's rounding shows
constexpr double kExpMaxRelativeError = 2e-7;
constexpr double kSiluMaxRelativeError = 4e-7;

float from_bits(std::uint32_t bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
std::uint32_t to_bits(float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

const float kInfinity = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

#ifdef RTN_FAST_MATH_BATCHES
using Batch = xsimd::batch<float>;
constexpr int kWidth = static_cast<int>(Batch::size);

// The positive floats with bits in [first, last], `stride` apart, each with its sign flipped when
// `negative`, through `batch_function` a batch at a time; `visit(x, y)` sees every pair in order.
template <typename BatchFunction, typename Visit>
void sweep(std::uint32_t first, std::uint32_t last, std::uint32_t stride, bool negative,
           BatchFunction batch_function, Visit visit) {
  alignas(64) float in[kWidth];
  alignas(64) float out[kWidth];
  const std::uint32_t sign = negative ? 0x80000000u : 0u;
  std::uint64_t bits = first;
  while (bits <= last) {
    int count = 0;
    for (; count < kWidth && bits <= last; ++count, bits += stride) {
      in[count] = from_bits(static_cast<std::uint32_t>(bits) | sign);
    }
    for (int i = count; i < kWidth; ++i) in[i] = 0.0f;
    batch_function(Batch::load_aligned(in)).store_aligned(out);
    for (int i = 0; i < count; ++i) visit(in[i], out[i]);
  }
}

constexpr std::uint32_t kLargestFinite = 0x7f7fffffu;

TEST(FastMath, TanhErrorOverTheFloats) {
  double worst = 0.0;
  float worst_at = 0.0f;
  auto check = [&](float x, float y) {
    const double error = std::fabs(static_cast<double>(y) - std::tanh(static_cast<double>(x)));
    if (error > worst) worst = error, worst_at = x;
  };
  auto tanh = [](Batch v) { return fast_math::tanh(v); };
  for (bool negative : {false, true}) {
    sweep(to_bits(0x1p-12f), to_bits(9.5f), kDenseStride, negative, tanh, check);
    sweep(0, kLargestFinite, kSparseStride, negative, tanh, check);
  }
  EXPECT_LE(worst, kTanhMaxAbsoluteError) << "at x = " << worst_at;
  std::printf("fast tanh: max absolute error %.3g at x = %.9g\n", worst, worst_at);
}

TEST(FastMath, TanhIsNonDecreasingOddAndBounded) {
  // Every float from 0 to past the clamp, in order.
  // Not strictly monotone (rounding steps back by a few ulp here and there near 1), but never by more.
  float previous = 0.0f;
  bool bounded = true;
  float failed_at = 0.0f, largest_step_at = 0.0f;
  std::uint32_t largest_step_back = 0;  // in ulp
  sweep(0, to_bits(10.5f), kDenseStride, false, [](Batch v) { return fast_math::tanh(v); }, [&](float x, float y) {
    if (y < previous && to_bits(previous) - to_bits(y) > largest_step_back) {
      largest_step_back = to_bits(previous) - to_bits(y), largest_step_at = x;
    }
    if (!(y >= 0.0f && y <= 1.0f) && bounded) bounded = false, failed_at = x;
    previous = y;
  });
  EXPECT_LE(largest_step_back, kTanhMaxStepBackUlp) << "tanh steps back at " << largest_step_at;
  std::printf("fast tanh: steps back by at most %u ulp (at x = %.9g)\n", largest_step_back, largest_step_at);
  EXPECT_TRUE(bounded) << "tanh outside [0, 1] at " << failed_at;
  bool odd = true;
  sweep(0, kLargestFinite, kSparseStride, false, [](Batch v) { return fast_math::tanh(v) + fast_math::tanh(-v); },
        [&](float x, float y) {
          if (y != 0.0f && odd) odd = false, failed_at = x;
        });
  EXPECT_TRUE(odd) << "tanh(-x) != -tanh(x) at " << failed_at;
}

TEST(FastMath, SigmoidErrorOverTheFloats) {
  double worst = 0.0;
  float worst_at = 0.0f;
  auto check = [&](float x, float y) {
    const double error = std::fabs(static_cast<double>(y) - 1.0 / (1.0 + std::exp(-static_cast<double>(x))));
    if (error > worst) worst = error, worst_at = x;
  };
  auto sigmoid = [](Batch v) { return fast_math::sigmoid(v); };
  for (bool negative : {false, true}) {
    sweep(to_bits(0x1p-12f), to_bits(19.0f), kDenseStride, negative, sigmoid, check);
    sweep(0, kLargestFinite, kSparseStride, negative, sigmoid, check);
  }
  EXPECT_LE(worst, kSigmoidMaxAbsoluteError) << "at x = " << worst_at;
  std::printf("fast sigmoid: max absolute error %.3g at x = %.9g\n", worst, worst_at);
}

// Relative error of exp over its range [kExpLow, kExpHigh], and of expm1 over [-inf, kExpm1High].
TEST(FastMath, ExpAndExpm1RelativeError) {
  double worst_exp = 0.0, worst_expm1 = 0.0;
  float exp_at = 0.0f, expm1_at = 0.0f;
  auto check_exp = [&](float x, float y) {
    if (x < fast_math::detail::kExpLow || x > fast_math::detail::kExpHigh) return;
    const double reference = std::exp(static_cast<double>(x));
    const double error = std::fabs(static_cast<double>(y) - reference) / reference;
    if (error > worst_exp) worst_exp = error, exp_at = x;
  };
  auto check_expm1 = [&](float x, float y) {
    if (x > fast_math::detail::kExpm1High || x == 0.0f) return;
    const double reference = std::expm1(static_cast<double>(x));
    const double error = std::fabs(static_cast<double>(y) - reference) / std::fabs(reference);
    if (error > worst_expm1) worst_expm1 = error, expm1_at = x;
  };
  for (bool negative : {false, true}) {
    sweep(to_bits(0x1p-26f), to_bits(88.75f), kDenseStride * 16, negative, [](Batch v) { return fast_math::exp(v); },
          check_exp);
    sweep(0, kLargestFinite, kSparseStride, negative, [](Batch v) { return fast_math::exp(v); }, check_exp);
    sweep(to_bits(0x1p-26f), to_bits(88.5f), kDenseStride * 16, negative,
          [](Batch v) { return fast_math::expm1(v); }, check_expm1);
    sweep(0, kLargestFinite, kSparseStride, negative, [](Batch v) { return fast_math::expm1(v); }, check_expm1);
  }
  EXPECT_LE(worst_exp, kExpMaxRelativeError) << "at x = " << exp_at;
  EXPECT_LE(worst_expm1, kExpMaxRelativeError) << "at x = " << expm1_at;
  std::printf("fast exp: max relative error %.3g at x = %.9g; expm1: %.3g at x = %.9g\n", worst_exp, exp_at,
              worst_expm1, expm1_at);
}

TEST(FastMath, SiluRelativeError) {
  double worst = 0.0;
  float worst_at = 0.0f;
  auto check = [&](float x, float y) {
    const double v = x;
    const double reference = v / (1.0 + std::exp(-v));
    // Far left the true value is below the smallest normal float: only ask for a tiny absolute error.
    const double error = std::fabs(y - reference) / std::max(std::fabs(reference), 1e-30);
    if (error > worst) worst = error, worst_at = x;
  };
  for (bool negative : {false, true}) {
    sweep(to_bits(0x1p-26f), to_bits(100.0f), kDenseStride * 16, negative, [](Batch v) { return fast_math::silu(v); },
          check);
    sweep(0, kLargestFinite, kSparseStride, negative, [](Batch v) { return fast_math::silu(v); }, check);
  }
  EXPECT_LE(worst, kSiluMaxRelativeError) << "at x = " << worst_at;
  std::printf("fast silu: max relative error %.3g at x = %.9g\n", worst, worst_at);
}

// The inputs of the bit-identity test: a sweep over all floats of both signs plus the special values.
std::vector<float> identity_inputs() {
  std::vector<float> values = {0.0f,       -0.0f,      kInfinity, -kInfinity, kNaN,      -kNaN,
                               0x1p-149f,  -0x1p-149f, 0x1p-127f, 1e-30f,     0x1p-12f,  0.5f,
                               1.0f,       8.999f,     9.0f,      9.001f,     87.3365f,  -87.3366f,
                               88.3762f,   88.7228f,   88.72284f, 1e30f,      -1e30f,    3.4e38f};
  for (std::uint64_t bits = 0; bits <= 0xffffffffu; bits += 65521) values.push_back(from_bits(static_cast<std::uint32_t>(bits)));
  while (values.size() % kWidth != 0) values.push_back(0.25f);
  return values;
}

template <typename ScalarFunction, typename BatchFunction>
void expect_same_bits(const char* name, ScalarFunction scalar, BatchFunction batch) {
  const std::vector<float> in = identity_inputs();
  std::vector<float> out(in.size());
  for (std::size_t i = 0; i < in.size(); i += kWidth) batch(Batch::load_unaligned(in.data() + i)).store_unaligned(out.data() + i);
  int mismatches = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const float expected = scalar(in[i]);
    const bool same = std::isnan(expected) ? std::isnan(out[i]) : to_bits(expected) == to_bits(out[i]);
    if (!same && ++mismatches <= 5) {
      ADD_FAILURE() << name << "(" << in[i] << "): float " << expected << ", batch lane " << out[i];
    }
  }
  EXPECT_EQ(mismatches, 0) << name;
}

TEST(FastMath, FloatAndBatchGiveTheSameBits) {
  expect_same_bits("tanh", [](float x) { return fast_math::tanh(x); }, [](Batch v) { return fast_math::tanh(v); });
  expect_same_bits("sigmoid", [](float x) { return fast_math::sigmoid(x); },
                   [](Batch v) { return fast_math::sigmoid(v); });
  expect_same_bits("exp", [](float x) { return fast_math::exp(x); }, [](Batch v) { return fast_math::exp(v); });
  expect_same_bits("expm1", [](float x) { return fast_math::expm1(x); }, [](Batch v) { return fast_math::expm1(v); });
  expect_same_bits("silu", [](float x) { return fast_math::silu(x); }, [](Batch v) { return fast_math::silu(v); });
}
#endif  // RTN_FAST_MATH_BATCHES

TEST(FastMath, SpecialValues) {
  EXPECT_EQ(to_bits(fast_math::tanh(0.0f)), to_bits(0.0f));
  EXPECT_EQ(to_bits(fast_math::tanh(-0.0f)), to_bits(-0.0f));
  EXPECT_EQ(fast_math::tanh(kInfinity), 1.0f);
  EXPECT_EQ(fast_math::tanh(-kInfinity), -1.0f);
  EXPECT_EQ(fast_math::tanh(10.0f), 1.0f);
  EXPECT_EQ(fast_math::tanh(-1e30f), -1.0f);
  EXPECT_TRUE(std::isnan(fast_math::tanh(kNaN)));
  for (float tiny : {0x1p-149f, 0x1p-130f, 0x1p-126f, 1e-20f, 1e-5f}) {
    EXPECT_EQ(fast_math::tanh(tiny), tiny);  // tanh(x) = x for tiny x
    EXPECT_EQ(fast_math::tanh(-tiny), -tiny);
  }
  EXPECT_EQ(fast_math::sigmoid(0.0f), 0.5f);
  EXPECT_EQ(fast_math::sigmoid(20.0f), 1.0f);
  EXPECT_EQ(fast_math::sigmoid(-20.0f), 0.0f);
  EXPECT_EQ(fast_math::sigmoid(kInfinity), 1.0f);
  EXPECT_EQ(fast_math::sigmoid(-kInfinity), 0.0f);
  EXPECT_TRUE(std::isnan(fast_math::sigmoid(kNaN)));
  EXPECT_EQ(fast_math::exp(0.0f), 1.0f);
  EXPECT_EQ(fast_math::exp(-0.0f), 1.0f);
  EXPECT_EQ(fast_math::exp(-88.0f), 0.0f);
  EXPECT_EQ(fast_math::exp(-kInfinity), 0.0f);
  EXPECT_EQ(fast_math::exp(88.8f), kInfinity);
  EXPECT_EQ(fast_math::exp(kInfinity), kInfinity);
  EXPECT_TRUE(std::isfinite(fast_math::exp(fast_math::detail::kExpHigh)));
  EXPECT_GE(fast_math::exp(fast_math::detail::kExpLow), std::numeric_limits<float>::min());
  EXPECT_TRUE(std::isnan(fast_math::exp(kNaN)));
  EXPECT_EQ(fast_math::expm1(0.0f), 0.0f);
  EXPECT_EQ(fast_math::expm1(-20.0f), -1.0f);
  EXPECT_EQ(fast_math::expm1(-kInfinity), -1.0f);
  EXPECT_EQ(fast_math::expm1(kInfinity), kInfinity);
  EXPECT_TRUE(std::isnan(fast_math::expm1(kNaN)));
  EXPECT_EQ(fast_math::expm1(1e-20f), 1e-20f);
  EXPECT_EQ(fast_math::silu(0.0f), 0.0f);
  EXPECT_EQ(fast_math::silu(-200.0f), 0.0f);
  EXPECT_EQ(fast_math::silu(kInfinity), kInfinity);
  EXPECT_TRUE(std::isnan(fast_math::silu(kNaN)));
}

#ifdef RTN_FAST_MATH_TEST_OPS
// XsimdOps computes a block's tail with the same vector code: each element's bits are the float
// version's, whatever its place in the block and the block's length.
TEST(FastMath, XsimdOpsActivationsMatchTheFloatVersionAtEveryPosition) {
  std::vector<float> in(80), out(80);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = -9.5f + 0.2437f * static_cast<float>(i);
  for (int offset : {0, 1, 3}) {
    for (int n : {1, 5, 16, 17, 37, 64}) {
      XsimdOps::tanh(out.data() + offset, in.data() + offset, n);
      for (int i = 0; i < n; ++i) EXPECT_EQ(to_bits(out[offset + i]), to_bits(fast_math::tanh(in[offset + i])));
      XsimdOps::sigmoid(out.data() + offset, in.data() + offset, n);
      for (int i = 0; i < n; ++i) EXPECT_EQ(to_bits(out[offset + i]), to_bits(fast_math::sigmoid(in[offset + i])));
      XsimdOps::silu(out.data() + offset, in.data() + offset, n);
      for (int i = 0; i < n; ++i) EXPECT_EQ(to_bits(out[offset + i]), to_bits(fast_math::silu(in[offset + i])));
    }
  }
}
#endif

}  // namespace
}  // namespace rtn::testing
