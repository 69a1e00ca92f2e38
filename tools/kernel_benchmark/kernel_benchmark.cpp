// rtn-kernel-benchmark: Google Benchmark timings of every registered kernel (every layer kind on every
// compiled-in backend) over a grid of audio-sized shapes, per sample (1 frame per call) and in blocks
// of 64, and of whole example models. Reports the time per frame and, for models, the real-time factor at
// 48 kHz. Outputs are consumed (DoNotOptimize) and checked for finiteness so no work can be dropped.
//
//   rtn-kernel-benchmark [--benchmark_filter=REGEX] [--benchmark_min_time=S] [--benchmark_repetitions=N]
//                        [--benchmark_out=results.json --benchmark_out_format=json]
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "rtn/layer_descriptor.hpp"
#include "rtn/model.hpp"
#include "rtn/profile.hpp"
#include "rtn/registry.hpp"
#include "tools/common/peak.hpp"
#include "tools/common/test_data.hpp"

namespace {

using namespace rtn;

constexpr double kSampleRate = 48000.0;
constexpr int kSignalFrames = 4096;  // the input cycles through this much random signal

bool all_finite(const std::vector<float>& values) {
  for (float value : values) {
    if (!std::isfinite(value)) return false;
  }
  return true;
}

// This core's FMA peak in FLOP/s, measured once (tools/common/peak.hpp); 0 where it cannot be measured.
double peak_flops() {
  static const double peak = 1e9 * tune::best_peak_gflops(tune::measure_fma_peaks());
  return peak;
}

// Frames per second as ns per frame, the real-time factor at 48 kHz, GFLOP/s and the percentage of the
// core's FMA peak.
void report_rate(benchmark::State& state, int frames_per_call, double flops_per_frame) {
  const double frames = static_cast<double>(state.iterations()) * frames_per_call;
  state.counters["GFLOPs"] = benchmark::Counter(frames * flops_per_frame * 1e-9, benchmark::Counter::kIsRate);
  if (peak_flops() > 0) {
    state.counters["pct_peak"] =
        benchmark::Counter(frames * flops_per_frame * 100 / peak_flops(), benchmark::Counter::kIsRate);
  }
  state.SetItemsProcessed(static_cast<int64_t>(frames));
  // An inverted rate: seconds per frame (printed as e.g. "85.3ns").
  state.counters["time_per_frame"] =
      benchmark::Counter(frames, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["realtime_x"] = benchmark::Counter(frames / kSampleRate, benchmark::Counter::kIsRate);
}

void benchmark_kernel(benchmark::State& state, const KernelEntry* entry, const LayerSpec& spec, int block) {
  std::mt19937 rng(1);
  const auto kernel = entry->create(spec, testing::random_weights(spec, rng));
  kernel->prepare(block);
  const std::vector<float> input = testing::random_signal(kSignalFrames, spec.input_size, rng);
  std::vector<float> output(static_cast<std::size_t>(spec.max_output_frames(block)) * spec.output_size);
  int position = 0;
  for (auto _ : state) {
    kernel->process(input.data() + static_cast<std::size_t>(position) * spec.input_size, output.data(), block);
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
    position = (position + block) % (kSignalFrames - block + 1);
  }
  if (!all_finite(output)) state.SkipWithError("non-finite output");
  report_rate(state, block, spec.flops_per_frame());
}

void benchmark_model(benchmark::State& state, const ModelDefinition& definition, Implementation implementation,
                     int block) {
  Model model = Model::build(definition, {implementation, {}});
  model.prepare(block);
  std::mt19937 rng(2);
  const std::vector<float> input = testing::random_signal(kSignalFrames, definition.input_channels, rng, 0.5f);
  std::vector<float> output(static_cast<std::size_t>(model.max_output_frames(block)) * definition.output_channels);
  int position = 0;
  for (auto _ : state) {
    model.process(input.data() + static_cast<std::size_t>(position) * definition.input_channels, output.data(),
                  block);
    benchmark::DoNotOptimize(output.data());
    benchmark::ClobberMemory();
    position = (position + block) % (kSignalFrames - block + 1);
  }
  if (!all_finite(output)) state.SkipWithError("non-finite output");
  double flops_per_frame = 0;
  for (const LayerDefinition& layer : definition.layers) flops_per_frame += layer.spec.flops_per_frame();
  report_rate(state, block, flops_per_frame);
}

// Audio-sized shapes for each kind, what amp and effect models use: the kind's own list, else its typical
// parameters at each width.
std::vector<LayerSpec> benchmark_shapes(LayerKind kind) {
  const LayerDescriptor& descriptor = layer_descriptor(kind);
  if (descriptor.benchmark_shapes) return descriptor.benchmark_shapes();
  std::vector<LayerSpec> shapes;
  for (int size : {8, 16, 32, 64}) {
    LayerSpec spec = testing::typical_shape(kind);
    spec.input_size = spec.output_size = size;
    shapes.push_back(spec);
  }
  return shapes;
}

ModelDefinition example_model(const std::vector<LayerSpec>& layers, bool input_skip) {
  std::mt19937 rng(3);
  ModelDefinition definition;
  definition.input_channels = layers.front().input_size;
  definition.output_channels = layers.back().output_size;
  definition.input_skip = input_skip;
  for (const LayerSpec& spec : layers) definition.layers.push_back({spec, testing::random_weights(spec, rng)});
  return definition;
}

void register_benchmarks() {
  for (const KernelEntry& entry : kernel_registry()) {
    for (const LayerSpec& spec : benchmark_shapes(entry.kind)) {
      if (!entry.supports(spec)) continue;
      for (int block : {1, 64}) {
        const std::string name = "kernel/" + spec.to_string() + "/" + std::string(entry.implementation.name()) +
                                 "/block:" + std::to_string(block);
        benchmark::RegisterBenchmark(name.c_str(), benchmark_kernel, &entry, spec, block);
      }
    }
  }
  const std::pair<const char*, ModelDefinition> models[] = {
      {"guitar_lstm_40", example_model({LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)}, true)},
      {"gru_16_x2", example_model({LayerSpec::gru(1, 16, 2), LayerSpec::dense(16, 1)}, true)},
      {"conv_stack", example_model({LayerSpec::conv1d(1, 16, 3, 1), LayerSpec::activation(LayerKind::tanh, 16),
                                    LayerSpec::conv1d(16, 16, 3, 2), LayerSpec::activation(LayerKind::tanh, 16),
                                    LayerSpec::conv1d(16, 16, 3, 4), LayerSpec::activation(LayerKind::tanh, 16),
                                    LayerSpec::dense(16, 1)},
                                   false)},
  };
  for (const auto& [model_name, definition] : models) {
    for (Implementation implementation : compiled_implementations()) {
      for (int block : {1, 64}) {
        const std::string name = std::string("model/") + model_name + "/" + std::string(implementation.name()) +
                                 "/block:" + std::to_string(block);
        benchmark::RegisterBenchmark(name.c_str(), benchmark_model, definition, implementation, block);
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_benchmarks();
  // The machine and build as rtn-tune's results and the profile describe them (JSON strings in Google
  // Benchmark's context), beside its own date, host name and load average at the start.
  benchmark::AddCustomContext("rtn_machine", rtn::machine_to_json(rtn::this_machine()));
  benchmark::AddCustomContext("rtn_build", rtn::build_to_json(rtn::this_build()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
