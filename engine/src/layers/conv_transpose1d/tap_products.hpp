#pragma once
// A transposed convolution's per-frame products as a pointwise convolution (what every backend's
// ConvTranspose1dKernel computes them with).
#include "rtn/layer_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn {

// conv1d(in, out * kernel_size, kernel 1, the same groups, no bias): channel o * kernel_size + j is output o's
// tap j, so that each group's channels stay together.
LayerSpec tap_products_spec(const LayerSpec& spec);
// Its weights from the transposed convolution's "weight" [in][out/groups][kernel_size]. Allocates.
Weights tap_products_weights(const LayerSpec& spec, const Weights& weights);

}  // namespace rtn
