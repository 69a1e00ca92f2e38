#include "support/test_data.hpp"

#include <algorithm>
#include <cmath>

#include "support/wavenet_shapes.hpp"

namespace rtn::testing {

Weights random_weights(const LayerSpec& spec, std::mt19937& rng) {
  Weights weights;
  for (const WeightShape& shape : expected_weights(spec)) {
    Tensor tensor;
    tensor.shape = shape.shape;
    std::size_t count = 1;
    for (int extent : shape.shape) count *= extent;
    // PyTorch's default init bound: 1/sqrt(fan_in); for RNNs 1/sqrt(hidden).
    int fan_in = spec.input_size;
    if (spec.kind == LayerKind::conv1d) fan_in = spec.input_size / spec.groups * spec.kernel_size;
    if (is_recurrent(spec.kind)) fan_in = spec.output_size;
    // A WaveNet's convolutions: their own fan-in ([out][in/groups][kernel]).
    if (spec.kind == LayerKind::wavenet && shape.shape.size() == 3) fan_in = shape.shape[1] * shape.shape[2];
    const float bound = 1.0f / std::sqrt(static_cast<float>(std::max(fan_in, 1)));
    std::uniform_real_distribution<float> uniform(-bound, bound);
    std::uniform_real_distribution<float> positive(0.25f, 2.0f);
    std::uniform_real_distribution<float> slope(-0.5f, 0.5f);
    for (std::size_t i = 0; i < count; ++i) {
      if (shape.name == "running_var" || (spec.kind == LayerKind::batchnorm1d && shape.name == "weight")) {
        tensor.values.push_back(positive(rng));
      } else if (spec.kind == LayerKind::prelu) {
        tensor.values.push_back(slope(rng));
      } else if (spec.kind == LayerKind::batchnorm1d) {
        tensor.values.push_back(slope(rng) * 2.0f);
      } else {
        tensor.values.push_back(uniform(rng));
      }
    }
    weights[shape.name] = std::move(tensor);
  }
  return weights;
}

std::vector<float> random_signal(int frames, int channels, std::mt19937& rng, float amplitude) {
  std::uniform_real_distribution<float> uniform(-amplitude, amplitude);
  std::vector<float> signal(static_cast<std::size_t>(frames) * channels);
  for (float& value : signal) value = uniform(rng);
  return signal;
}

namespace {

const std::vector<int> kSizes = {1, 2, 3, 7, 8, 13, 16, 17, 24, 32, 40, 64};

// Pairs (in, out) covering every size as input and as output, plus the small-to-large and
// large-to-small extremes, without the full cross product (which would add minutes, not coverage).
std::vector<std::pair<int, int>> size_pairs() {
  std::vector<std::pair<int, int>> pairs;
  const int n = static_cast<int>(kSizes.size());
  for (int i = 0; i < n; ++i) {
    pairs.push_back({kSizes[i], kSizes[i]});
    pairs.push_back({kSizes[i], kSizes[(i + 5) % n]});
    pairs.push_back({kSizes[i], kSizes[(i + 9) % n]});
  }
  return pairs;
}

}  // namespace

std::vector<LayerSpec> conformance_shapes(LayerKind kind) {
  std::vector<LayerSpec> shapes;
  switch (kind) {
    case LayerKind::dense:
      for (auto [in, out] : size_pairs()) shapes.push_back(LayerSpec::dense(in, out, (in + out) % 3 != 0));
      break;
    case LayerKind::conv1d:
      for (int kernel = 1; kernel <= 5; ++kernel) {
        for (int dilation : {1, 2, 4}) {
          for (auto [in, out] : {std::pair{1, 1}, {1, 8}, {3, 7}, {8, 8}, {13, 17}, {16, 16}}) {
            shapes.push_back(LayerSpec::conv1d(in, out, kernel, dilation, 1, (kernel + dilation) % 4 != 0));
          }
        }
      }
      for (auto [in, out, groups] : {std::tuple{2, 2, 2}, {8, 8, 2}, {8, 16, 4}, {16, 16, 16}, {24, 40, 8},
                                     {32, 32, 4}, {64, 64, 64}, {6, 3, 3}}) {
        for (int kernel : {1, 2, 3, 5}) {
          shapes.push_back(LayerSpec::conv1d(in, out, kernel, kernel == 3 ? 4 : 2, groups, kernel != 2));
        }
      }
      for (auto [in, out] : {std::pair{32, 32}, {40, 24}, {64, 64}}) {
        shapes.push_back(LayerSpec::conv1d(in, out, 3, 1));
      }
      break;
    case LayerKind::gru:
    case LayerKind::lstm: {
      const auto make = kind == LayerKind::gru ? &LayerSpec::gru : &LayerSpec::lstm;
      for (int hidden : kSizes) {
        shapes.push_back(make(1, hidden, 1, true));
        shapes.push_back(make(hidden == 1 ? 2 : hidden - 1, hidden, 1, hidden % 2 == 0));
      }
      for (auto [in, hidden, layers] : {std::tuple{1, 8, 2}, {2, 13, 2}, {16, 16, 3}, {3, 40, 2}}) {
        shapes.push_back(make(in, hidden, layers, true));
      }
      if (kind == LayerKind::lstm) {
        // A stored initial state (Neural Amp Modeler's LSTM), which reset() restores.
        for (auto [in, hidden, layers] : {std::tuple{1, 3, 1}, {2, 17, 2}}) {
          LayerSpec spec = LayerSpec::lstm(in, hidden, layers, true);
          spec.initial_state = true;
          shapes.push_back(spec);
        }
      }
      if (kind == LayerKind::gru) {
        // Keras' reset_after=False (r scales h before W_hn): odd, padded and stacked sizes, with and without
        // bias.
        for (auto [in, hidden, layers, bias] : {std::tuple{1, 1, 1, true},
                                                {1, 8, 1, true},
                                                {3, 17, 1, false},
                                                {16, 16, 1, true},
                                                {1, 40, 1, true},
                                                {2, 13, 2, true}}) {
          LayerSpec spec = LayerSpec::gru(in, hidden, layers, bias);
          spec.reset_after = false;
          shapes.push_back(spec);
        }
      }
      break;
    }
    case LayerKind::batchnorm1d:
      for (int size : kSizes) shapes.push_back(LayerSpec::batchnorm1d(size, size % 2 ? 1e-5f : 1e-3f));
      break;
    case LayerKind::elu:
      for (int size : kSizes) shapes.push_back(LayerSpec::elu(size, size % 2 ? 1.0f : 0.5f));
      break;
    case LayerKind::leaky_relu:
      for (int size : kSizes) shapes.push_back(LayerSpec::leaky_relu(size, size % 2 ? 0.01f : 0.2f));
      break;
    case LayerKind::prelu:
      for (int size : kSizes) {
        shapes.push_back(LayerSpec::prelu(size, size));
        shapes.push_back(LayerSpec::prelu(size, 1));
      }
      break;
    case LayerKind::wavenet:
      return wavenet_conformance_shapes();
    default:
      for (int size : kSizes) shapes.push_back(LayerSpec::activation(kind, size));
      break;
  }
  return shapes;
}

LayerSpec typical_shape(LayerKind kind) {
  switch (kind) {
    case LayerKind::dense: return LayerSpec::dense(17, 40);
    case LayerKind::conv1d: return LayerSpec::conv1d(8, 13, 3, 4, 1);
    case LayerKind::gru: return LayerSpec::gru(3, 17, 2);
    case LayerKind::lstm: return LayerSpec::lstm(3, 17, 2);
    case LayerKind::batchnorm1d: return LayerSpec::batchnorm1d(13);
    case LayerKind::elu: return LayerSpec::elu(13, 0.7f);
    case LayerKind::leaky_relu: return LayerSpec::leaky_relu(13, 0.1f);
    case LayerKind::prelu: return LayerSpec::prelu(13, 13);
    case LayerKind::wavenet: return wavenet_typical_shape();
    default: return LayerSpec::activation(kind, 13);
  }
}

LayerSpec typical_shape(const KernelEntry& entry) {
  const LayerSpec typical = typical_shape(entry.kind);
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

bool is_recurrent(LayerKind kind) { return kind == LayerKind::gru || kind == LayerKind::lstm; }

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
