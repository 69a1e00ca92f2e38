#include "reference/torch_layer.hpp"
#include "reference/torch_reference.hpp"
#include "reference/torch_tensors.hpp"

namespace rtn::testing {

namespace {

namespace F = torch::nn::functional;

torch::nn::Linear make_linear(const LayerSpec& spec, const Weights& weights) {
  torch::nn::Linear linear(torch::nn::LinearOptions(spec.input_size, spec.output_size).bias(spec.bias));
  linear->weight.set_data(to_torch(weights.at("weight")));
  if (spec.bias) linear->bias.set_data(to_torch(weights.at("bias")));
  return linear;
}

torch::nn::BatchNorm1d make_batchnorm(const LayerSpec& spec, const Weights& weights) {
  torch::nn::BatchNorm1d norm(torch::nn::BatchNorm1dOptions(spec.input_size).eps(spec.epsilon));
  norm->weight.set_data(to_torch(weights.at("weight")));
  norm->bias.set_data(to_torch(weights.at("bias")));
  norm->running_mean.set_data(to_torch(weights.at("running_mean")));
  norm->running_var.set_data(to_torch(weights.at("running_var")));
  norm->eval();
  return norm;
}

// The activation of `spec` on [1, frames, channels].
torch::Tensor activate(const LayerSpec& spec, const torch::Tensor& slopes, const torch::Tensor& x) {
  switch (spec.kind) {
    case LayerKind::tanh: return torch::tanh(x);
    case LayerKind::relu: return torch::relu(x);
    case LayerKind::sigmoid: return torch::sigmoid(x);
    case LayerKind::softmax: return torch::softmax(x, -1);
    case LayerKind::elu: return F::elu(x, F::ELUFuncOptions().alpha(spec.alpha));
    case LayerKind::leaky_relu:
      return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(spec.negative_slope));
    case LayerKind::prelu:
      // PReLU's slopes apply along dimension 1 (channels): [batch, channels, time].
      return torch::prelu(x.transpose(1, 2).contiguous(), slopes).transpose(1, 2);
    default: break;
  }
  throw std::logic_error("not an activation: " + spec.to_string());
}

}  // namespace

std::vector<float> torch_dense(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                               int frames) {
  return from_torch(make_linear(spec, weights)->forward(frames_to_torch(input, frames, spec.input_size)));
}

std::vector<float> torch_batchnorm(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                   int frames) {
  // BatchNorm1d normalises dimension 1: [batch, channels, time].
  const torch::Tensor x = frames_to_torch(input, frames, spec.input_size).transpose(1, 2);
  return from_torch(make_batchnorm(spec, weights)->forward(x).transpose(1, 2));
}

std::vector<float> torch_activation(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                    int frames) {
  const torch::Tensor slopes = spec.kind == LayerKind::prelu ? to_torch(weights.at("weight")) : torch::Tensor();
  return from_torch(activate(spec, slopes, frames_to_torch(input, frames, spec.input_size)));
}

std::unique_ptr<TorchLayer> torch_dense_layer(const LayerSpec& spec, const Weights& weights) {
  return torch_function_layer([linear = make_linear(spec, weights)](const torch::Tensor& x) mutable { return linear->forward(x); });
}

std::unique_ptr<TorchLayer> torch_batchnorm_layer(const LayerSpec& spec, const Weights& weights) {
  return torch_function_layer([norm = make_batchnorm(spec, weights)](const torch::Tensor& x) mutable {
    return norm->forward(x.transpose(1, 2)).transpose(1, 2);
  });
}

std::unique_ptr<TorchLayer> torch_activation_layer(const LayerSpec& spec, const Weights& weights) {
  const torch::Tensor slopes = spec.kind == LayerKind::prelu ? to_torch(weights.at("weight")) : torch::Tensor();
  return torch_function_layer([spec, slopes](const torch::Tensor& x) { return activate(spec, slopes, x); });
}

}  // namespace rtn::testing
