// nn.ConvTranspose1d, streaming: input frame n gives output frames n*stride ... n*stride + stride - 1, PyTorch's
// output frames 0 ... L*stride - 1 for L input frames (docs/strided-convolutions.md).
#include <algorithm>
#include <cmath>
#include <tuple>

#include "rtn/layer_descriptor.hpp"

namespace rtn {

namespace {

std::string validate(const LayerSpec& spec) {
  if (spec.groups < 1 || spec.input_size % spec.groups || spec.output_size % spec.groups) {
    return "groups (" + std::to_string(spec.groups) + ") must divide both input channels (" +
           std::to_string(spec.input_size) + ") and output channels (" + std::to_string(spec.output_size) + ")";
  }
  if (spec.padding != 0) {
    return "padding (" + std::to_string(spec.padding) +
           ") must be 0: a transposed convolution's padding crops the first output frames, so the stream's first "
           "frame would need input that has not arrived (a look-ahead a causal stream cannot have)";
  }
  return "";
}

// Strides 1-5 over kernels 1-5 and dilations 1-3 (kernels shorter and longer than the stride), sizes odd and
// even, groups and depthwise.
std::vector<LayerSpec> conformance_shapes() {
  std::vector<LayerSpec> shapes;
  int index = 0;
  for (int stride = 1; stride <= 5; ++stride) {
    for (int kernel = 1; kernel <= 5; ++kernel) {
      for (auto [in, out, groups] : {std::tuple{1, 1, 1}, {3, 7, 1}, {8, 8, 1}, {13, 5, 1}, {8, 16, 4}, {6, 6, 6}}) {
        const int dilation = 1 + index++ % 3;
        shapes.push_back(LayerSpec::conv_transpose1d(in, out, kernel, stride, dilation, groups, index % 3 != 0));
      }
    }
  }
  for (auto [in, out, kernel, stride] : {std::tuple{32, 32, 3, 2}, {64, 24, 4, 4}, {17, 40, 8, 4}}) {
    shapes.push_back(LayerSpec::conv_transpose1d(in, out, kernel, stride));
  }
  return shapes;
}

}  // namespace

std::vector<LayerDescriptor> conv_transpose1d_descriptors() {
  LayerDescriptor transposed;
  transposed.kind = LayerKind::conv_transpose1d;
  transposed.name = "conv_transpose1d";
  // padding is not in the key: validate() refuses any but 0, so that a file saying it gets the reason.
  LayerParameter padding = LayerParameter::integer("padding", "", &LayerSpec::padding, false,
                                                   static_cast<int>(kMaxKernelSpan));
  padding.min = 0;
  transposed.parameters = {LayerParameter::integer("in_channels", "in", &LayerSpec::input_size, true),
                           LayerParameter::integer("out_channels", "out", &LayerSpec::output_size, true),
                           LayerParameter::integer("kernel_size", "kernel", &LayerSpec::kernel_size, true),
                           LayerParameter::integer("stride", "stride", &LayerSpec::stride),
                           LayerParameter::integer("dilation", "dilation", &LayerSpec::dilation, false,
                                                   static_cast<int>(kMaxKernelSpan)),
                           LayerParameter::integer("groups", "groups", &LayerSpec::groups),
                           LayerParameter::flag("bias", "bias", &LayerSpec::bias),
                           padding};
  transposed.validate = &validate;
  transposed.weights = [](const LayerSpec& spec, std::vector<WeightShape>& shapes) {
    shapes.push_back({"weight", {spec.input_size, spec.output_size / spec.groups, spec.kernel_size}});
    if (spec.bias) shapes.push_back({"bias", {spec.output_size}});
  };
  transposed.flops_per_frame = [](const LayerSpec& spec) {
    // Per input frame: every tap's product, and the stride's frames with their bias.
    const double out = spec.output_size;
    const int inputs_per_group = spec.input_size / spec.groups;  // validate() checks that groups divide it
    return 2 * out * inputs_per_group * spec.kernel_size + (spec.bias ? out * spec.stride : 0);
  };
  transposed.time_upsampling = [](const LayerSpec& spec) { return spec.stride; };
  transposed.file_limit = [](const LayerSpec& spec) -> std::pair<std::string, std::string> {
    if (static_cast<long long>(spec.kernel_size) * spec.dilation <= kMaxKernelSpan) return {};
    return {"dilation", "kernel_size * dilation is " + std::to_string(spec.kernel_size) + " * " +
                            std::to_string(spec.dilation) + ", more than the limit of " +
                            std::to_string(kMaxKernelSpan) + " (a limit against malformed files)"};
  };
  transposed.conformance_shapes = &conformance_shapes;
  transposed.typical_shape = [] { return LayerSpec::conv_transpose1d(8, 13, 3, 2, 2); };
  transposed.test_weight_range = [](const LayerSpec& spec, const WeightShape&) {
    // PyTorch's bound: 1/sqrt(fan-in), which for its [in][out/groups][k] weight is (out/groups) * k.
    const float bound =
        1.0f / std::sqrt(static_cast<float>(std::max(spec.output_size / spec.groups * spec.kernel_size, 1)));
    return WeightRange{-bound, bound};
  };
  return {transposed};
}

}  // namespace rtn
