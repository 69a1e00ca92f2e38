// rtn-static-model-driver: the compile-time API (rtn/static_model.hpp) timed exactly as the side-by-side bench
// (../shared/bench/rtneural_drv.cpp) times RTNeural's compile-time API, so that the two compile-time APIs can
// be compared with one timing loop: per sample, the frame copied into an aligned buffer, one frame processed,
// output 0 consumed; the median over rounds of 20,000 calls. The host flushes denormals, as DAWs do.
//
//   rtn-static-model-driver xsimd|stl WORKLOAD [seconds]      prints "WORKLOAD ns_per_sample"
//   WORKLOAD: lstm40model (LSTM 1->40, Dense 40->1, input skip) | {dense,conv,gru,lstm}{8,16,32,64} (N -> N;
//   conv: kernel 3). scripts/bench_static_vs_rtneural.sh runs it beside RTNeural's drivers.
#include "rtn/static_model.hpp"  // first: its kernels get their own namespace

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#if RTN_HAVE_XSIMD
#include "backends/xsimd_ops.hpp"
#endif
#include "tools/common/test_data.hpp"

namespace {

using namespace rtn;

#if RTN_HAVE_XSIMD
constexpr bool kHaveXsimd = true;
#else
constexpr bool kHaveXsimd = false;
#endif

template <typename Model, int N>
double time_model(Model& model, double seconds) {
  constexpr int kSamples = 20000;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-0.5f, 0.5f);
  std::vector<float> signal(static_cast<std::size_t>(kSamples) * N);
  for (float& value : signal) value = uniform(rng);
  alignas(64) float in[N];
  float out[N];
  model.reset();
  volatile float sink = 0;
  std::vector<double> rounds;
  const auto start = std::chrono::steady_clock::now();
  while (rounds.size() < 7 || std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    const auto round_start = std::chrono::steady_clock::now();
    float sum = 0;
    for (int s = 0; s < kSamples; ++s) {
      std::memcpy(in, &signal[static_cast<std::size_t>(s) * N], sizeof in);
      model.process(in, out, 1);
      sum += out[0];
    }
    sink = sink + sum;
    rounds.push_back(
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - round_start).count() / kSamples);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

template <typename Ops, typename Layer, int N>
double one_layer(const LayerSpec& spec, double seconds) {
  StaticModel<Ops, Layer> model(testing::random_model({spec}, 1));
  return time_model<decltype(model), N>(model, seconds);
}

template <typename Ops, int N>
double layer(const std::string& kind, double seconds) {
  if (kind == "dense") return one_layer<Ops, fixed::Dense<N, N>, N>(LayerSpec::dense(N, N), seconds);
  if (kind == "conv") return one_layer<Ops, fixed::Conv1d<N, N>, N>(LayerSpec::conv1d(N, N, 3), seconds);
  if (kind == "gru") return one_layer<Ops, fixed::Gru<N, N>, N>(LayerSpec::gru(N, N), seconds);
  if (kind == "lstm") return one_layer<Ops, fixed::Lstm<N, N>, N>(LayerSpec::lstm(N, N), seconds);
  return -1;
}

template <typename Ops>
double run(const std::string& workload, double seconds) {
  if (workload == "lstm40model") {
    StaticModel<Ops, fixed::Lstm<1, 40>, fixed::Dense<40, 1>> model(
        testing::random_model({LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)}, 1, true));
    return time_model<decltype(model), 1>(model, seconds);
  }
  const std::size_t digits = workload.find_first_of("0123456789");
  if (digits == std::string::npos) return -1;
  const std::string kind = workload.substr(0, digits);
  const std::string width = workload.substr(digits);
  if (width == "8") return layer<Ops, 8>(kind, seconds);
  if (width == "16") return layer<Ops, 16>(kind, seconds);
  if (width == "32") return layer<Ops, 32>(kind, seconds);
  if (width == "64") return layer<Ops, 64>(kind, seconds);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s xsimd|stl WORKLOAD [seconds]\n", argv[0]);
    return 2;
  }
  const std::string ops = argv[1], workload = argv[2];
  const double seconds = argc > 3 ? std::atof(argv[3]) : 1.0;
  const ScopedFlushDenormals host_flushes;  // the host's mode for the whole run: StaticModel's guard only reads it
  double ns = -1;
  try {
    if (ops == "stl") ns = run<StlOps>(workload, seconds);
#if RTN_HAVE_XSIMD
    if (ops == "xsimd") ns = run<XsimdOps>(workload, seconds);
#endif
  } catch (const std::exception& error) {  // an rtn::Error building the model, or std::bad_alloc
    std::fprintf(stderr, "%s\n", error.what());
    return 1;
  }
  if (ops != "stl" && !(kHaveXsimd && ops == "xsimd")) {
    std::fprintf(stderr, "unknown ops %s (this build has: stl%s)\n", ops.c_str(), kHaveXsimd ? ", xsimd" : "");
    return 2;
  }
  if (ns < 0) {
    std::fprintf(stderr, "unknown workload %s\n", workload.c_str());
    return 2;
  }
  std::printf("%s %.2f\n", workload.c_str(), ns);
  return 0;
}
