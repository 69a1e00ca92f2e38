#include "tools/common/test_data.hpp"

#include <algorithm>
#include <cmath>

#include "rtn/layer_descriptor.hpp"

namespace rtn::testing {

Weights random_weights(const LayerSpec& spec, std::mt19937& rng) {
  const LayerDescriptor& descriptor = layer_descriptor(spec.kind);
  Weights weights;
  for (const WeightShape& shape : expected_weights(spec)) {
    Tensor tensor;
    tensor.shape = shape.shape;
    std::size_t count = 1;
    for (int extent : shape.shape) count *= extent;
    // The kind's range, else PyTorch's default init bound: 1/sqrt(fan_in).
    WeightRange range;
    if (descriptor.test_weight_range) {
      range = descriptor.test_weight_range(spec, shape);
    } else {
      const float bound = 1.0f / std::sqrt(static_cast<float>(std::max(spec.input_size, 1)));
      range = {-bound, bound};
    }
    std::uniform_real_distribution<float> uniform(range.low, range.high);
    for (std::size_t i = 0; i < count; ++i) tensor.values.push_back(uniform(rng));
    weights[shape.name] = std::move(tensor);
  }
  return weights;
}

ModelDefinition random_model(const std::vector<LayerSpec>& specs, unsigned seed, bool input_skip) {
  std::mt19937 rng(seed);
  ModelDefinition definition;
  definition.name = "random";
  definition.input_channels = specs.front().input_size;
  definition.output_channels = specs.back().output_size;
  definition.input_skip = input_skip;
  for (const LayerSpec& spec : specs) definition.layers.push_back({spec, random_weights(spec, rng)});
  return definition;
}

std::vector<float> random_signal(int frames, int channels, std::mt19937& rng, float amplitude) {
  std::uniform_real_distribution<float> uniform(-amplitude, amplitude);
  std::vector<float> signal(static_cast<std::size_t>(frames) * channels);
  for (float& value : signal) value = uniform(rng);
  return signal;
}

std::vector<LayerSpec> conformance_shapes(LayerKind kind) { return layer_descriptor(kind).conformance_shapes(); }

LayerSpec typical_shape(LayerKind kind) { return layer_descriptor(kind).typical_shape(); }

LayerSpec typical_shape(const KernelEntry& entry) {
  LayerSpec typical = typical_shape(entry.kind);  // not const: returned by move
  if (entry.supports(typical)) return typical;
  LayerSpec chosen = typical;
  std::size_t largest = 0;
  for (const LayerSpec& spec : conformance_shapes(entry.kind)) {
    if (entry.supports(spec) && spec.parameter_count() >= largest) {
      chosen = spec;
      largest = spec.parameter_count();
    }
  }
  return chosen;
}

double max_abs_error(const std::vector<float>& actual, const std::vector<float>& expected) {
  if (actual.size() != expected.size()) return INFINITY;
  double worst = 0.0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double difference = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    if (!(difference <= worst)) worst = difference;  // also catches NaN
  }
  return worst;
}

double normalised_max_error(const std::vector<float>& actual, const std::vector<float>& expected) {
  double peak = 1.0;
  for (float value : expected) peak = std::max(peak, std::fabs(static_cast<double>(value)));
  return max_abs_error(actual, expected) / peak;
}

bool is_recurrent(LayerKind kind) { return layer_descriptor(kind).recurrent; }

std::string test_name(Implementation implementation) {
  std::string name(implementation.name());
  for (char& c : name) {
    if (c == '.' || c == '-') c = '_';
  }
  return name;
}

std::string kernel_test_name(const KernelEntry& entry) {
  return std::string(layer_kind_name(entry.kind)) + "_" + test_name(entry.implementation);
}

double tolerance(LayerKind kind) { return is_recurrent(kind) ? 1e-4 : 1e-5; }

}  // namespace rtn::testing
