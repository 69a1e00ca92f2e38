// nn.BatchNorm1d and nn.BatchNorm2d in eval mode, folded into a per-channel scale and shift at load. A
// batchnorm2d normalises the channels of frames of features x channels (a conv2d's frames).
#include "layers/layer_grids.hpp"
#include "rtn/layer_descriptor.hpp"

namespace rtn {

std::vector<LayerDescriptor> batchnorm_descriptors() {
  LayerDescriptor batchnorm;
  batchnorm.kind = LayerKind::batchnorm1d;
  batchnorm.name = "batchnorm1d";
  batchnorm.keeps_size = true;
  batchnorm.parameters = {LayerParameter::integer("num_features", "channels", &LayerSpec::input_size, true),
                          LayerParameter::number("eps", "eps", &LayerSpec::epsilon, true)};
  batchnorm.weights = [](const LayerSpec& spec, std::vector<WeightShape>& shapes) {
    for (const char* name : {"weight", "bias", "running_mean", "running_var"}) shapes.push_back({name, {spec.input_size}});
  };
  // PyTorch's state_dict has this training counter; accepting it keeps exporters trivial.
  batchnorm.ignored_weights = {"num_batches_tracked"};
  batchnorm.conformance_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (int size : test_sizes()) shapes.push_back(LayerSpec::batchnorm1d(size, size % 2 ? 1e-5f : 1e-3f));
    return shapes;
  };
  batchnorm.typical_shape = [] { return LayerSpec::batchnorm1d(13); };
  batchnorm.test_weight_range = [](const LayerSpec&, const WeightShape& weight) {
    // Scales and variances positive, as trained ones are.
    if (weight.name == "weight" || weight.name == "running_var") return WeightRange{0.25f, 2.0f};
    return WeightRange{-1.0f, 1.0f};
  };
  LayerDescriptor batchnorm2d = batchnorm;
  batchnorm2d.kind = LayerKind::batchnorm2d;
  batchnorm2d.name = "batchnorm2d";
  batchnorm2d.parameters = {LayerParameter::integer("num_features", "channels", &LayerSpec::in_channels, true),
                            LayerParameter::integer("in_features", "features", &LayerSpec::features, true),
                            LayerParameter::number("eps", "eps", &LayerSpec::epsilon, true)};
  batchnorm2d.frame_sizes = [](LayerSpec& spec) { spec.input_size = spec.output_size = spec.features * spec.in_channels; };
  // One array per channel, not per float of the frame.
  batchnorm2d.weights = [](const LayerSpec& spec, std::vector<WeightShape>& shapes) {
    for (const char* name : {"weight", "bias", "running_mean", "running_var"}) shapes.push_back({name, {spec.in_channels}});
  };
  batchnorm2d.conformance_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (auto [channels, features] : {std::pair{1, 1}, {1, 23}, {2, 19}, {3, 10}, {8, 7}, {16, 4}, {5, 13}}) {
      shapes.push_back(LayerSpec::batchnorm2d(channels, features, features % 2 ? 1e-5f : 1e-2f));
    }
    return shapes;
  };
  batchnorm2d.typical_shape = [] { return LayerSpec::batchnorm2d(3, 10); };
  batchnorm2d.benchmark_shapes = [] {
    return std::vector<LayerSpec>{LayerSpec::batchnorm2d(2, 19), LayerSpec::batchnorm2d(8, 32), LayerSpec::batchnorm2d(16, 16)};
  };
  return {batchnorm, batchnorm2d};
}

}  // namespace rtn
