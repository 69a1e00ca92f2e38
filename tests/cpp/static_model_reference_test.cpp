// The compile-time API (rtn/static_model.hpp) against libtorch: models of every static layer type, odd sizes
// among them, on each backend's ops, per sample and in blocks of several sizes, with input skip and gains.
#include "rtn/static_model.hpp"  // first: its kernels get their own namespace (before any ops header)

#include <gtest/gtest.h>

#include <random>

#include "torch_reference/torch_reference.hpp"
#include "tools/common/test_data.hpp"
#if RTN_HAVE_XSIMD
#include "backends/xsimd_ops.hpp"
#endif
#if RTN_HAVE_EIGEN
#include "backends/eigen_ops.hpp"
#endif

namespace rtn::testing {
namespace {

// The tolerance of the run-time models against the same torch chains (model_reference_test.cpp).
constexpr double kTolerance = 1e-4;

std::vector<float> torch_chain(const ModelDefinition& definition, const std::vector<float>& input, int frames) {
  std::vector<float> signal(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) signal[i] = input[i] * definition.input_gain;
  const std::vector<float> scaled_input = signal;
  for (const LayerDefinition& layer : definition.layers) signal = torch_reference(layer.spec, layer.weights, signal, frames);
  for (std::size_t i = 0; i < signal.size(); ++i) {
    signal[i] = (signal[i] + (definition.input_skip ? scaled_input[i] : 0.0f)) * definition.output_gain;
  }
  return signal;
}

// Runs `model` over `input` in calls of the sizes in `blocks`, cycled.
template <typename Model>
std::vector<float> run(Model& model, const std::vector<float>& input, int frames, const std::vector<int>& blocks) {
  std::vector<float> output(static_cast<std::size_t>(frames) * Model::kOutputChannels);
  model.reset();
  std::size_t next = 0;
  for (int first = 0; first < frames;) {
    const int count = std::min(blocks[next++ % blocks.size()], frames - first);
    model.process(input.data() + static_cast<std::size_t>(first) * Model::kInputChannels,
                  output.data() + static_cast<std::size_t>(first) * Model::kOutputChannels, count);
    first += count;
  }
  return output;
}

// One model type, the layers a file would hold for it, and what the definition does around them.
template <typename Ops, typename... Layers>
void check_against_torch(const char* name, const std::vector<LayerSpec>& specs, bool input_skip = false,
                         float input_gain = 1.0f, float output_gain = 1.0f) {
  using Static = StaticModel<Ops, Layers...>;
  ModelDefinition definition = random_model(specs, 11);
  definition.input_skip = input_skip;
  definition.input_gain = input_gain;
  definition.output_gain = output_gain;
  const int frames = 1500;
  std::mt19937 rng(5);
  const std::vector<float> input = random_signal(frames, definition.input_channels, rng, 0.8f);
  const std::vector<float> expected = torch_chain(definition, input, frames);

  Static model(definition);
  model.prepare(64);
  for (const std::vector<int>& blocks : {std::vector<int>{1}, std::vector<int>{64}, std::vector<int>{7, 64, 1, 33},
                                         std::vector<int>{frames}}) {  // frames > max_block: taken in pieces
    EXPECT_LE(max_abs_error(run(model, input, frames, blocks), expected), kTolerance)
        << name << " on " << backend_name(Ops::backend) << ", first call of " << blocks[0] << " frames";
  }
  if constexpr (Static::kInputChannels == 1) {
    model.reset();
    double worst = 0;
    for (int f = 0; f < frames; ++f) {
      const double error = std::fabs(model.process_sample(input[f]) - expected[static_cast<std::size_t>(f) * Static::kOutputChannels]);
      worst = std::max(worst, error);
    }
    EXPECT_LE(worst, kTolerance) << name << " on " << backend_name(Ops::backend) << ", process_sample";
  }
}

template <typename Ops>
void check_every_model() {
  using namespace fixed;
  check_against_torch<Ops, Lstm<1, 40>, Dense<40, 1>>("guitar LSTM", {LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)},
                                                     true);
  check_against_torch<Ops, Gru<2, 24, 2>, Dense<24, 8>, Tanh<8>, Dense<8, 2>>(
      "stereo GRU stack",
      {LayerSpec::gru(2, 24, 2), LayerSpec::dense(24, 8), LayerSpec::activation(LayerKind::tanh, 8),
       LayerSpec::dense(8, 2)},
      false, 0.7f, 1.3f);
  check_against_torch<Ops, Conv1d<1, 8>, Tanh<8>, Conv1d<8, 8>, BatchNorm1d<8>, Relu<8>, Conv1d<8, 5>, Sigmoid<5>,
                      Dense<5, 1>>(
      "conv stack",
      {LayerSpec::conv1d(1, 8, 3, 1), LayerSpec::activation(LayerKind::tanh, 8), LayerSpec::conv1d(8, 8, 3, 2),
       LayerSpec::batchnorm1d(8), LayerSpec::activation(LayerKind::relu, 8), LayerSpec::conv1d(8, 5, 2, 4),
       LayerSpec::activation(LayerKind::sigmoid, 5), LayerSpec::dense(5, 1)},
      true);
  // Sizes no SIMD width divides, and sizes of the fixed-size kernels side by side.
  check_against_torch<Ops, Lstm<3, 13>, Gru<13, 16>, Dense<16, 7>, Dense<7, 3>>(
      "odd sizes", {LayerSpec::lstm(3, 13), LayerSpec::gru(13, 16), LayerSpec::dense(16, 7), LayerSpec::dense(7, 3)});
  check_against_torch<Ops, Dense<8, 8>, Tanh<8>, Dense<8, 8>>(
      "dense 8", {LayerSpec::dense(8, 8), LayerSpec::activation(LayerKind::tanh, 8), LayerSpec::dense(8, 8)});
}

TEST(StaticModelAgainstTorch, Stl) { check_every_model<StlOps>(); }
#if RTN_HAVE_XSIMD
TEST(StaticModelAgainstTorch, Xsimd) { check_every_model<XsimdOps>(); }
#endif
#if RTN_HAVE_EIGEN
TEST(StaticModelAgainstTorch, Eigen) { check_every_model<EigenOps>(); }
#endif

}  // namespace
}  // namespace rtn::testing
