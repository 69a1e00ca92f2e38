// Model::process with the input and output in one buffer, and the edges of its contract: no frames,
// null pointers with no frames, processing before an explicit prepare, and a model that moves between
// threads.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "rtn/model.hpp"
#include "tools/common/test_data.hpp"

namespace rtn::testing {
namespace {

// in -> GRU 6 (state carried across pieces) -> Dense out.
ModelDefinition model_with_channels(int in, int out) {
  std::mt19937 rng(static_cast<unsigned>(31 + in * 10 + out));
  ModelDefinition definition;
  definition.input_channels = in;
  definition.output_channels = out;
  for (const LayerSpec& spec : {LayerSpec::gru(in, 6), LayerSpec::dense(6, out)}) {
    definition.layers.push_back({spec, random_weights(spec, rng)});
  }
  return definition;
}

bool same_bits(const float* a, const float* b, std::size_t count) {
  return std::memcmp(a, b, count * sizeof(float)) == 0;
}

struct Channels {
  int in, out;
};

class InPlace : public ::testing::TestWithParam<Channels> {};

TEST_P(InPlace, SameBufferGivesTheSameBitsAsSeparateBuffers) {
  const auto [in_channels, out_channels] = GetParam();
  constexpr int kMaxBlock = 32;
  Model model = Model::build(model_with_channels(in_channels, out_channels));
  model.prepare(kMaxBlock);
  std::mt19937 rng(3);
  // Shorter than, equal to and longer than the prepared block (several pieces, and a partial last one).
  for (int frames : {1, 5, kMaxBlock - 1, kMaxBlock, kMaxBlock + 1, 3 * kMaxBlock, 5 * kMaxBlock + 7}) {
    const std::vector<float> input = random_signal(frames, in_channels, rng);
    std::vector<float> expected(static_cast<std::size_t>(frames) * out_channels);
    model.reset();
    model.process(input.data(), expected.data(), frames);

    // The buffer holds the larger of input and output; the input fills its start.
    std::vector<float> buffer(static_cast<std::size_t>(frames) * std::max(in_channels, out_channels), -7.0f);
    std::copy(input.begin(), input.end(), buffer.begin());
    model.reset();
    model.process(buffer.data(), buffer.data(), frames);
    EXPECT_TRUE(same_bits(buffer.data(), expected.data(), expected.size()))
        << in_channels << " -> " << out_channels << " channels, " << frames << " frames, max block " << kMaxBlock;
  }
}

INSTANTIATE_TEST_SUITE_P(ChannelCounts, InPlace,
                         ::testing::Values(Channels{1, 1}, Channels{1, 2}, Channels{2, 1}, Channels{2, 2},
                                           Channels{3, 8}, Channels{8, 3}),
                         [](const auto& info) {
                           return std::to_string(info.param.in) + "_to_" + std::to_string(info.param.out);
                         });

TEST(ModelContract, ZeroFramesDoNothingEvenWithNullPointers) {
  Model model = Model::build(model_with_channels(1, 1));
  std::mt19937 rng(4);
  const std::vector<float> input = random_signal(64, 1, rng);
  std::vector<float> expected(64), actual(64);
  model.process(input.data(), expected.data(), 64);

  model.reset();
  model.process(nullptr, nullptr, 0);
  float untouched = 5.0f;
  model.process(input.data(), &untouched, 0);
  EXPECT_EQ(untouched, 5.0f);
  model.process(input.data(), actual.data(), 64);
  EXPECT_TRUE(same_bits(actual.data(), expected.data(), 64)) << "zero-frame calls changed the state";
}

TEST(ModelContract, ProcessWorksWithoutAnExplicitPrepare) {
  // build() prepares for 4096 frames; longer calls go in pieces.
  Model built = Model::build(model_with_channels(2, 2));
  Model prepared = Model::build(model_with_channels(2, 2));
  prepared.prepare(10000);
  std::mt19937 rng(5);
  const std::vector<float> input = random_signal(9000, 2, rng);
  std::vector<float> a(input.size()), b(input.size());
  built.process(input.data(), a.data(), 9000);
  prepared.process(input.data(), b.data(), 9000);
  EXPECT_LE(normalised_max_error(a, b), 2e-6);
  for (float value : a) ASSERT_TRUE(std::isfinite(value));
}

TEST(ModelContract, BuiltOnOneThreadProcessedAndDestroyedOnAnother) {
  std::mt19937 rng(6);
  const std::vector<float> input = random_signal(512, 1, rng);
  std::vector<float> expected(512);
  {
    Model reference = Model::build(model_with_channels(1, 1));
    reference.process(input.data(), expected.data(), 512);
  }
  auto model = std::make_unique<Model>(Model::build(model_with_channels(1, 1)));
  model->prepare(128);
  std::vector<float> output(512);
  std::thread audio([&] {
    model->process(input.data(), output.data(), 512);
    model.reset();  // destroyed on the audio thread
  });
  audio.join();
  EXPECT_EQ(model, nullptr);
  EXPECT_LE(normalised_max_error(output, expected), 2e-6);
}

}  // namespace
}  // namespace rtn::testing
