// nn.Linear: out = W in + b.
#include <algorithm>

#include "layers/layer_grids.hpp"
#include "layers/variant_with_kernel.hpp"
#include "rtn/layer_descriptor.hpp"

namespace rtn {

namespace {

Implementation default_implementation(const LayerSpec& spec, int block) {
  // xsimd.fixed where it has the size: 2x xsimd and 4x stl per sample at 8->8, 3-5x in blocks of 64
  // (docs/backends.md).
  if (auto fixed = variant_with_kernel(spec, "xsimd.fixed")) return *fixed;
  if (block <= 1) return spec.input_size <= 8 ? Backend::stl : Backend::xsimd;  // too small for vectors to pay
  if (spec.output_size == 1) return Backend::eigen;  // a dot product per frame (4-30%)
  return std::max(spec.input_size, spec.output_size) <= 8 ? Backend::stl : Backend::xsimd;
}

}  // namespace

std::vector<LayerDescriptor> dense_descriptors() {
  LayerDescriptor dense;
  dense.kind = LayerKind::dense;
  dense.name = "dense";
  dense.parameters = {LayerParameter::integer("in_features", "in", &LayerSpec::input_size, true),
                      LayerParameter::integer("out_features", "out", &LayerSpec::output_size, true),
                      LayerParameter::flag("bias", "bias", &LayerSpec::bias)};
  dense.weights = [](const LayerSpec& spec, std::vector<WeightShape>& shapes) {
    shapes.push_back({"weight", {spec.output_size, spec.input_size}});
    if (spec.bias) shapes.push_back({"bias", {spec.output_size}});
  };
  dense.flops_per_frame = [](const LayerSpec& spec) {
    const double in = spec.input_size, out = spec.output_size;
    return 2 * in * out + (spec.bias ? out : 0);
  };
  dense.default_implementation = &default_implementation;
  dense.conformance_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (auto [in, out] : test_size_pairs()) shapes.push_back(LayerSpec::dense(in, out, (in + out) % 3 != 0));
    return shapes;
  };
  dense.typical_shape = [] { return LayerSpec::dense(17, 40); };
  dense.benchmark_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (int size : {8, 16, 24, 32, 40, 64}) shapes.push_back(LayerSpec::dense(size, size));
    shapes.push_back(LayerSpec::dense(40, 1));
    return shapes;
  };
  return {dense};
}

}  // namespace rtn
