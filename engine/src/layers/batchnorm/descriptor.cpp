// nn.BatchNorm1d in eval mode, folded into a per-channel scale and shift at load.
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
  return {batchnorm};
}

}  // namespace rtn
