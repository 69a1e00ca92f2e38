// What the transposed convolutions of every backend share: their products' weights.
#include <utility>
#include <vector>

#include "layers/conv_transpose1d/tap_products.hpp"

namespace rtn {

LayerSpec tap_products_spec(const LayerSpec& spec) {
  return LayerSpec::conv1d(spec.input_size, spec.output_size * spec.kernel_size, 1, 1, spec.groups, false);
}

Weights tap_products_weights(const LayerSpec& spec, const Weights& weights) {
  const int taps = spec.kernel_size;
  const int group_in = spec.input_size / spec.groups;
  const int group_out = spec.output_size / spec.groups;
  const std::vector<float>& weight = weights.at("weight").values;  // [in][group_out][taps]
  Tensor products{{spec.output_size * taps, group_in, 1}, {}};
  products.values.resize(static_cast<std::size_t>(spec.output_size) * taps * group_in);
  for (int o = 0; o < spec.output_size; ++o) {
    const int group = o / group_out;
    for (int j = 0; j < taps; ++j) {
      for (int i = 0; i < group_in; ++i) {
        const std::size_t source =
            (static_cast<std::size_t>(group * group_in + i) * group_out + o % group_out) * taps + j;
        products.values[(static_cast<std::size_t>(o) * taps + j) * group_in + i] = weight[source];
      }
    }
  }
  return {{"weight", std::move(products)}};
}

}  // namespace rtn
