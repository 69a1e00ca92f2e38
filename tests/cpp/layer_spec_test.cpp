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
  // A stride only in the keys of strided layers: existing profiles' keys stay valid.
  EXPECT_EQ(LayerSpec::conv1d(8, 16, 3, 2, 4, true, 3).to_string(),
            "conv1d(in=8,out=16,kernel=3,dilation=2,groups=4,bias=1,stride=3)");
  EXPECT_EQ(LayerSpec::conv1d(8, 16, 3, 2, 4, true, 3).time_stride(), 3);
  EXPECT_EQ(LayerSpec::conv1d(8, 16, 3).time_stride(), 1);
  EXPECT_EQ(LayerSpec::conv1d(8, 16, 3, 1, 1, true, 0).validate(), "stride must be at least 1, got 0");
  // A transposed convolution upsamples: stride output frames per input frame.
  const LayerSpec transposed = LayerSpec::conv_transpose1d(8, 16, 3, 4, 2, 2);
  EXPECT_EQ(transposed.to_string(), "conv_transpose1d(in=8,out=16,kernel=3,stride=4,dilation=2,groups=2,bias=1)");
  EXPECT_EQ(transposed.time_upsampling(), 4);
  EXPECT_EQ(transposed.time_stride(), 1);
  EXPECT_EQ(transposed.max_output_frames(5), 20);
  EXPECT_EQ(LayerSpec::conv1d(8, 16, 3, 1, 1, true, 3).max_output_frames(7), 3);
  EXPECT_EQ(LayerSpec::conv_transpose1d(8, 6, 3, 2, 1, 4).validate(),
            "groups (4) must divide both input channels (8) and output channels (6)");
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

// Conv2D over frames of features x channels: sizes as TensorFlow computes them ("valid": the kernel's
// positions that fit, stride apart; "same": ceil(features / stride)), its key, cost and history.
TEST(LayerSpec, Conv2dFramesSizesAndCost) {
  const LayerSpec valid = LayerSpec::conv2d(1, 2, 23, 5, 5, 2, 1, false);
  EXPECT_EQ(valid.input_size, 23);
  EXPECT_EQ(valid.output_size, 19 * 2);
  EXPECT_EQ(valid.history_frames(), 8);
  EXPECT_EQ(valid.flops_per_frame(), 2.0 * 38 * 1 * 25 + 38);
  EXPECT_EQ(valid.to_string(),
            "conv2d(in=1,out=2,features=23,kernel=5,kernel_features=5,dilation=2,stride=1,same=0,groups=1,bias=1)");
  const LayerSpec same = LayerSpec::conv2d(2, 3, 19, 4, 3, 1, 2, true);
  EXPECT_EQ(same.output_size, 10 * 3);
  EXPECT_EQ(conv2d_padding_before(same), 1);  // TensorFlow: 2 zeros, 1 before and 1 after
  EXPECT_EQ(conv2d_padding_before(LayerSpec::conv2d(1, 1, 8, 1, 4, 1, 1, true)), 1);  // 3 zeros: 1 before, 2 after
  EXPECT_EQ(conv2d_output_features(LayerSpec::conv2d(1, 1, 10, 1, 3, 1, 3, false)), 3);
  EXPECT_EQ(same.validate(), "");
  EXPECT_EQ(LayerSpec::conv2d(2, 3, 19, 4, 3, 1, 20, true).validate(),
            "stride (20) is larger than the frame's 19 features");
  EXPECT_NE(valid, LayerSpec::conv2d(1, 2, 23, 5, 5, 2, 1, true));
  EXPECT_EQ(LayerSpec::batchnorm2d(3, 10).to_string(), "batchnorm2d(channels=3,features=10,eps=1e-05)");
  EXPECT_EQ(LayerSpec::batchnorm2d(3, 10).input_size, 30);
}

TEST(LayerSpec, CountsMatchTheExpectedWeights) {
  for (const LayerSpec& spec : {LayerSpec::dense(3, 5), LayerSpec::conv1d(8, 4, 3, 2, 2), LayerSpec::gru(2, 7, 3),
                                LayerSpec::lstm(1, 40, 1, false), LayerSpec::batchnorm1d(6), LayerSpec::prelu(6, 6),
                                LayerSpec::conv2d(4, 6, 9, 3, 2, 1, 2, true, 2), LayerSpec::batchnorm2d(3, 5)}) {
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
