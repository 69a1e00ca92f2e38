#pragma once
// The core's floating-point peak, measured: the distance to the machine's limit is part of every result.
// An FMA-throughput loop per x86 instruction-set level this CPU has (AVX-512, AVX2 + FMA), with enough
// independent accumulators to cover the FMA latency on two FMA pipes; the best of several repetitions.
// Header-only: rtn-tune, rtn bench and the kernel benchmark include it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "rtn/profile.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define RTN_PEAK_X86 1
#endif

namespace rtn::tune {

struct FmaPeak {
  std::string isa;  // "avx512f", "avx2+fma"
  double gflops = 0;  // single precision, one core
};

namespace peak_detail {

constexpr int kAccumulators = 12;  // > latency (4-5 cycles) x 2 pipes
constexpr long kIterations = 400000;

template <typename Loop>
double best_gflops(Loop loop, int floats_per_vector) {
  double best = 0;
  for (int repetition = 0; repetition < 5; ++repetition) {
    const auto start = std::chrono::steady_clock::now();
    const float result = loop();
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    asm volatile("" : : "x"(result));  // the loop's result is used: nothing is removed
    best = std::max(best, 2.0 * floats_per_vector * kAccumulators * kIterations / ns);
  }
  return best;
}

#ifdef RTN_PEAK_X86
__attribute__((target("avx512f"))) inline float fma_loop_avx512() {
  __m512 sum[kAccumulators];
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
#pragma GCC unroll 12
  for (int i = 0; i < kAccumulators; ++i) sum[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long n = 0; n < kIterations; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kAccumulators; ++i) sum[i] = _mm512_fmadd_ps(sum[i], a, b);
  }
  for (int i = 1; i < kAccumulators; ++i) sum[0] = _mm512_add_ps(sum[0], sum[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum[0]);
  return lanes[0] + lanes[15];
}

__attribute__((target("avx2,fma"))) inline float fma_loop_avx2() {
  __m256 sum[kAccumulators];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
#pragma GCC unroll 12
  for (int i = 0; i < kAccumulators; ++i) sum[i] = _mm256_set1_ps(static_cast<float>(i));
  for (long n = 0; n < kIterations; ++n) {
#pragma GCC unroll 12
    for (int i = 0; i < kAccumulators; ++i) sum[i] = _mm256_fmadd_ps(sum[i], a, b);
  }
  for (int i = 1; i < kAccumulators; ++i) sum[0] = _mm256_add_ps(sum[0], sum[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum[0]);
  return lanes[0] + lanes[7];
}
#endif

}  // namespace peak_detail

// Measures each level this CPU has (about 10 ms each); empty on CPUs it does not know how to measure.
// Allocates.
inline std::vector<FmaPeak> measure_fma_peaks() {
  std::vector<FmaPeak> peaks;
#ifdef RTN_PEAK_X86
  // The features as rtn sees them (this_machine()): under RTN_MAX_ISA, the peak of the CPU it stands for.
  const std::vector<std::string>& isa = this_machine().isa;
  const auto has = [&](const char* feature) {
    return std::find(isa.begin(), isa.end(), feature) != isa.end();
  };
  if (has("avx512f")) {
    peaks.push_back({"avx512f", peak_detail::best_gflops(&peak_detail::fma_loop_avx512, 16)});
  }
  if (has("avx2") && has("fma3")) {
    peaks.push_back({"avx2+fma", peak_detail::best_gflops(&peak_detail::fma_loop_avx2, 8)});
  }
#endif
  return peaks;
}

// The highest of `peaks` (0 for none): the limit a result is a fraction of.
inline double best_peak_gflops(const std::vector<FmaPeak>& peaks) {
  double best = 0;
  for (const FmaPeak& peak : peaks) best = std::max(best, peak.gflops);
  return best;
}

// "avx512f 143 GFLOP/s, avx2+fma 71 GFLOP/s". Allocates.
inline std::string describe_peaks(const std::vector<FmaPeak>& peaks) {
  if (peaks.empty()) {
    // The loops need AVX2 + FMA at least: an SSE4 CPU, or a run that RTN_MAX_ISA limits to one, has none.
    const std::string& limit = this_machine().isa_limited_to;
    return limit.empty() ? "not measured on this CPU"
                         : "not measured below x86-64-v3 (RTN_MAX_ISA: " + limit + ")";
  }
  std::string text;
  for (const FmaPeak& peak : peaks) {
    if (!text.empty()) text += ", ";
    text += peak.isa + " " + std::to_string(std::lround(peak.gflops)) + " GFLOP/s";
  }
  return text;
}

}  // namespace rtn::tune
