// The streaming contract of a decimating model (strided conv1d, docs/strided-convolutions.md) against
// libtorch: the layers after a stride run at the decimated rate on the frames PyTorch computes, any split of
// the signal into calls gives the same output, and output_frames() says before each call what it writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "reference/torch_reference.hpp"
#include "rtn/model.hpp"
#include "support/test_data.hpp"

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

// The layers chained in torch over the whole signal: each strided layer shortens it.
std::vector<float> torch_model(const ModelDefinition& definition, const std::vector<float>& input) {
  std::vector<float> signal = input;
  int frames = kFrames;
  for (const LayerDefinition& layer : definition.layers) {
    signal = torch_reference(layer.spec, layer.weights, signal, frames);
    frames = static_cast<int>(signal.size()) / layer.spec.output_size;
  }
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
    piece.assign(static_cast<std::size_t>(count) * out_channels + 16, kSentinel);
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

TEST(StridedModel, MatchesLibtorchInAnySplitOnEveryBackend) {
  const ModelDefinition definition = decimating_model();
  std::mt19937 rng(32);
  const std::vector<float> input = random_signal(kFrames, definition.input_channels, rng);
  const std::vector<float> expected = torch_model(definition, input);
  // ceil(ceil(997 / 2) / 3) = 167 frames, as PyTorch's strided convolutions give.
  ASSERT_EQ(expected.size(), 167u * 3);
  for (Implementation implementation : compiled_implementations()) {
    Model model = Model::build(definition, {implementation, {}});
    EXPECT_EQ(model.frame_period(), 6);
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

}  // namespace
}  // namespace rtn::testing
