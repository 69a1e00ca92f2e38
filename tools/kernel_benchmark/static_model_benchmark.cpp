// rtn-static-model-benchmark: the compile-time API (rtn/static_model.hpp) beside the run-time Model on the
// same models and weights, per sample (one frame per call, the case where per-call overhead counts) and in
// blocks of 64: Model with its default implementation for each layer, StaticModel on the xsimd ops and on
// the portable ops. Before timing, each StaticModel's output is checked against the Model's (a benchmark that
// computes something else fails); outputs are consumed (DoNotOptimize) so no work can be dropped.
//
//   rtn-static-model-benchmark [--benchmark_filter=REGEX] [--benchmark_repetitions=N] [--benchmark_format=json]
#include "rtn/static_model.hpp"  // first: its kernels get their own namespace

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#if RTN_HAVE_XSIMD
#include "backends/xsimd_ops.hpp"
#endif
#include "tools/common/test_data.hpp"

namespace {

using namespace rtn;
using namespace rtn::fixed;

constexpr int kSignalFrames = 4096;  // the input cycles through this much random signal
// The largest difference allowed between StaticModel and Model on the check signal: different kernels
// (fixed-size or not, another instruction set) round differently, each within the conformance tolerance.
constexpr double kAgreement = 1e-4;

// Calls `process(in, out, frames)` block after block over the signal; per sample when block is 1.
template <typename Process>
void time_blocks(benchmark::State& state, const std::vector<float>& input, int channels, int out_channels,
                 int block, Process process) {
  std::vector<float> output(static_cast<std::size_t>(block) * out_channels);
  int position = 0;
  for (auto _ : state) {
    process(input.data() + static_cast<std::size_t>(position) * channels, output.data(), block);
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
    position += block;
    if (position + block > kSignalFrames) position = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * block);
  state.counters["ns_per_sample"] = benchmark::Counter(static_cast<double>(state.iterations()) * block,
                                                       benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// Registers Model/<name>/block:N, static-xsimd/<name>/block:N and static-stl/<name>/block:N.
template <typename... Layers>
void register_model(const std::string& name, const std::vector<LayerSpec>& specs, bool input_skip = false) {
  const ModelDefinition definition = testing::random_model(specs, 1, input_skip);
  std::mt19937 rng(2);
  const std::vector<float> input = testing::random_signal(kSignalFrames, definition.input_channels, rng, 0.5f);
  const int in = definition.input_channels, out = definition.output_channels;
  for (int block : {1, 64}) {
    const std::string suffix = "/" + name + "/block:" + std::to_string(block);
    benchmark::RegisterBenchmark(("model" + suffix).c_str(), [=](benchmark::State& state) {
      Model model = Model::build(definition, BackendSelection{});
      model.prepare(block);
      time_blocks(state, input, in, out, block, [&](const float* x, float* y, int n) { model.process(x, y, n); });
    });
    const auto register_static = [&](const std::string& label, auto tag) {
      using Ops = decltype(tag);
      benchmark::RegisterBenchmark((label + suffix).c_str(), [=](benchmark::State& state) {
        StaticModel<Ops, Layers...> fixed_model(definition);
        fixed_model.prepare(block);
        Model model = Model::build(definition, BackendSelection{});
        model.prepare(block);
        std::vector<float> expected(static_cast<std::size_t>(kSignalFrames) * out), actual(expected.size());
        model.process(input.data(), expected.data(), kSignalFrames);
        fixed_model.process(input.data(), actual.data(), kSignalFrames);
        if (testing::max_abs_error(actual, expected) > kAgreement) {
          state.SkipWithError("StaticModel's output differs from Model's");
          return;
        }
        fixed_model.reset();
        time_blocks(state, input, in, out, block,
                    [&](const float* x, float* y, int n) { fixed_model.process(x, y, n); });
      });
    };
#if RTN_HAVE_XSIMD
    register_static("static-xsimd", XsimdOps{});
#endif
    register_static("static-stl", StlOps{});
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_model<Lstm<1, 40>, Dense<40, 1>>("guitar_lstm", {LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)}, true);
  register_model<Gru<1, 16>, Dense<16, 1>>("gru16", {LayerSpec::gru(1, 16), LayerSpec::dense(16, 1)});
  register_model<Dense<8, 8>>("dense8", {LayerSpec::dense(8, 8)});
  register_model<Dense<16, 16>>("dense16", {LayerSpec::dense(16, 16)});
  register_model<Conv1d<8, 8>>("conv8", {LayerSpec::conv1d(8, 8, 3)});
  register_model<Dense<1, 8>, Tanh<8>, Dense<8, 8>, Tanh<8>, Dense<8, 1>>(
      "mlp8", {LayerSpec::dense(1, 8), LayerSpec::activation(LayerKind::tanh, 8), LayerSpec::dense(8, 8),
               LayerSpec::activation(LayerKind::tanh, 8), LayerSpec::dense(8, 1)});
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
