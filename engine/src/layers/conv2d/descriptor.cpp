// nn.Conv2d streaming over time: frames of features x channels, causal along time (the output at t uses the
// frames t-(k-1)d ... t), strided and zero-padded ("valid" or TensorFlow's "same") along features.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "rtn/layer_descriptor.hpp"

namespace rtn {

namespace {

std::string validate(const LayerSpec& spec) {
  if (spec.in_channels % spec.groups || spec.out_channels % spec.groups) {
    return "groups (" + std::to_string(spec.groups) + ") must divide both in_channels (" +
           std::to_string(spec.in_channels) + ") and out_channels (" + std::to_string(spec.out_channels) + ")";
  }
  if (spec.stride > spec.features) {
    return "stride (" + std::to_string(spec.stride) + ") is larger than the frame's " +
           std::to_string(spec.features) + " features";
  }
  if (conv2d_output_features(spec) < 1) {
    return "kernel_size_feature (" + std::to_string(spec.kernel_features) + ") is wider than the frame's " +
           std::to_string(spec.features) + " features, which \"valid\" padding does not pad";
  }
  return "";
}

std::vector<LayerSpec> conformance_shapes() {
  std::vector<LayerSpec> shapes;
  // Odd and even frames, kernels wider than the stride and narrower, strides 1-3, both paddings; every time
  // kernel 1-5 with dilations 1-4.
  const std::tuple<int, int, int, int, int, bool> frames[] = {
      {1, 2, 23, 5, 1, false}, {2, 3, 19, 3, 2, true}, {3, 1, 10, 3, 1, false},
      {1, 1, 7, 1, 3, true},   {4, 4, 9, 4, 2, true},  {2, 5, 8, 2, 3, false}, {5, 3, 6, 2, 1, true}};
  int index = 0;
  for (int kernel_time = 1; kernel_time <= 5; ++kernel_time) {
    for (const auto& [in, out, features, width, stride, same] : frames) {
      const int dilation = 1 + index++ % 4;
      shapes.push_back(LayerSpec::conv2d(in, out, features, kernel_time, width, dilation, stride, same, 1,
                                         (kernel_time + width) % 3 != 0));
    }
  }
  for (auto [in, out, groups] : {std::tuple{4, 6, 2}, {6, 6, 3}, {4, 4, 4}, {8, 16, 4}}) {
    for (bool same : {false, true}) {
      shapes.push_back(LayerSpec::conv2d(in, out, 11, 3, 3, 2, same ? 2 : 1, same, groups));
    }
  }
  return shapes;
}

}  // namespace

std::vector<LayerDescriptor> conv2d_descriptors() {
  LayerDescriptor conv2d;
  conv2d.kind = LayerKind::conv2d;
  conv2d.name = "conv2d";
  conv2d.parameters = {
      LayerParameter::integer("in_channels", "in", &LayerSpec::in_channels, true),
      LayerParameter::integer("out_channels", "out", &LayerSpec::out_channels, true),
      LayerParameter::integer("in_features", "features", &LayerSpec::features, true),
      LayerParameter::integer("kernel_size_time", "kernel", &LayerSpec::kernel_size, true),
      LayerParameter::integer("kernel_size_feature", "kernel_features", &LayerSpec::kernel_features, true),
      LayerParameter::integer("dilation", "dilation", &LayerSpec::dilation, false, static_cast<int>(kMaxKernelSpan)),
      LayerParameter::integer("stride", "stride", &LayerSpec::stride),
      LayerParameter::flag("same_padding", "same", &LayerSpec::same_padding),
      LayerParameter::integer("groups", "groups", &LayerSpec::groups),
      LayerParameter::flag("bias", "bias", &LayerSpec::bias)};
  conv2d.frame_sizes = [](LayerSpec& spec) {
    spec.input_size = spec.features * spec.in_channels;
    spec.output_size = conv2d_output_features(spec) * spec.out_channels;
  };
  conv2d.validate = &validate;
  conv2d.weights = [](const LayerSpec& spec, std::vector<WeightShape>& shapes) {
    shapes.push_back(
        {"weight", {spec.out_channels, spec.in_channels / spec.groups, spec.kernel_size, spec.kernel_features}});
    if (spec.bias) shapes.push_back({"bias", {spec.out_channels}});
  };
  conv2d.flops_per_frame = [](const LayerSpec& spec) {
    const double outputs = static_cast<double>(spec.output_size);
    const int channels_per_group = spec.in_channels / spec.groups;  // validate() checks that groups divide it
    return 2 * outputs * channels_per_group * spec.kernel_size * spec.kernel_features +
           (spec.bias ? outputs : 0);
  };
  conv2d.history_frames = [](const LayerSpec& spec) { return (spec.kernel_size - 1) * spec.dilation; };
  conv2d.file_limit = [](const LayerSpec& spec) -> std::pair<std::string, std::string> {
    if (static_cast<long long>(spec.kernel_size) * spec.dilation > kMaxKernelSpan) {
      return {"dilation", "kernel_size_time * dilation is " + std::to_string(spec.kernel_size) + " * " +
                              std::to_string(spec.dilation) + ", more than the limit of " +
                              std::to_string(kMaxKernelSpan) + " (a limit against malformed files)"};
    }
    if (static_cast<long long>(spec.features) * std::max(spec.in_channels, spec.out_channels) > kMaxLayerSize * 16LL) {
      return {"in_features", "frames of " + std::to_string(spec.features) + " features x " +
                                 std::to_string(std::max(spec.in_channels, spec.out_channels)) +
                                 " channels are more than the limit of " + std::to_string(kMaxLayerSize * 16) +
                                 " floats (a limit against malformed files)"};
    }
    return {};
  };
  conv2d.conformance_shapes = &conformance_shapes;
  conv2d.typical_shape = [] { return LayerSpec::conv2d(2, 3, 19, 4, 3, 1, 2, true); };
  conv2d.benchmark_shapes = [] {
    return std::vector<LayerSpec>{LayerSpec::conv2d(1, 8, 32, 3, 3, 1, 1, true),
                                  LayerSpec::conv2d(8, 8, 32, 3, 3, 2, 2, true),
                                  LayerSpec::conv2d(16, 16, 16, 3, 3, 4, 1, true)};
  };
  conv2d.test_weight_range = [](const LayerSpec& spec, const WeightShape&) {
    // PyTorch's bound: 1/sqrt(fan-in), the inputs of one output.
    const int fan_in = spec.in_channels / spec.groups * spec.kernel_size * spec.kernel_features;
    const float bound = 1.0f / std::sqrt(static_cast<float>(std::max(fan_in, 1)));
    return WeightRange{-bound, bound};
  };
  return {conv2d};
}

}  // namespace rtn
