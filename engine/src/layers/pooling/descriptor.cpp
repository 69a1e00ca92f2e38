// nn.MaxPool1d and nn.AvgPool1d along the features of each frame (a frame seen as [batch, 1, features]):
// per frame and without state, so the time axis is untouched.
#include <string>
#include <vector>

#include "rtn/layer_descriptor.hpp"

namespace rtn {

namespace {

// The window's span over the features: dilation (kernel_size - 1) + 1.
int window_span(const LayerSpec& spec) { return spec.dilation * (spec.kernel_size - 1) + 1; }

// The windows that fit the padded frame; 0 for a stride that validate() refuses (never divide by it).
int pooled_size(const LayerSpec& spec) {
  if (spec.stride < 1) return 0;
  return (spec.input_size + 2 * spec.padding - window_span(spec)) / spec.stride + 1;
}

// The output size follows from the window; validate() runs after, so the spec may be invalid.
void frame_sizes(LayerSpec& spec) { spec.output_size = pooled_size(spec); }

// PyTorch's own limits, and what would leave a frame without output.
std::string validate(const LayerSpec& spec) {
  if (spec.input_size < 1) return "in_features must be at least 1, got " + std::to_string(spec.input_size);
  const std::string padded = std::to_string(spec.input_size + 2 * spec.padding);
  const std::string padded_text = "the padded frame (" + std::to_string(spec.input_size) + " features + 2 * padding " +
                                  std::to_string(spec.padding) + " = " + padded + ")";
  if (spec.padding > spec.kernel_size / 2) {
    return "padding (" + std::to_string(spec.padding) + ") must be at most half of kernel_size (" +
           std::to_string(spec.kernel_size) + "), as in PyTorch";
  }
  if (window_span(spec) > spec.input_size + 2 * spec.padding) {
    return "the window (kernel_size " + std::to_string(spec.kernel_size) +
           (spec.dilation > 1 ? ", dilation " + std::to_string(spec.dilation) : std::string()) + ": " +
           std::to_string(window_span(spec)) + " features) is larger than " + padded_text;
  }
  if (spec.stride > spec.input_size + 2 * spec.padding) {
    return "stride (" + std::to_string(spec.stride) + ") is larger than " + padded_text;
  }
  // A dilated window can step over the whole frame: PyTorch's maximum of padding alone is -inf.
  for (int o = 0; o < pooled_size(spec); ++o) {
    bool sees_a_feature = false;
    for (int j = 0; j < spec.kernel_size && !sees_a_feature; ++j) {
      const int feature = o * spec.stride - spec.padding + j * spec.dilation;
      sees_a_feature = feature >= 0 && feature < spec.input_size;
    }
    if (!sees_a_feature) {
      return "the window of output " + std::to_string(o) + " (kernel_size " + std::to_string(spec.kernel_size) +
             ", dilation " + std::to_string(spec.dilation) + ") holds only padding: its maximum would be -inf";
    }
  }
  return "";
}

// Sizes odd and even, windows 1-5, strides 1-3, dilations 1-4 (max), padding 0 or half the kernel, wherever
// the shape is valid.
template <bool Max>
std::vector<LayerSpec> conformance_shapes() {
  std::vector<LayerSpec> shapes;
  for (int features : {1, 2, 3, 7, 8, 13, 16, 17, 40}) {
    for (int kernel = 1; kernel <= 5; ++kernel) {
      for (int stride = 1; stride <= 3; ++stride) {
        for (int dilation = 1; dilation <= (Max ? 4 : 1); ++dilation) {
          const int span = dilation * (kernel - 1) + 1;
          const int padding = (features + kernel + stride) % 2 ? kernel / 2 : 0;
          if (span > features + 2 * padding || stride > features + 2 * padding) continue;
          LayerSpec spec = Max ? LayerSpec::maxpool1d(features, kernel, stride, padding, dilation)
                               : LayerSpec::avgpool1d(features, kernel, stride, padding, (kernel + stride) % 2 == 0);
          if (validate(spec).empty()) shapes.push_back(spec);
        }
      }
    }
  }
  return shapes;
}

LayerDescriptor pooling(LayerKind kind, const char* name) {
  LayerDescriptor descriptor;
  descriptor.kind = kind;
  descriptor.name = name;
  // The features it pools default to what the layer receives (PyTorch's pooling has no size argument).
  LayerParameter features = LayerParameter::integer("in_features", "in", &LayerSpec::input_size, true);
  features.defaults_to_input = true;
  LayerParameter padding = LayerParameter::integer("padding", "padding", &LayerSpec::padding);
  padding.min = 0;
  // stride is required: PyTorch's default (the kernel size) would differ from LayerSpec's, so files say it.
  descriptor.parameters = {features, LayerParameter::integer("kernel_size", "kernel", &LayerSpec::kernel_size, true),
                           LayerParameter::integer("stride", "stride", &LayerSpec::stride, true), padding};
  descriptor.validate = &validate;
  descriptor.frame_sizes = &frame_sizes;
  return descriptor;
}

}  // namespace

std::vector<LayerDescriptor> pooling_descriptors() {
  LayerDescriptor max = pooling(LayerKind::maxpool1d, "maxpool1d");
  max.parameters.push_back(LayerParameter::integer("dilation", "dilation", &LayerSpec::dilation));
  // A comparison per tap and output.
  max.flops_per_frame = [](const LayerSpec& spec) { return 1.0 * spec.output_size * spec.kernel_size; };
  max.conformance_shapes = &conformance_shapes<true>;
  max.typical_shape = [] { return LayerSpec::maxpool1d(13, 3, 2, 1, 2); };
  max.benchmark_shapes = [] {
    return std::vector<LayerSpec>{LayerSpec::maxpool1d(16, 2, 2), LayerSpec::maxpool1d(32, 3, 2, 1),
                                  LayerSpec::maxpool1d(64, 3, 1, 1)};
  };

  LayerDescriptor average = pooling(LayerKind::avgpool1d, "avgpool1d");
  average.parameters.push_back(LayerParameter::flag("count_include_pad", "count_pad", &LayerSpec::count_include_pad));
  // An addition per tap and output, and the division.
  average.flops_per_frame = [](const LayerSpec& spec) { return spec.output_size * (spec.kernel_size + 1.0); };
  average.conformance_shapes = &conformance_shapes<false>;
  average.typical_shape = [] { return LayerSpec::avgpool1d(13, 3, 2, 1); };
  average.benchmark_shapes = [] {
    return std::vector<LayerSpec>{LayerSpec::avgpool1d(16, 2, 2), LayerSpec::avgpool1d(32, 3, 2, 1),
                                  LayerSpec::avgpool1d(64, 3, 1, 1)};
  };
  return {max, average};
}

}  // namespace rtn
