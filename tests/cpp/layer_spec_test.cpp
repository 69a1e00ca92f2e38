#include <gtest/gtest.h>

#include <unordered_set>

#include "rtn/layer_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn {
namespace {

TEST(LayerSpec, KeysAreReadableAndDistinguishWhatMatters) {
  EXPECT_EQ(LayerSpec::lstm(1, 40).to_string(), "lstm(in=1,hidden=40,layers=1,bias=1)");
  EXPECT_EQ(LayerSpec::conv1d(8, 16, 3, 2, 4).to_string(),
            "conv1d(in=8,out=16,kernel=3,dilation=2,groups=4,bias=1)");
  std::unordered_set<LayerSpec, LayerSpecHash> specs = {LayerSpec::dense(8, 8), LayerSpec::dense(8, 8, false),
                                                        LayerSpec::conv1d(8, 8, 1), LayerSpec::elu(8, 0.5f),
                                                        LayerSpec::elu(8, 1.0f)};
  EXPECT_EQ(specs.size(), 5u);
  EXPECT_EQ(LayerSpec::dense(8, 8), LayerSpec::dense(8, 8));
}

TEST(LayerSpec, NamesRoundTrip) {
  for (LayerKind kind : all_layer_kinds()) EXPECT_EQ(parse_layer_kind(layer_kind_name(kind)), kind);
  EXPECT_FALSE(parse_layer_kind("transformer").has_value());
}

TEST(LayerSpec, ValidateNamesTheProblem) {
  EXPECT_EQ(LayerSpec::conv1d(8, 6, 3, 1, 4).validate(),
            "groups (4) must divide both input channels (8) and output channels (6)");
  EXPECT_EQ(LayerSpec::dense(0, 3).validate(), "input size must be at least 1, got 0");
  EXPECT_EQ(LayerSpec::prelu(8, 3).validate(), "prelu num_parameters must be 1 or the channel count (8), got 3");
  EXPECT_EQ(LayerSpec::lstm(1, 40).validate(), "");
}

TEST(LayerSpec, CountsMatchTheExpectedWeights) {
  for (const LayerSpec& spec : {LayerSpec::dense(3, 5), LayerSpec::conv1d(8, 4, 3, 2, 2), LayerSpec::gru(2, 7, 3),
                                LayerSpec::lstm(1, 40, 1, false), LayerSpec::batchnorm1d(6), LayerSpec::prelu(6, 6)}) {
    std::size_t total = 0;
    for (const WeightShape& weight : expected_weights(spec)) {
      std::size_t count = 1;
      for (int extent : weight.shape) count *= extent;
      total += count;
    }
    EXPECT_EQ(spec.parameter_count(), total) << spec.to_string();
  }
  EXPECT_EQ(LayerSpec::lstm(1, 40).parameter_count(), 4u * 40 * 41 + 2 * 160);
}

}  // namespace
}  // namespace rtn
