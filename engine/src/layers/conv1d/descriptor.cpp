// nn.Conv1d, streaming and causal: the output at t uses the inputs t-(k-1)d ... t. With a stride s, a
// decimating layer: output m is the output at t = m s (docs/strided-convolutions.md).
#include <algorithm>
#include <cmath>
#include <tuple>

#include "layers/layer_grids.hpp"
#include "layers/variant_with_kernel.hpp"
#include "rtn/layer_descriptor.hpp"

namespace rtn {

namespace {

std::string validate(const LayerSpec& spec) {
  if (spec.groups < 1 || spec.input_size % spec.groups || spec.output_size % spec.groups) {
    return "groups (" + std::to_string(spec.groups) + ") must divide both input channels (" +
           std::to_string(spec.input_size) + ") and output channels (" + std::to_string(spec.output_size) + ")";
  }
  return "";
}

Implementation default_implementation(const LayerSpec& spec, int block) {
  // xsimd.fixed where it has the size: N->N k 3 per sample 1.2-1.8x xsimd at N 8-64, in blocks of 64 within
  // noise to 1.4x (docs/backends.md).
  if (auto fixed = variant_with_kernel(spec, "xsimd.fixed")) return *fixed;
  // One input channel in blocks: a few multiply-adds per output (2-28%). Per sample, xsimd's frame path is
  // faster (Conv1D 1 -> 10, k 3: 24.5 vs 34 ns on the Intel Xeon).
  if (spec.input_size == 1 && block > 1) return Backend::stl;
  if (block > 1 && std::max(spec.input_size, spec.output_size) <= 16) return Backend::eigen;  // (12-40%)
  return Backend::xsimd;
}

std::vector<LayerSpec> conformance_shapes() {
  std::vector<LayerSpec> shapes;
  for (int kernel = 1; kernel <= 5; ++kernel) {
    for (int dilation : {1, 2, 4}) {
      for (auto [in, out] : {std::pair{1, 1}, {1, 8}, {3, 7}, {8, 8}, {13, 17}, {16, 16}}) {
        shapes.push_back(LayerSpec::conv1d(in, out, kernel, dilation, 1, (kernel + dilation) % 4 != 0));
      }
    }
  }
  for (auto [in, out, groups] : {std::tuple{2, 2, 2}, {8, 8, 2}, {8, 16, 4}, {16, 16, 16}, {24, 40, 8},
                                 {32, 32, 4}, {64, 64, 64}, {6, 3, 3}}) {
    for (int kernel : {1, 2, 3, 5}) {
      shapes.push_back(LayerSpec::conv1d(in, out, kernel, kernel == 3 ? 4 : 2, groups, kernel != 2));
    }
  }
  for (auto [in, out] : {std::pair{32, 32}, {40, 24}, {64, 64}}) shapes.push_back(LayerSpec::conv1d(in, out, 3, 1));
  // The fixed-size kernels' other sizes (layers/sizes.hpp), N -> N and from a mono input: outputs that fill
  // no register exactly (12, 20, 24, 40, 48) and the 1 -> N layers of every width.
  for (int size : {12, 16, 20, 24, 32, 40, 48, 64}) {
    if (size % 16 != 0) shapes.push_back(LayerSpec::conv1d(size, size, 3, 2));
    shapes.push_back(LayerSpec::conv1d(1, size, 3, size % 3 + 1, 1, size != 20));
  }
  // Strides 2-4 (5 > the kernel's span too), sizes odd and even, kernels 1-5, dilations 1-4, groups and
  // depthwise.
  int index = 0;
  for (int stride : {2, 3, 4, 5}) {
    for (int kernel = 1; kernel <= 5; ++kernel) {
      for (auto [in, out, groups] : {std::tuple{1, 1, 1}, {3, 7, 1}, {8, 8, 1}, {13, 5, 1}, {8, 16, 4}, {6, 6, 6}}) {
        const int dilation = 1 + index++ % 4;
        shapes.push_back(LayerSpec::conv1d(in, out, kernel, dilation, groups, index % 3 != 0, stride));
      }
    }
  }
  return shapes;
}

// Along time; in keys only when not 1, so that the keys of existing profiles stay valid.
LayerParameter stride_parameter() {
  LayerParameter stride =
      LayerParameter::integer("stride", "stride", &LayerSpec::stride, false, static_cast<int>(kMaxKernelSpan));
  stride.key_only_when_changed = true;
  return stride;
}

}  // namespace

std::vector<LayerDescriptor> conv1d_descriptors() {
  LayerDescriptor conv1d;
  conv1d.kind = LayerKind::conv1d;
  conv1d.name = "conv1d";
  conv1d.parameters = {LayerParameter::integer("in_channels", "in", &LayerSpec::input_size, true),
                       LayerParameter::integer("out_channels", "out", &LayerSpec::output_size, true),
                       LayerParameter::integer("kernel_size", "kernel", &LayerSpec::kernel_size, true),
                       LayerParameter::integer("dilation", "dilation", &LayerSpec::dilation, false,
                                                       static_cast<int>(kMaxKernelSpan)),
                       LayerParameter::integer("groups", "groups", &LayerSpec::groups),
                       LayerParameter::flag("bias", "bias", &LayerSpec::bias), stride_parameter()};
  conv1d.validate = &validate;
  conv1d.weights = [](const LayerSpec& spec, std::vector<WeightShape>& shapes) {
    shapes.push_back({"weight", {spec.output_size, spec.input_size / spec.groups, spec.kernel_size}});
    if (spec.bias) shapes.push_back({"bias", {spec.output_size}});
  };
  conv1d.flops_per_frame = [](const LayerSpec& spec) {
    // Per input frame: a strided layer computes an output every `stride` of them.
    const double out = spec.output_size;
    const int inputs_per_group = spec.input_size / spec.groups;  // validate() checks that groups divide it
    return (2 * out * inputs_per_group * spec.kernel_size + (spec.bias ? out : 0)) / spec.stride;
  };
  conv1d.history_frames = [](const LayerSpec& spec) { return (spec.kernel_size - 1) * spec.dilation; };
  conv1d.time_stride = [](const LayerSpec& spec) { return spec.stride; };
  conv1d.file_limit = [](const LayerSpec& spec) -> std::pair<std::string, std::string> {
    if (static_cast<long long>(spec.kernel_size) * spec.dilation <= kMaxKernelSpan) return {};
    return {"dilation", "kernel_size * dilation is " + std::to_string(spec.kernel_size) + " * " +
                            std::to_string(spec.dilation) + ", more than the limit of " +
                            std::to_string(kMaxKernelSpan) + " (a limit against malformed files)"};
  };
  conv1d.default_implementation = &default_implementation;
  conv1d.conformance_shapes = &conformance_shapes;
  conv1d.typical_shape = [] { return LayerSpec::conv1d(8, 13, 3, 4, 1); };
  conv1d.benchmark_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (int size : {8, 16, 32}) shapes.push_back(LayerSpec::conv1d(size, size, 3, 1));
    shapes.push_back(LayerSpec::conv1d(16, 16, 3, 64));
    shapes.push_back(LayerSpec::conv1d(16, 16, 3, 512));
    shapes.push_back(LayerSpec::conv1d(16, 16, 3, 8, 16));
    return shapes;
  };
  conv1d.test_weight_range = [](const LayerSpec& spec, const WeightShape&) {
    // PyTorch's bound: 1/sqrt(fan-in), the inputs of one output.
    const float bound = 1.0f / std::sqrt(static_cast<float>(std::max(spec.input_size / spec.groups * spec.kernel_size, 1)));
    return WeightRange{-bound, bound};
  };
  return {conv1d};
}

}  // namespace rtn
