// The activations: element-wise tanh, relu, sigmoid, elu, leaky_relu and prelu, and softmax over each frame's
// channels. They keep their size; "channels" in a file defaults to what the layer receives.
#include "layers/layer_grids.hpp"
#include "layers/variant_with_kernel.hpp"
#include "rtn/layer_descriptor.hpp"

namespace rtn {

namespace {

LayerDescriptor activation(LayerKind kind, const char* name) {
  LayerDescriptor descriptor;
  descriptor.kind = kind;
  descriptor.name = name;
  descriptor.keeps_size = true;
  descriptor.activation = true;
  LayerParameter channels = LayerParameter::integer("channels", "channels", &LayerSpec::input_size, true);
  channels.defaults_to_input = true;
  descriptor.parameters = {channels};
  return descriptor;
}

// The conformance grid of an activation without parameters.
template <LayerKind kind>
std::vector<LayerSpec> plain_shapes() {
  std::vector<LayerSpec> shapes;
  for (int size : test_sizes()) shapes.push_back(LayerSpec::activation(kind, size));
  // The fixed-size kernels' widths that test_sizes() lacks (layers/sizes.hpp).
  for (int size : {12, 20, 48}) shapes.push_back(LayerSpec::activation(kind, size));
  return shapes;
}

template <LayerKind kind>
LayerDescriptor plain(const char* name) {
  LayerDescriptor descriptor = activation(kind, name);
  descriptor.conformance_shapes = &plain_shapes<kind>;
  descriptor.typical_shape = [] { return LayerSpec::activation(kind, 13); };
  return descriptor;
}

// xsimd.fixed where it has the width, else xsimd: the rational tanh beats Eigen's by 91-388% at 8-64 channels
// per sample and in blocks (docs/backends.md); with the width a constant, one frame is 10-18% faster again
// (12 and 16 channels per sample on the Intel Xeon). Blocks run the same code either way.
Implementation xsimd_fixed_or_xsimd(const LayerSpec& spec, int) {
  if (auto fixed = variant_with_kernel(spec, "xsimd.fixed")) return *fixed;
  return Backend::xsimd;
}

LayerDescriptor tanh() {
  LayerDescriptor tanh = plain<LayerKind::tanh>("tanh");
  tanh.default_implementation = &xsimd_fixed_or_xsimd;
  return tanh;
}

LayerDescriptor sigmoid() {
  LayerDescriptor sigmoid = plain<LayerKind::sigmoid>("sigmoid");
  // Its sigmoid goes through the rational tanh: by 89-339% over Eigen at 8-64 channels.
  sigmoid.default_implementation = &xsimd_fixed_or_xsimd;
  return sigmoid;
}

LayerDescriptor softmax() {
  LayerDescriptor softmax = plain<LayerKind::softmax>("softmax");
  softmax.flops_per_frame = [](const LayerSpec& spec) { return 4.0 * spec.input_size; };
  softmax.default_implementation = [](const LayerSpec&, int) -> Implementation { return Backend::eigen; };  // 60-185%
  return softmax;
}

LayerDescriptor elu() {
  LayerDescriptor elu = activation(LayerKind::elu, "elu");
  elu.parameters.push_back(LayerParameter::number("alpha", "alpha", &LayerSpec::alpha));
  elu.conformance_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (int size : test_sizes()) shapes.push_back(LayerSpec::elu(size, size % 2 ? 1.0f : 0.5f));
    return shapes;
  };
  elu.typical_shape = [] { return LayerSpec::elu(13, 0.7f); };
  return elu;  // xsimd by 15x
}

LayerDescriptor prelu() {
  LayerDescriptor prelu = activation(LayerKind::prelu, "prelu");
  prelu.parameters.push_back(LayerParameter::integer("num_parameters", "parameters", &LayerSpec::num_parameters));
  prelu.validate = [](const LayerSpec& spec) -> std::string {
    if (spec.num_parameters == 1 || spec.num_parameters == spec.input_size) return "";
    return "prelu num_parameters must be 1 or the channel count (" + std::to_string(spec.input_size) + "), got " +
           std::to_string(spec.num_parameters);
  };
  prelu.weights = [](const LayerSpec& spec, std::vector<WeightShape>& shapes) {
    shapes.push_back({"weight", {spec.num_parameters}});
  };
  // No rule: xsimd (Eigen's is 3-9x slower; stl within noise of xsimd).
  prelu.conformance_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (int size : test_sizes()) {
      shapes.push_back(LayerSpec::prelu(size, size));
      shapes.push_back(LayerSpec::prelu(size, 1));
    }
    return shapes;
  };
  prelu.typical_shape = [] { return LayerSpec::prelu(13, 13); };
  prelu.benchmark_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (int size : {8, 16, 32, 64}) shapes.push_back(LayerSpec::prelu(size, size));
    return shapes;
  };
  prelu.test_weight_range = [](const LayerSpec&, const WeightShape&) { return WeightRange{-0.5f, 0.5f}; };
  return prelu;
}

LayerDescriptor leaky_relu() {
  LayerDescriptor leaky_relu = activation(LayerKind::leaky_relu, "leaky_relu");
  leaky_relu.parameters.push_back(LayerParameter::number("negative_slope", "slope", &LayerSpec::negative_slope));
  leaky_relu.conformance_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (int size : test_sizes()) shapes.push_back(LayerSpec::leaky_relu(size, size % 2 ? 0.01f : 0.2f));
    return shapes;
  };
  leaky_relu.typical_shape = [] { return LayerSpec::leaky_relu(13, 0.1f); };
  return leaky_relu;
}

}  // namespace

std::vector<LayerDescriptor> activation_descriptors() {
  return {tanh(), plain<LayerKind::relu>("relu"), sigmoid(), softmax(), elu(), prelu(), leaky_relu()};
}

}  // namespace rtn
