// Whole models against libtorch: the layers chained in torch, the same chain built as an rtn Model on
// each backend and on a mix of backends.
#include <gtest/gtest.h>

#include <random>

#include "rtn/model.hpp"
#include "tools/common/test_data.hpp"
#include "torch_reference/torch_reference.hpp"

namespace rtn::testing {
namespace {

std::vector<float> torch_model(const ModelDefinition& definition, const std::vector<float>& input, int frames) {
  std::vector<float> signal = input;
  for (const LayerDefinition& layer : definition.layers) signal = torch_reference(layer.spec, layer.weights, signal, frames);
  if (definition.input_skip) {
    for (std::size_t i = 0; i < signal.size(); ++i) signal[i] += input[i];
  }
  return signal;
}

std::vector<float> run_model(Model& model, const std::vector<float>& input, int frames, int block) {
  std::vector<float> output(static_cast<std::size_t>(frames) * model.output_channels());
  model.reset();
  for (int first = 0; first < frames; first += block) {
    const int count = std::min(block, frames - first);
    model.process(input.data() + static_cast<std::size_t>(first) * model.input_channels(),
                  output.data() + static_cast<std::size_t>(first) * model.output_channels(), count);
  }
  return output;
}

struct ModelCase {
  const char* name;
  std::vector<LayerSpec> layers;
  bool input_skip;
};

const std::vector<ModelCase>& model_cases() {
  static const std::vector<ModelCase> cases = {
      {"guitar_lstm", {LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)}, true},
      {"gru_stereo", {LayerSpec::gru(2, 24, 2), LayerSpec::dense(24, 8), LayerSpec::activation(LayerKind::tanh, 8),
                      LayerSpec::dense(8, 2)}, false},
      {"conv_stack", {LayerSpec::conv1d(1, 8, 3, 1), LayerSpec::activation(LayerKind::tanh, 8),
                      LayerSpec::conv1d(8, 8, 3, 2, 2), LayerSpec::batchnorm1d(8), LayerSpec::prelu(8, 8),
                      LayerSpec::conv1d(8, 8, 3, 4), LayerSpec::elu(8), LayerSpec::dense(8, 1)}, true},
  };
  return cases;
}

class ModelAgainstTorch : public ::testing::TestWithParam<ModelCase> {};

TEST_P(ModelAgainstTorch, EveryBackendAndAMix) {
  const ModelCase& test = GetParam();
  const ModelDefinition definition = random_model(test.layers, 42, test.input_skip);
  const int frames = 2000;
  std::mt19937 rng(3);
  const std::vector<float> input = random_signal(frames, definition.input_channels, rng, 0.8f);
  const std::vector<float> expected = torch_model(definition, input, frames);

  std::vector<BackendSelection> selections;
  for (Implementation backend : compiled_implementations()) selections.push_back({backend, {}});
  BackendSelection mix;  // layer i on the (i mod n)th of the n implementations that can compute it
  for (std::size_t i = 0; i < definition.layers.size(); ++i) {
    const std::vector<Implementation> candidates = implementations_for(definition.layers[i].spec);
    mix.per_layer[static_cast<int>(i)] = candidates[i % candidates.size()];
  }
  selections.push_back(mix);

  for (const BackendSelection& selection : selections) {
    Model model = Model::build(definition, selection);
    for (int block : {1, 64, frames}) {
      EXPECT_LE(max_abs_error(run_model(model, input, frames, block), expected), 1e-4)
          << test.name << ", block " << block << ", first layer on " << model.layer(0).implementation().name();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelAgainstTorch, ::testing::ValuesIn(model_cases()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace rtn::testing
