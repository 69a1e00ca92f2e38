// The streaming contract of models with strided and transposed convolutions (docs/strided-convolutions.md)
// against libtorch: the layers after a stride run at the decimated rate, those after a transposed convolution
// at the raised one, on the frames PyTorch computes; any split of the signal into calls gives the same output,
// and output_frames() says before each call what it writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "rtn/error.hpp"

#include "rtn/model.hpp"
#include "tools/common/test_data.hpp"
#include "torch_reference/torch_reference.hpp"

namespace rtn::testing {
namespace {

constexpr int kFrames = 997;  // a prime: no stride divides it
constexpr float kSentinel = 12345.678f;

// stride 2, then a recurrent layer (what sample-and-hold would get wrong), then stride 3: a period of 6.
ModelDefinition decimating_model() {
  std::mt19937 rng(31);
  ModelDefinition definition;
  definition.input_channels = 2;
  definition.output_channels = 3;
  for (const LayerSpec& spec : {LayerSpec::conv1d(2, 8, 3, 2, 1, true, 2), LayerSpec::gru(8, 8),
                                LayerSpec::conv1d(8, 8, 3, 1, 8, false, 3), LayerSpec::dense(8, 3)}) {
    definition.layers.push_back({spec, random_weights(spec, rng)});
  }
  return definition;
}

ModelDefinition chain(int input_channels, const std::vector<LayerSpec>& specs, unsigned seed) {
  std::mt19937 rng(seed);
  ModelDefinition definition;
  definition.input_channels = input_channels;
  definition.output_channels = specs.back().output_size;
  for (const LayerSpec& spec : specs) definition.layers.push_back({spec, random_weights(spec, rng)});
  return definition;
}

// The layers chained in torch over the whole signal: each strided layer shortens it, each transposed one
// lengthens it. Its first `frames` frames (all of them: 0).
std::vector<float> torch_model(const ModelDefinition& definition, const std::vector<float>& input,
                               std::size_t frames = 0) {
  std::vector<float> signal = input;
  int length = static_cast<int>(input.size()) / definition.input_channels;
  for (const LayerDefinition& layer : definition.layers) {
    signal = torch_reference(layer.spec, layer.weights, signal, length);
    length = static_cast<int>(signal.size()) / layer.spec.output_size;
  }
  if (frames > 0) signal.resize(std::min(signal.size(), frames * definition.output_channels));
  return signal;
}

// In calls of the given sizes (cycled), each output where output_frames() said, and nothing past it.
std::vector<float> run_in_calls(Model& model, const std::vector<float>& input, const std::vector<int>& sizes) {
  const int out_channels = model.output_channels();
  std::vector<float> output;
  std::vector<float> piece;
  model.reset();
  for (int first = 0, call = 0; first < kFrames; ++call) {
    const int count = std::min(sizes[call % sizes.size()], kFrames - first);
    const int outputs = model.output_frames(count);
    EXPECT_LE(outputs, model.max_output_frames(count));
    piece.assign(static_cast<std::size_t>(model.max_output_frames(count)) * out_channels + 16, kSentinel);
    model.process(input.data() + static_cast<std::size_t>(first) * model.input_channels(), piece.data(), count);
    const auto end = piece.begin() + static_cast<std::ptrdiff_t>(outputs) * out_channels;
    if (std::any_of(end, piece.end(), [](float value) { return value != kSentinel; })) {
      ADD_FAILURE() << "wrote past the " << outputs << " frames output_frames(" << count << ") announced";
    }
    output.insert(output.end(), piece.begin(), end);
    first += count;
  }
  return output;
}

// One call of `frames`, apart from the input.
std::vector<float> run_in_calls_of(Model& model, const std::vector<float>& input, int frames) {
  model.reset();
  std::vector<float> output(static_cast<std::size_t>(model.output_frames(frames)) * model.output_channels());
  model.process(input.data(), output.data(), frames);
  return output;
}

TEST(StridedModel, MatchesLibtorchInAnySplitOnEveryBackend) {
  const ModelDefinition definition = decimating_model();
  std::mt19937 rng(32);
  const std::vector<float> input = random_signal(kFrames, definition.input_channels, rng);
  const std::vector<float> expected = torch_model(definition, input);
  // ceil(ceil(997 / 2) / 3) = 167 frames, as PyTorch's strided convolutions give.
  ASSERT_EQ(expected.size(), 167u * 3);
  for (Implementation implementation : compiled_implementations()) {
    Model model = Model::build(definition, {implementation, {}});
    EXPECT_EQ(model.frame_period(), (Model::FramePeriod{6, 1}));
    EXPECT_EQ(model.max_output_frames(kFrames), 167);
    const std::vector<std::vector<int>> splits = {{kFrames}, {1}, {3}, {7}, {5, 64, 1, 17, 256, 2}, {6}};
    for (const std::vector<int>& sizes : splits) {
      // Recurrent layer: 1e-4 absolute, as the conformance test bounds a GRU.
      EXPECT_LE(max_abs_error(run_in_calls(model, input, sizes), expected), 1e-4)
          << implementation.name() << ", calls of " << sizes.front() << (sizes.size() > 1 ? ", ..." : "");
    }
    // Longer than max_block: process() takes it in pieces, whose phases carry over.
    model.prepare(50);
    EXPECT_LE(max_abs_error(run_in_calls(model, input, {333}), expected), 1e-4) << implementation.name();
  }
}

// Each model in every split of the signal on every implementation, against the layers chained in torch: the
// output's frames are those of input frames 0 .. kFrames - 1 (the frames torch computes from later inputs
// are not due yet).
void expect_streams_like_torch(const ModelDefinition& definition, Model::FramePeriod period, double tolerance) {
  std::mt19937 rng(33);
  const std::vector<float> input = random_signal(kFrames, definition.input_channels, rng);
  for (Implementation implementation : compiled_implementations()) {
    Model model = Model::build(definition, {implementation, {}});
    ASSERT_EQ(model.frame_period(), period);
    const std::size_t due = static_cast<std::size_t>(model.max_output_frames(kFrames));
    const std::vector<float> expected = torch_model(definition, input, due);
    ASSERT_EQ(expected.size(), due * definition.output_channels) << "torch computes fewer frames than are due";
    for (const std::vector<int>& sizes :
         std::vector<std::vector<int>>{{kFrames}, {1}, {3}, {7}, {5, 64, 1, 17, 256, 2}, {6}, {4}}) {
      const std::vector<float> actual = run_in_calls(model, input, sizes);
      ASSERT_EQ(actual.size(), expected.size()) << implementation.name() << ", calls of " << sizes.front();
      EXPECT_LE(max_abs_error(actual, expected), tolerance)
          << implementation.name() << ", calls of " << sizes.front() << (sizes.size() > 1 ? ", ..." : "");
    }
    // Longer than max_block, which an upsampling chain takes in smaller pieces still.
    model.prepare(50);
    EXPECT_LE(max_abs_error(run_in_calls(model, input, {333}), expected), tolerance) << implementation.name();
  }
}

// A stride-2 encoder, a GRU at half rate, a stride-2 transposed decoder: a period of 1, as an audio effect
// needs. The transposed convolution computes two frames per decimated frame; the second waits for its call.
TEST(TransposedModel, StrideThenTransposedKeepsTheRate) {
  const ModelDefinition definition =
      chain(2, {LayerSpec::conv1d(2, 8, 4, 1, 1, true, 2), LayerSpec::gru(8, 8),
                LayerSpec::conv_transpose1d(8, 6, 4, 2, 1, 2), LayerSpec::dense(6, 3)}, 41);
  expect_streams_like_torch(definition, {1, 1}, 1e-4);
}

// Upsampling by 3, then decimating by 2 (a period of 2/3): more output frames than input frames, a
// fractional rate.
TEST(TransposedModel, UpsamplerWithAFractionalPeriod) {
  const ModelDefinition definition =
      chain(1, {LayerSpec::conv_transpose1d(1, 5, 5, 3, 2), LayerSpec::lstm(5, 6),
                LayerSpec::conv1d(6, 4, 3, 2, 2, true, 2)}, 42);
  expect_streams_like_torch(definition, {2, 3}, 1e-4);
}

// Decimating by 3 then upsampling by 2 twice (a period of 3/4), with frames waiting from one upsampling to the
// next.
TEST(TransposedModel, DecimationThenTwoUpsamplings) {
  const ModelDefinition definition =
      chain(3, {LayerSpec::conv1d(3, 4, 3, 1, 1, true, 3), LayerSpec::conv_transpose1d(4, 4, 3, 2, 1, 4),
                LayerSpec::activation(LayerKind::tanh, 4), LayerSpec::conv_transpose1d(4, 2, 1, 2)}, 43);
  expect_streams_like_torch(definition, {3, 4}, 1e-5);
}

// An input skip needs a period of 1, which a stride and a transposed stride give; an upsampling refuses it.
TEST(TransposedModel, InputSkipNeedsAPeriodOfOne) {
  ModelDefinition same_rate =
      chain(2, {LayerSpec::conv1d(2, 4, 2, 1, 1, true, 2), LayerSpec::conv_transpose1d(4, 2, 2, 2)}, 44);
  same_rate.input_skip = true;
  Model model = Model::build(same_rate);
  std::mt19937 rng(45);
  const std::vector<float> input = random_signal(kFrames, 2, rng);
  std::vector<float> expected = torch_model(same_rate, input, kFrames);
  for (std::size_t i = 0; i < expected.size(); ++i) expected[i] += input[i];
  EXPECT_LE(max_abs_error(run_in_calls(model, input, {5, 1, 64}), expected), 1e-5);

  ModelDefinition upsampler = chain(1, {LayerSpec::conv_transpose1d(1, 1, 2, 2)}, 46);
  upsampler.input_skip = true;
  try {
    Model::build(upsampler);
    ADD_FAILURE() << "an upsampling model with input_skip was built";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("input_skip adds input frame t to output frame t, but the layers give 2 "
                                             "output frames per 1 input frames"),
              std::string::npos)
        << error.what();
  }
}

// In place, the buffer holding max(frames, max_output_frames) frames of the wider side: the same output as
// apart, whatever the pieces process() cuts the call into.
TEST(TransposedModel, InPlaceUpsamplingMatchesSeparateBuffers) {
  const ModelDefinition definition = chain(2, {LayerSpec::conv_transpose1d(2, 3, 3, 3)}, 47);
  Model model = Model::build(definition);
  model.prepare(16);
  std::mt19937 rng(48);
  const std::vector<float> input = random_signal(100, 2, rng);
  const std::vector<float> expected = run_in_calls_of(model, input, 100);
  std::vector<float> buffer(static_cast<std::size_t>(model.max_output_frames(100)) * 3, 0.0f);
  std::copy(input.begin(), input.end(), buffer.begin());
  model.reset();
  model.process(buffer.data(), buffer.data(), 100);
  EXPECT_EQ(buffer, expected);
}

// RTNeural's StridedConv1D (a held output, the rate unchanged) as rtn layers: the strided conv1d, then a
// transposed convolution of kernel s, stride s, one group per channel, weights 1 (docs/compatible-formats.md).
TEST(TransposedModel, StrideThenAllOnesTransposedHoldsEachOutput) {
  constexpr int kStride = 3;
  const LayerSpec strided = LayerSpec::conv1d(1, 2, 4, 1, 1, true, kStride);
  const LayerSpec hold = LayerSpec::conv_transpose1d(2, 2, kStride, kStride, 1, 2, false);
  std::mt19937 rng(50);
  ModelDefinition definition;
  definition.output_channels = 2;
  definition.layers.push_back({strided, random_weights(strided, rng)});
  Weights ones;
  ones["weight"] = {{2, 1, kStride}, std::vector<float>(2 * kStride, 1.0f)};
  definition.layers.push_back({hold, ones});
  const std::vector<float> input = random_signal(kFrames, 1, rng);
  const std::vector<float> decimated = torch_reference(strided, definition.layers[0].weights, input, kFrames);
  std::vector<float> held;
  for (int t = 0; t < kFrames; ++t) {
    held.insert(held.end(), decimated.begin() + t / kStride * 2, decimated.begin() + t / kStride * 2 + 2);
  }
  Model model = Model::build(definition);
  EXPECT_EQ(model.frame_period(), (Model::FramePeriod{1, 1}));
  EXPECT_LE(max_abs_error(run_in_calls(model, input, {1, 7, 64}), held), 1e-6);
}

// The contract's limits: more than 4096 of upsampling, and padding (a look-ahead), are refused.
TEST(TransposedModel, RefusesWhatCannotStream) {
  std::vector<LayerSpec> specs(4, LayerSpec::conv_transpose1d(1, 1, 1, 9));
  EXPECT_THROW(Model::build(chain(1, specs, 49)), Error);
  LayerSpec padded = LayerSpec::conv_transpose1d(1, 1, 3, 2);
  padded.padding = 1;
  EXPECT_NE(padded.validate().find("a look-ahead a causal stream cannot have"), std::string::npos) << padded.validate();
}

}  // namespace
}  // namespace rtn::testing
