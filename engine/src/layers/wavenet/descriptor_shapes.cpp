// The WaveNet architectures the registry-driven tests run the wavenet kernels on (the descriptor's
// conformance_shapes and typical_shape): Neural Amp Modeler's classic shapes (small, with odd and padded
// channel counts) and the newer features one by one and together.
#include "layers/wavenet/descriptor_shapes.hpp"

#include <memory>
#include <utility>

#include "rtn/wavenet_spec.hpp"

namespace rtn {

namespace {

using Type = WaveNetActivation::Type;

WaveNetLayerArray classic_array(int in, int channels, int head_size, int kernel,
                                const std::vector<int>& dilations, Type activation, bool gated,
                                bool head_bias) {
  WaveNetLayerArray array;
  array.input_size = in;
  array.channels = array.bottleneck = channels;
  array.head_size = head_size;
  array.head_bias = head_bias;
  for (int dilation : dilations) {
    WaveNetLayer layer;
    layer.kernel_size = kernel;
    layer.dilation = dilation;
    layer.activation = WaveNetActivation::simple(activation);
    layer.gating = gated ? WaveNetGating::gated : WaveNetGating::none;
    array.layers.push_back(layer);
  }
  return array;
}

LayerSpec make(WaveNetSpec spec) {
  return LayerSpec::wavenet(std::make_shared<const WaveNetSpec>(std::move(spec)));
}

// Two arrays as in Neural Amp Modeler's wavenet.nam test model: 3 then 2 channels.
WaveNetSpec tiny() {
  WaveNetSpec spec;
  spec.arrays.push_back(classic_array(1, 3, 2, 3, {1, 2}, Type::tanh, false, false));
  spec.arrays.push_back(classic_array(3, 2, 1, 3, {8}, Type::tanh, false, true));
  return spec;
}

// The "standard" preset's shape, shortened: 16 then 8 channels.
WaveNetSpec standard_like(int layers) {
  std::vector<int> dilations;
  dilations.reserve(static_cast<std::size_t>(layers));
  for (int i = 0; i < layers; ++i) dilations.push_back(1 << i);
  WaveNetSpec spec;
  spec.arrays.push_back(classic_array(1, 16, 8, 3, dilations, Type::tanh, false, false));
  spec.arrays.push_back(classic_array(16, 8, 1, 3, dilations, Type::tanh, false, true));
  return spec;
}

// Gated layers (tanh * sigmoid), odd sizes, two input channels.
WaveNetSpec gated_stereo() {
  WaveNetSpec spec;
  spec.input_size = 2;
  WaveNetLayerArray first = classic_array(2, 5, 3, 2, {1, 3, 7}, Type::tanh, true, true);
  first.condition_size = 2;
  WaveNetLayerArray second = classic_array(5, 3, 2, 4, {2, 5}, Type::relu, true, false);
  second.condition_size = 2;
  spec.arrays = {first, second};
  return spec;
}

WaveNetActivation prelu(std::vector<float> slopes) {
  WaveNetActivation activation = WaveNetActivation::simple(Type::prelu);
  activation.negative_slopes = std::move(slopes);
  return activation;
}

WaveNetActivation leaky_hard_tanh() {
  WaveNetActivation activation = WaveNetActivation::simple(Type::leaky_hard_tanh);
  activation.min_val = -0.5f;
  activation.max_val = 0.9f;
  activation.min_slope = 0.1f;
  activation.max_slope = 0.02f;
  return activation;
}

WaveNetActivation leaky_relu(float slope) {
  WaveNetActivation activation = WaveNetActivation::simple(Type::leaky_relu);
  activation.negative_slope = slope;
  return activation;
}

// Per-layer kernels, activations and gating modes (none, gated, blended), bottleneck, grouped convolutions,
// head1x1, layer1x1 groups, a head kernel, with and without FiLM.
WaveNetSpec newer_features(bool films) {
  WaveNetSpec spec;
  WaveNetLayerArray array;
  array.input_size = 1;
  array.channels = 6;
  array.bottleneck = 4;
  array.groups_input = 2;
  array.layer1x1_groups = 2;
  array.head1x1 = true;
  array.head1x1_out = 6;
  array.head1x1_groups = 2;
  array.head_size = 5;
  array.head_kernel_size = 2;
  array.head_bias = true;
  const struct {
    int kernel, dilation;
    WaveNetActivation activation;
    WaveNetGating gating;
    WaveNetActivation secondary;
  } layers[] = {
      {3, 1, WaveNetActivation::simple(Type::silu), WaveNetGating::gated,
       WaveNetActivation::simple(Type::hardswish)},
      {2, 2, prelu({0.04f, 0.05f, -0.2f, 0.3f}), WaveNetGating::blended, leaky_hard_tanh()},
      {4, 3, WaveNetActivation::simple(Type::softsign), WaveNetGating::none, {}},
      {1, 1, WaveNetActivation::simple(Type::hard_tanh), WaveNetGating::blended,
       WaveNetActivation::simple(Type::sigmoid)},
      {3, 5, leaky_relu(0.2f), WaveNetGating::gated, WaveNetActivation::simple(Type::softsign)},
  };
  for (const auto& entry : layers) {
    WaveNetLayer layer;
    layer.kernel_size = entry.kernel;
    layer.dilation = entry.dilation;
    layer.activation = entry.activation;
    layer.gating = entry.gating;
    if (entry.gating != WaveNetGating::none) layer.secondary = entry.secondary;
    array.layers.push_back(layer);
  }
  if (films) {
    for (int site = 0; site < kWaveNetFilmSites; ++site) {
      array.film[site].active = true;
      array.film[site].shift = site % 3 != 1;
    }
  }
  WaveNetLayerArray second;
  second.input_size = 6;
  second.channels = 5;
  second.bottleneck = 5;
  second.layer1x1 = false;
  second.head_size = 1;
  for (int dilation : {1, 4}) {
    WaveNetLayer layer;
    layer.dilation = dilation;
    layer.activation = WaveNetActivation::simple(Type::relu);
    second.layers.push_back(layer);
  }
  spec.arrays = {array, second};
  return spec;
}

// newer_features() without what only the generic kernel computes (groups, head1x1, PReLU): a bottleneck
// narrower than the channels, every gating mode, a head kernel, as the lanes kernel computes them.
WaveNetSpec ungrouped_features() {
  WaveNetSpec spec = newer_features(false);
  WaveNetLayerArray& array = spec.arrays[0];
  array.groups_input = array.layer1x1_groups = array.head1x1_groups = 1;
  array.head1x1 = false;
  array.head1x1_out = 0;
  array.layers[1].activation = WaveNetActivation::simple(Type::tanh);
  spec.arrays[1].input_size = array.channels;
  spec.arrays[1].layer1x1 = true;
  return spec;
}

// A condition network (whose 4 outputs condition the main network), grouped input mixin and FiLMs, and a
// post-stack head.
WaveNetSpec conditioned() {
  WaveNetSpec condition;
  condition.arrays.push_back(classic_array(1, 4, 4, 2, {1, 2}, Type::silu, true, true));
  WaveNetSpec spec = newer_features(false);
  spec.condition = std::make_shared<const WaveNetSpec>(condition);
  for (WaveNetLayerArray& array : spec.arrays) array.condition_size = 4;
  spec.arrays[0].groups_input_mixin = 2;
  spec.arrays[0].film[static_cast<int>(WaveNetFilmSite::conv_pre)] = {true, true, 2};
  spec.arrays[0].film[static_cast<int>(WaveNetFilmSite::activation_post)] = {true, false, 4};
  spec.arrays[0].film[static_cast<int>(WaveNetFilmSite::layer1x1_post)] = {true, true, 1};
  WaveNetPostHead head;
  head.channels = 3;
  head.out_channels = 1;
  head.kernel_sizes = {2, 1};
  head.activation = WaveNetActivation::simple(Type::tanh);
  spec.post_head = head;
  return spec;
}

// Neural Amp Modeler's A2 shape, shortened: one array of 8 channels (the fixed-size kernels' width), kernels
// of 6 and 15 taps, LeakyReLU, a head rechannel of 16 taps.
WaveNetSpec a2_like() {
  WaveNetLayerArray array = classic_array(1, 8, 1, 6, {1, 3, 7, 17}, Type::leaky_relu, false, true);
  array.layers[2].kernel_size = 15;
  for (WaveNetLayer& layer : array.layers) layer.activation = leaky_relu(0.01f);
  array.head_kernel_size = 16;
  WaveNetSpec spec;
  spec.arrays.push_back(array);
  return spec;
}

}  // namespace

std::vector<LayerSpec> wavenet_conformance_shapes() {
  return {make(tiny()),
          make(standard_like(6)),
          make(gated_stereo()),
          make(newer_features(false)),
          make(newer_features(true)),
          make(ungrouped_features()),
          make(conditioned()),
          make(a2_like())};
}

LayerSpec wavenet_typical_shape() { return make(standard_like(4)); }

}  // namespace rtn
