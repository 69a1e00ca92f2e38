// Model behaviour that needs no oracle: chaining checks, skip, channels, chunking, in-place processing,
// backend selection, NaN input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "rtn/error.hpp"
#include "rtn/model.hpp"
#include "rtn/registry.hpp"
#include "tools/common/test_data.hpp"

namespace rtn::testing {
namespace {

using ::testing::HasSubstr;

ModelDefinition lstm_model(bool skip, int channels = 1) {
  std::mt19937 rng(21);
  ModelDefinition definition;
  definition.input_channels = channels;
  definition.output_channels = channels;
  definition.input_skip = skip;
  const LayerSpec lstm = LayerSpec::lstm(channels, 12), dense = LayerSpec::dense(12, channels);
  definition.layers.push_back({lstm, random_weights(lstm, rng)});
  definition.layers.push_back({dense, random_weights(dense, rng)});
  return definition;
}

std::string build_error(const ModelDefinition& definition, const BackendSelection& selection = {}) {
  try {
    Model::build(definition, selection);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

TEST(Model, InputSkipAddsTheInput) {
  Model plain = Model::build(lstm_model(false));
  Model skip = Model::build(lstm_model(true));
  std::mt19937 rng(1);
  const std::vector<float> input = random_signal(500, 1, rng);
  std::vector<float> a(500), b(500);
  plain.process(input.data(), a.data(), 500);
  skip.process(input.data(), b.data(), 500);
  for (int i = 0; i < 500; ++i) EXPECT_FLOAT_EQ(b[i], a[i] + input[i]);
}

TEST(Model, GainsScaleTheInputAndTheOutput) {
  Model plain = Model::build(lstm_model(true));
  ModelDefinition gained_definition = lstm_model(true);
  gained_definition.input_gain = 0.5f;
  gained_definition.output_gain = 3.0f;
  Model gained = Model::build(gained_definition);
  std::mt19937 rng(5);
  const std::vector<float> input = random_signal(300, 1, rng);
  std::vector<float> halved = input;
  for (float& value : halved) value *= 0.5f;
  std::vector<float> a(300), b(300);
  plain.process(halved.data(), a.data(), 300);
  gained.process(input.data(), b.data(), 300);
  for (int i = 0; i < 300; ++i) EXPECT_FLOAT_EQ(b[i], 3.0f * a[i]);
}

TEST(Model, ChunksLongBlocksAndProcessesInPlace) {
  Model model = Model::build(lstm_model(true, 2));
  std::mt19937 rng(2);
  const std::vector<float> input = random_signal(5000, 2, rng);
  std::vector<float> whole(input.size());
  model.prepare(5000);
  model.process(input.data(), whole.data(), 5000);

  model.prepare(100);  // 5000 frames now go through in 50 pieces
  std::vector<float> in_place = input;
  model.process(in_place.data(), in_place.data(), 5000);
  EXPECT_LE(normalised_max_error(in_place, whole), 2e-6);
}

TEST(Model, PerSampleMatchesBlocks) {
  Model model = Model::build(lstm_model(false));
  std::mt19937 rng(3);
  const std::vector<float> input = random_signal(300, 1, rng);
  std::vector<float> block(300);
  model.process(input.data(), block.data(), 300);
  model.reset();
  for (int i = 0; i < 300; ++i) EXPECT_NEAR(model.process_sample(input[i]), block[i], 1e-6);
}

TEST(Model, NonFiniteInputIsProcessedAsSilence) {
  Model model = Model::build(lstm_model(false));
  std::vector<float> poisoned = {0.1f, NAN, 0.3f, INFINITY, -INFINITY, 0.2f};
  std::vector<float> clean = {0.1f, 0.0f, 0.3f, 0.0f, 0.0f, 0.2f};
  std::vector<float> a(6), b(6);
  model.process(poisoned.data(), a.data(), 6);
  model.reset();
  model.process(clean.data(), b.data(), 6);
  EXPECT_EQ(a, b);
  for (float value : a) EXPECT_TRUE(std::isfinite(value));
}

// One non-finite value at every position of a multi-channel block, short and long (a short block's check
// takes four values at a time, then the rest one by one; a long block's, past 64 values, 32 at a time, then
// the rest): each is caught wherever it sits.
TEST(Model, NonFiniteInputIsCaughtAtEveryPosition) {
  constexpr int kChannels = 5;
  Model model = Model::build(lstm_model(false, kChannels));
  std::mt19937 rng(8);
  for (const int frames : {3, 30}) {
    const std::vector<float> clean = random_signal(frames, kChannels, rng);
    for (std::size_t position = 0; position < clean.size(); ++position) {
      for (float bad : {NAN, INFINITY, -INFINITY}) {
        std::vector<float> poisoned = clean, silenced = clean;
        poisoned[position] = bad;
        silenced[position] = 0.0f;
        std::vector<float> a(clean.size()), b(clean.size());
        model.reset();
        model.process(poisoned.data(), a.data(), frames);
        model.reset();
        model.process(silenced.data(), b.data(), frames);
        EXPECT_EQ(a, b) << "non-finite value " << bad << " at " << position << " of " << frames << " frames";
      }
    }
  }
}

TEST(Model, DescribeReportsBackendsAndWhy) {
  BackendSelection selection;
  selection.all = Backend::stl;
  // The last implementation that computes the model's dense layer (the last of all may be a WaveNet's).
  const Implementation dense_last = implementations_for(LayerSpec::dense(12, 1)).back();
  selection.per_layer[1] = dense_last;
  Model model = Model::build(lstm_model(false), selection);
  const std::vector<LayerReport> layers = model.describe();
  ASSERT_EQ(layers.size(), 2u);
  EXPECT_EQ(layers[0].implementation, Backend::stl);
  EXPECT_EQ(layers[0].reason, "forced for all layers");
  EXPECT_EQ(layers[1].implementation, dense_last);
  EXPECT_EQ(layers[1].reason, "forced for this layer");
  EXPECT_EQ(layers[0].parameters, 4u * 12 * (1 + 12) + 2 * 4 * 12);
  EXPECT_EQ(layers[1].spec.to_string(), "dense(in=12,out=1,bias=1)");
}

TEST(Model, RejectsChainsThatDoNotFit) {
  ModelDefinition broken = lstm_model(false);
  broken.layers[1].spec.input_size = 11;
  broken.layers[1].weights["weight"].shape = {1, 11};
  EXPECT_THAT(build_error(broken), HasSubstr("layers[1] (dense): expects 11 input channels, but the previous layer gives 12"));

  ModelDefinition wrong_output = lstm_model(false);
  wrong_output.output_channels = 2;
  EXPECT_THAT(build_error(wrong_output), HasSubstr("output_channels is 2, but the last layer gives 1"));

  ModelDefinition skip = lstm_model(true);
  skip.input_channels = 2;
  EXPECT_THAT(build_error(skip), HasSubstr("input_skip needs as many output channels as input channels"));

  // A skip adds input frame t to output frame t: a decimating model has no output frame t.
  ModelDefinition decimating_skip = lstm_model(true);
  const LayerSpec strided = LayerSpec::conv1d(1, 1, 2, 1, 1, true, 2);
  std::mt19937 rng(3);
  decimating_skip.layers.insert(decimating_skip.layers.begin(), {strided, random_weights(strided, rng)});
  EXPECT_THAT(build_error(decimating_skip),
              HasSubstr("input_skip adds input frame t to output frame t, but the layers give 1 output frames per 2 "
                        "input frames"));

  ModelDefinition bad_weight = lstm_model(false);
  bad_weight.layers[0].weights["weight_hh_l0"].shape = {48, 11};
  EXPECT_THAT(build_error(bad_weight), HasSubstr("layers[0] (lstm): weights.weight_hh_l0: expected 48x12, got 48x11"));

  ModelDefinition nan_weight = lstm_model(false);
  nan_weight.layers[1].weights["bias"].values[0] = NAN;
  EXPECT_THAT(build_error(nan_weight), HasSubstr("layers[1] (dense): weights.bias: value 0 is nan"));

  ModelDefinition missing = lstm_model(false);
  missing.layers[0].weights.erase("bias_hh_l0");
  EXPECT_THAT(build_error(missing), HasSubstr("weights.bias_hh_l0: missing (expected 48)"));

  EXPECT_THAT(build_error(lstm_model(false), {std::nullopt, {{5, Backend::stl}}}),
              HasSubstr("backend selection names layer 5, but the model has 2 layers"));
  EXPECT_THAT(build_error(ModelDefinition{}), HasSubstr("a model needs at least one layer"));
}

}  // namespace
}  // namespace rtn::testing
