#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

// nn.BatchNorm1d in eval mode.
namespace {

torch::nn::BatchNorm1d make_batchnorm(const LayerSpec& spec, const Weights& weights) {
  torch::nn::BatchNorm1d norm(torch::nn::BatchNorm1dOptions(spec.input_size).eps(spec.epsilon));
  norm->weight.set_data(to_torch(weights.at("weight")));
  norm->bias.set_data(to_torch(weights.at("bias")));
  norm->running_mean.set_data(to_torch(weights.at("running_mean")));
  norm->running_var.set_data(to_torch(weights.at("running_var")));
  norm->eval();
  return norm;
}

}  // namespace

std::vector<float> torch_batchnorm(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                   int frames) {
  // BatchNorm1d normalises dimension 1: [batch, channels, time].
  const torch::Tensor x = frames_to_torch(input, frames, spec.input_size).transpose(1, 2);
  return from_torch(make_batchnorm(spec, weights)->forward(x).transpose(1, 2));
}

std::unique_ptr<TorchLayer> torch_batchnorm_layer(const LayerSpec& spec, const Weights& weights) {
  return torch_function_layer([norm = make_batchnorm(spec, weights)](const torch::Tensor& x) mutable {
    return norm->forward(x.transpose(1, 2)).transpose(1, 2);
  });
}

// nn.BatchNorm2d in eval mode on the same image layout.
std::unique_ptr<TorchLayer> torch_batchnorm2d_layer(const LayerSpec& spec, const Weights& weights) {
  torch::nn::BatchNorm2d norm(torch::nn::BatchNorm2dOptions(spec.in_channels).eps(spec.epsilon));
  norm->weight.set_data(to_torch(weights.at("weight")));
  norm->bias.set_data(to_torch(weights.at("bias")));
  norm->running_mean.set_data(to_torch(weights.at("running_mean")));
  norm->running_var.set_data(to_torch(weights.at("running_var")));
  norm->eval();
  return torch_function_layer([norm, spec](const torch::Tensor& x) mutable {
    return image_to_frames(norm->forward(frames_to_image(x, spec.features, spec.in_channels)));
  });
}

std::vector<TorchReference> torch_batchnorm_references() {
  return {{"batchnorm1d", &torch_batchnorm, &torch_batchnorm_layer}, {"batchnorm2d", nullptr, &torch_batchnorm2d_layer}};
}

}  // namespace rtn::testing
