#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

// nn.Linear.
namespace {

torch::nn::Linear make_linear(const LayerSpec& spec, const Weights& weights) {
  torch::nn::Linear linear(torch::nn::LinearOptions(spec.input_size, spec.output_size).bias(spec.bias));
  linear->weight.set_data(to_torch(weights.at("weight")));
  if (spec.bias) linear->bias.set_data(to_torch(weights.at("bias")));
  return linear;
}

}  // namespace

std::vector<float> torch_dense(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                               int frames) {
  return from_torch(make_linear(spec, weights)->forward(frames_to_torch(input, frames, spec.input_size)));
}

std::unique_ptr<TorchLayer> torch_dense_layer(const LayerSpec& spec, const Weights& weights) {
  return torch_function_layer(
      [linear = make_linear(spec, weights)](const torch::Tensor& x) mutable { return linear->forward(x); });
}

std::vector<TorchReference> torch_dense_references() { return {{"dense", &torch_dense, &torch_dense_layer}}; }

}  // namespace rtn::testing
