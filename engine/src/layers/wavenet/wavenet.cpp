// What the WaveNet kernels of every backend share: the layouts of their 1x1 convolutions, activations and
// FiLMs, built once from the weights.
#include <algorithm>

#include "layers/wavenet/wavenet_parts.hpp"

namespace rtn {

Pointwise pointwise(const Weights& weights, const std::string& name, int in, int out, int groups, bool bias) {
  const std::vector<float>& weight = weights.at(name + ".weight").values;  // [out][in/groups][1]
  const int group_in = in / groups, group_out = out / groups;
  // Block-diagonal: output o reads only the inputs of its group, the rest of its row stays zero.
  std::vector<float> dense(static_cast<std::size_t>(out) * in, 0.0f);
  for (int o = 0; o < out; ++o) {
    const int first = o / group_out * group_in;
    for (int i = 0; i < group_in; ++i) {
      dense[static_cast<std::size_t>(o) * in + first + i] =
          weight[static_cast<std::size_t>(o) * group_in + i];
    }
  }
  Pointwise conv;
  conv.matrix = padded_matrix_from_rows(dense.data(), out, in);
  conv.has_bias = bias;
  conv.bias = padded_vector(bias ? weights.at(name + ".bias").values.data() : nullptr, out);
  return conv;
}

Weights conv_weights(const Weights& weights, const std::string& name, bool bias) {
  Weights conv;
  conv["weight"] = weights.at(name + ".weight");
  if (bias) conv["bias"] = weights.at(name + ".bias");
  return conv;
}

ActivationFunction activation_function(const WaveNetActivation& spec, int channels) {
  ActivationFunction function;
  function.spec = spec;
  if (spec.type == WaveNetActivation::Type::prelu) {
    function.slopes.assign(padded_size(channels), 0.0f);
    for (int c = 0; c < channels; ++c) {
      // One slope per channel, or one shared (a single entry, or negative_slope).
      const std::size_t count = spec.negative_slopes.size();
      function.slopes[c] = count == 0 ? spec.negative_slope : spec.negative_slopes[count == 1 ? 0 : c];
    }
  }
  return function;
}

Film film(const Weights& weights, const std::string& name, const WaveNetFilm& spec, int condition_size,
          int width) {
  Film film;
  if (!spec.active) return film;
  film.active = true;
  film.shift = spec.shift;
  film.width = width;
  film.projection = pointwise(weights, name, condition_size, (spec.shift ? 2 : 1) * width, spec.groups, true);
  film.zeros.assign(padded_size(width), 0.0f);
  return film;
}

bool supports_lanes(const WaveNetSpec& spec) noexcept {
  if (spec.condition || spec.post_head) return false;
  const auto element_wise = [](const WaveNetActivation& activation) {
    return activation.type != WaveNetActivation::Type::prelu;
  };
  for (const WaveNetLayerArray& array : spec.arrays) {
    if (array.groups_input != 1 || array.groups_input_mixin != 1 || !array.layer1x1 || array.layer1x1_groups != 1 ||
        array.head1x1 || array.condition_size != spec.input_size) {
      return false;
    }
    for (const WaveNetFilm& film : array.film) {
      if (film.active) return false;
    }
    for (const WaveNetLayer& layer : array.layers) {
      if (!element_wise(layer.activation)) return false;
      if (layer.gating != WaveNetGating::none && !element_wise(layer.secondary)) return false;
    }
  }
  return true;
}

}  // namespace rtn
