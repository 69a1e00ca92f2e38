// Whatever a tuning profile picks, the model computes the same function: models of the bundled example
// shapes, built from profiles that choose each backend for every layer and mixes of backends across layers,
// against libtorch. And the streaming libtorch model that rtn-tune and `rtn bench` time is the same network.
#include <gtest/gtest.h>

#include <random>

#include "rtn/dispatcher.hpp"
#include "rtn/model.hpp"
#include "rtn/profile.hpp"
#include "tools/common/test_data.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_streaming.hpp"

namespace rtn::testing {
namespace {

constexpr int kFrames = 2048;
constexpr int kBlock = 64;

struct ExampleModel {
  const char* name;
  std::vector<LayerSpec> layers;
  bool input_skip;
};

// The shapes of suites/models/*.json.
std::vector<ExampleModel> example_models() {
  const LayerSpec tanh16 = LayerSpec::activation(LayerKind::tanh, 16);
  return {
      {"guitar_lstm", {LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)}, true},
      {"gru_2x16", {LayerSpec::gru(1, 16, 2), LayerSpec::dense(16, 1)}, true},
      {"conv_stack",
       {LayerSpec::conv1d(1, 16, 3, 1), tanh16, LayerSpec::conv1d(16, 16, 3, 2), tanh16,
        LayerSpec::conv1d(16, 16, 3, 4), tanh16, LayerSpec::dense(16, 1)},
       false},
  };
}

ModelDefinition build_definition(const ExampleModel& example, unsigned seed) {
  std::mt19937 rng(seed);
  ModelDefinition definition;
  definition.name = example.name;
  definition.input_channels = example.layers.front().input_size;
  definition.output_channels = example.layers.back().output_size;
  definition.input_skip = example.input_skip;
  for (const LayerSpec& spec : example.layers) definition.layers.push_back({spec, random_weights(spec, rng)});
  return definition;
}

std::vector<float> torch_chain(const ModelDefinition& definition, const std::vector<float>& input) {
  std::vector<float> signal = input;
  for (const LayerDefinition& layer : definition.layers)
    signal = torch_reference(layer.spec, layer.weights, signal, kFrames);
  if (definition.input_skip) {
    for (std::size_t i = 0; i < signal.size(); ++i) signal[i] += input[i];
  }
  return signal;
}

double model_tolerance(const ModelDefinition& definition) {
  double bound = 0;
  for (const LayerDefinition& layer : definition.layers) bound = std::max(bound, tolerance(layer.spec.kind));
  return bound;
}

// A profile of this machine and build in which layer i of `definition` chooses backends[i].
LoadedProfile profile_choosing(const ModelDefinition& definition, const std::vector<Implementation>& backends) {
  Profile profile;
  profile.machine = this_machine();
  profile.build = this_build();
  for (std::size_t i = 0; i < definition.layers.size(); ++i) {
    ProfileEntry entry;
    entry.layer = definition.layers[i].spec.to_string();
    entry.block = kBlock;
    entry.chosen = std::string(backends[i].name());
    entry.backends.push_back({entry.chosen, 1, 1, 0, 0, 0, true});
    // Layers of the same shape (the conv stack's tanh) share an entry: the first decides.
    if (!profile.find(entry.layer, kBlock)) profile.entries.push_back(entry);
  }
  return accept_profile(profile);
}

TEST(TunedModel, EveryBackendAProfileMayPickComputesTheSameFunction) {
  for (const ExampleModel& example : example_models()) {
    const ModelDefinition definition = build_definition(example, 41);
    std::mt19937 rng(42);
    const std::vector<float> input = random_signal(kFrames, definition.input_channels, rng, 0.5f);
    const std::vector<float> expected = torch_chain(definition, input);
    // Each implementation for every layer that it can compute (its backend's generic kernels for the
    // others), then each rotation of the implementations that can compute each layer across the layers.
    std::vector<std::vector<Implementation>> choices;
    for (Implementation implementation : compiled_implementations()) {
      std::vector<Implementation> all;
      for (const LayerDefinition& layer : definition.layers) {
        all.push_back(find_kernel(layer.spec, implementation) ? implementation : Implementation(implementation.backend()));
      }
      choices.push_back(all);
    }
    for (std::size_t shift = 0; shift < compiled_implementations().size(); ++shift) {
      std::vector<Implementation> mixed;
      for (std::size_t i = 0; i < definition.layers.size(); ++i) {
        const std::vector<Implementation> candidates = implementations_for(definition.layers[i].spec);
        mixed.push_back(candidates[(i + shift) % candidates.size()]);
      }
      choices.push_back(mixed);
    }
    for (const std::vector<Implementation>& backends : choices) {
      BackendSelection selection;
      selection.profile = profile_choosing(definition, backends);
      selection.block_size = kBlock;
      Model model = Model::build(definition, selection);
      std::string chosen;
      const std::vector<LayerReport> layers = model.describe();
      for (std::size_t i = 0; i < layers.size(); ++i) {
        chosen += std::string(layers[i].implementation.name()) + " ";
        EXPECT_EQ(layers[i].reason, "profile: exact entry") << example.name << " layer " << i;
        // Repeated shapes take the first layer's choice.
        const ProfileEntry* entry = selection.profile.profile->find(layers[i].spec.to_string(), kBlock);
        ASSERT_NE(entry, nullptr);
        EXPECT_EQ(layers[i].implementation.name(), entry->chosen);
      }
      std::vector<float> output(expected.size());
      for (int first = 0; first < kFrames; first += kBlock) {
        model.process(input.data() + first * definition.input_channels,
                      output.data() + first * definition.output_channels, kBlock);
      }
      EXPECT_LE(normalised_max_error(output, expected), model_tolerance(definition))
          << example.name << ": " << chosen;
    }
  }
}

TEST(TorchStreamingModel, IsTheSameNetworkBlockByBlock) {
  for (const ExampleModel& example : example_models()) {
    ModelDefinition definition = build_definition(example, 43);
    std::mt19937 rng(44);
    const std::vector<float> input = random_signal(kFrames, definition.input_channels, rng, 0.5f);
    const std::vector<float> expected = torch_chain(definition, input);
    for (int block : {1, 7, 64}) {
      TorchStreamingModel streaming(definition);
      std::vector<float> output(expected.size());
      for (int first = 0; first < kFrames; first += block) {
        const int frames = std::min(block, kFrames - first);
        streaming.process(input.data() + first * definition.input_channels,
                          output.data() + first * definition.output_channels, frames);
      }
      EXPECT_LE(normalised_max_error(output, expected), model_tolerance(definition))
          << example.name << " in blocks of " << block;
      // Carried state starts again from zero after reset().
      streaming.reset();
      std::vector<float> again(static_cast<std::size_t>(kBlock) * definition.output_channels);
      streaming.process(input.data(), again.data(), kBlock);
      EXPECT_LE(
          normalised_max_error(again, std::vector<float>(expected.begin(), expected.begin() + again.size())),
          model_tolerance(definition));
    }
  }
}

}  // namespace
}  // namespace rtn::testing
