// ns per 16 floats: fast tanh/sigmoid/exp vs xsimd::tanh, std::tanh, Eigen's tanh, NAM's fast tanh; and the
// latency (ns from x to f(x) in a chain of dependent calls, as a recurrent cell's step waits for its activations).
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>
#include "backends/fast_math.hpp"
using Batch = xsimd::batch<float>;
constexpr int W = Batch::size, N = 4096, REPS = 15;
alignas(64) float in[N], out[N];
template <class F> double time_it(F f) {
  std::vector<double> t;
  for (int r = 0; r < REPS; ++r) {
    auto a = std::chrono::steady_clock::now();
    for (int k = 0; k < 200; ++k) { f(); asm volatile("" ::"r"(out) : "memory"); }
    auto b = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::nano>(b - a).count() / 200 / (N / 16.0));
  }
  std::sort(t.begin(), t.end());
  return t[REPS / 2];
}
template <class Op> void batches(Op op) { for (int i = 0; i < N; i += W) op(Batch::load_aligned(in + i)).store_aligned(out + i); }
// ns per call of f in a chain y <- f(1.7 y + 0.3) (a multiply-add, 4 cycles, included); the best of 101 rounds.
template <class F> double latency(F f) {
  double best = 1e30;
  for (int r = 0; r < 101; ++r) {
    Batch y(0.1f);
    const auto a = std::chrono::steady_clock::now();
    for (int i = 0; i < 20000; ++i) y = f(xsimd::fma(y, Batch(1.7f), Batch(0.3f)));
    const auto b = std::chrono::steady_clock::now();
    asm volatile("" ::"m"(y));
    best = std::min(best, std::chrono::duration<double, std::nano>(b - a).count() / 20000);
  }
  return best;
}
inline float nam_tanh(float x) {
  const float ax = std::fabs(x), x2 = x * x;
  return x * (2.45550750702956f + 2.45550750702956f * ax + (0.893229853513558f + 0.821226666969744f * ax) * x2) /
         (2.44506634652299f + (2.44506634652299f + x2) * std::fabs(x + 0.814642734961073f * x * ax));
}
inline Batch nam_tanh(Batch x) {
  const Batch ax = xsimd::abs(x), x2 = x * x;
  return x * (Batch(2.45550750702956f) + Batch(2.45550750702956f) * ax + (Batch(0.893229853513558f) + Batch(0.821226666969744f) * ax) * x2) /
         (Batch(2.44506634652299f) + (Batch(2.44506634652299f) + x2) * xsimd::abs(x + Batch(0.814642734961073f) * x * ax));
}
int main() {
  for (int i = 0; i < N; ++i) in[i] = -6.0f + 12.0f * (i * 0.618034f - int(i * 0.618034f));
  std::printf("xsimd arch %s, width %d\n", xsimd::default_arch::name(), W);
  std::printf("fast_math::tanh     %.2f\n", time_it([] { batches([](Batch v) { return rtn::fast_math::tanh(v); }); }));
  std::printf("fast_math::sigmoid  %.2f\n", time_it([] { batches([](Batch v) { return rtn::fast_math::sigmoid(v); }); }));
  std::printf("fast_math::exp      %.2f\n", time_it([] { batches([](Batch v) { return rtn::fast_math::exp(v); }); }));
  std::printf("fast_math::expm1    %.2f\n", time_it([] { batches([](Batch v) { return rtn::fast_math::expm1(v); }); }));
  std::printf("fast_math::silu     %.2f\n", time_it([] { batches([](Batch v) { return rtn::fast_math::silu(v); }); }));
  std::printf("NAM fast tanh batch %.2f\n", time_it([] { batches([](Batch v) { return nam_tanh(v); }); }));
  std::printf("NAM fast tanh loop  %.2f\n", time_it([] { for (int i = 0; i < N; ++i) out[i] = nam_tanh(in[i]); }));
  std::printf("xsimd::tanh         %.2f\n", time_it([] { batches([](Batch v) { return xsimd::tanh(v); }); }));
  std::printf("xsimd::exp          %.2f\n", time_it([] { batches([](Batch v) { return xsimd::exp(v); }); }));
  std::printf("std::tanh           %.2f\n", time_it([] { for (int i = 0; i < N; ++i) out[i] = std::tanh(in[i]); }));
  std::printf("Eigen tanh          %.2f\n", time_it([] { Eigen::Map<Eigen::ArrayXf>(out, N) = Eigen::Map<const Eigen::ArrayXf>(in, N).tanh(); }));
  std::printf("fast tanh scalar    %.2f\n", time_it([] { for (int i = 0; i < N; ++i) out[i] = rtn::fast_math::tanh(in[i]); }));
  std::printf("latency (ns, chain of dependent calls, one multiply-add included):\n");
  std::printf("  multiply-add only   %.2f\n", latency([](Batch v) { return v; }));
  std::printf("  fast_math::tanh     %.2f\n", latency([](Batch v) { return rtn::fast_math::tanh(v); }));
  std::printf("  fast_math::sigmoid  %.2f\n", latency([](Batch v) { return rtn::fast_math::sigmoid(v); }));
  std::printf("  NAM fast tanh       %.2f\n", latency([](Batch v) { return nam_tanh(v); }));
  std::printf("  xsimd::tanh         %.2f\n", latency([](Batch v) { return xsimd::tanh(v); }));
}
