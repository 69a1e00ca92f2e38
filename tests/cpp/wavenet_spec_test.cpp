// WaveNetSpec: the key the tuner and the profile use tells apart everything that changes the computation; the
// weights it expects are named and shaped as PyTorch's; validate() names the array, layer and problem.
#include "rtn/wavenet_spec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <unordered_set>

#include "rtn/layer_spec.hpp"
#include "rtn/weights.hpp"
#include "support/wavenet_shapes.hpp"

namespace rtn {
namespace {

using ::testing::HasSubstr;

WaveNetSpec two_layer_spec() {
  WaveNetSpec spec;
  WaveNetLayerArray array;
  array.channels = array.bottleneck = 4;
  array.head_size = 1;
  array.head_bias = true;
  for (int dilation : {1, 2}) {
    WaveNetLayer layer;
    layer.dilation = dilation;
    array.layers.push_back(layer);
  }
  spec.arrays.push_back(array);
  return spec;
}

LayerSpec make(const WaveNetSpec& spec) {
  return LayerSpec::wavenet(std::make_shared<const WaveNetSpec>(spec));
}

TEST(WaveNetSpec, KeysTellApartWhatChangesTheComputation) {
  const WaveNetSpec base = two_layer_spec();
  EXPECT_EQ(
      make(base).to_string(),
      "wavenet(in=1,out=1,arrays={in=1,cond=1,channels=4,head=1,head_bias=1,kernel=3,dilations=1.2,tanh})");
  std::vector<WaveNetSpec> variants(9, base);
  variants[1].arrays[0].layers[1].gating = WaveNetGating::gated;
  variants[2].arrays[0].layers[1].gating = WaveNetGating::blended;
  variants[3].arrays[0].film[static_cast<int>(WaveNetFilmSite::conv_post)].active = true;
  variants[4] = variants[3];
  variants[4].arrays[0].film[static_cast<int>(WaveNetFilmSite::conv_post)].shift = false;
  variants[5].arrays[0].layers[0].activation.type = WaveNetActivation::Type::leaky_relu;
  variants[6] = variants[5];
  variants[6].arrays[0].layers[0].activation.negative_slope = 0.2f;
  variants[7].arrays[0].head_kernel_size = 2;
  variants[8].arrays[0].layers[0].kernel_size = 2;
  std::unordered_set<LayerSpec, LayerSpecHash> keys;
  for (const WaveNetSpec& variant : variants) keys.insert(make(variant));
  EXPECT_EQ(keys.size(), variants.size());
  EXPECT_EQ(make(base), make(two_layer_spec()));

  LayerSpec lstm = LayerSpec::lstm(1, 3);
  lstm.initial_state = true;
  EXPECT_EQ(lstm.to_string(), "lstm(in=1,hidden=3,layers=1,bias=1,initial_state=1)");
  EXPECT_NE(lstm, LayerSpec::lstm(1, 3));
}

TEST(WaveNetSpec, ExpectedWeightsFollowTheFileOrderInPyTorchShapes) {
  WaveNetSpec spec = two_layer_spec();
  spec.arrays[0].head1x1 = true;
  spec.arrays[0].head1x1_out = 2;
  spec.arrays[0].head_size = 1;
  spec.arrays[0].film[static_cast<int>(WaveNetFilmSite::activation_post)] = {true, false, 1};
  std::vector<WeightShape> shapes;
  spec.append_expected_weights(shapes);
  std::vector<std::string> names;
  for (const WeightShape& shape : shapes) names.push_back(shape.name);
  EXPECT_THAT(names,
              ::testing::ElementsAre(
                  "layer_arrays.0.rechannel.weight", "layer_arrays.0.layers.0.conv.weight",
                  "layer_arrays.0.layers.0.conv.bias", "layer_arrays.0.layers.0.input_mixin.weight",
                  "layer_arrays.0.layers.0.layer1x1.weight", "layer_arrays.0.layers.0.layer1x1.bias",
                  "layer_arrays.0.layers.0.head1x1.weight", "layer_arrays.0.layers.0.head1x1.bias",
                  "layer_arrays.0.layers.0.activation_post_film.weight",
                  "layer_arrays.0.layers.0.activation_post_film.bias", "layer_arrays.0.layers.1.conv.weight",
                  "layer_arrays.0.layers.1.conv.bias", "layer_arrays.0.layers.1.input_mixin.weight",
                  "layer_arrays.0.layers.1.layer1x1.weight", "layer_arrays.0.layers.1.layer1x1.bias",
                  "layer_arrays.0.layers.1.head1x1.weight", "layer_arrays.0.layers.1.head1x1.bias",
                  "layer_arrays.0.layers.1.activation_post_film.weight",
                  "layer_arrays.0.layers.1.activation_post_film.bias", "layer_arrays.0.head_rechannel.weight",
                  "layer_arrays.0.head_rechannel.bias", "head_scale"));
  EXPECT_EQ(shapes[1].shape, (std::vector<int>{4, 4, 3}));   // conv [out][in][kernel]
  EXPECT_EQ(shapes[3].shape, (std::vector<int>{4, 1, 1}));   // input mixin, a 1x1
  EXPECT_EQ(shapes[8].shape, (std::vector<int>{4, 1, 1}));   // FiLM without shift: scale only
  EXPECT_EQ(shapes[19].shape, (std::vector<int>{1, 2, 1}));  // head rechannel from head1x1's 2 outputs
  EXPECT_TRUE(shapes.back().shape.empty());                  // head_scale: a scalar
  const LayerSpec layer = make(spec);
  EXPECT_EQ(layer.parameter_count(), 4u + 2 * (48 + 4 + 4 + 16 + 4 + 8 + 2 + 4 + 4) + 2 + 1 + 1);
  EXPECT_GT(layer.flops_per_frame(), 2.0 * layer.parameter_count());
}

TEST(WaveNetSpec, ValidateNamesTheArrayLayerAndProblem) {
  WaveNetSpec spec = two_layer_spec();
  EXPECT_EQ(spec.validate(), "");
  WaveNetSpec grouped = spec;
  grouped.arrays[0].groups_input = 3;
  EXPECT_EQ(grouped.validate(),
            "layer_arrays[0].layers[0].conv: groups (3) must divide both its inputs (4) and outputs (4)");
  WaveNetSpec chained = spec;
  chained.arrays.push_back(spec.arrays[0]);
  EXPECT_THAT(chained.validate(),
              HasSubstr("layer_arrays[1].input_size (1) must be the channels of layer_arrays[0] (4)"));
  WaveNetSpec prelu = spec;
  prelu.arrays[0].layers[1].activation.type = WaveNetActivation::Type::prelu;
  prelu.arrays[0].layers[1].activation.negative_slopes = {0.1f, 0.2f};
  EXPECT_EQ(
      prelu.validate(),
      "layer_arrays[0].layers[1].activation: prelu has 2 negative_slopes, but it is applied to 4 channels");
  WaveNetSpec film = spec;
  film.arrays[0].film[static_cast<int>(WaveNetFilmSite::head1x1_post)].active = true;
  EXPECT_EQ(film.validate(), "layer_arrays[0]: head1x1_post_film needs an active head1x1");
  EXPECT_EQ(LayerSpec::wavenet(nullptr).validate(), "a wavenet layer needs its architecture");
  LayerSpec gru = LayerSpec::gru(1, 4);
  gru.initial_state = true;
  EXPECT_EQ(gru.validate(), "initial_state is supported by lstm only");
}

// Every shape the registry-driven tests use is valid, and distinct.
TEST(WaveNetSpec, TestShapesAreValidAndDistinct) {
  std::unordered_set<LayerSpec, LayerSpecHash> keys;
  for (const LayerSpec& spec : testing::wavenet_conformance_shapes()) {
    EXPECT_EQ(spec.validate(), "") << spec.to_string();
    keys.insert(spec);
  }
  EXPECT_EQ(keys.size(), testing::wavenet_conformance_shapes().size());
}

}  // namespace
}  // namespace rtn
