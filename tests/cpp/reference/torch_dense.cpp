#include "reference/torch_reference.hpp"
#include "reference/torch_tensors.hpp"

namespace rtn::testing {

std::vector<float> torch_dense(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                               int frames) {
  torch::nn::Linear linear(torch::nn::LinearOptions(spec.input_size, spec.output_size).bias(spec.bias));
  linear->weight.set_data(to_torch(weights.at("weight")));
  if (spec.bias) linear->bias.set_data(to_torch(weights.at("bias")));
  return from_torch(linear->forward(frames_to_torch(input, frames, spec.input_size)));
}

std::vector<float> torch_batchnorm(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                   int frames) {
  torch::nn::BatchNorm1d norm(torch::nn::BatchNorm1dOptions(spec.input_size).eps(spec.epsilon));
  norm->weight.set_data(to_torch(weights.at("weight")));
  norm->bias.set_data(to_torch(weights.at("bias")));
  norm->running_mean.set_data(to_torch(weights.at("running_mean")));
  norm->running_var.set_data(to_torch(weights.at("running_var")));
  norm->eval();
  // BatchNorm1d normalises dimension 1: [batch, channels, time].
  const torch::Tensor x = frames_to_torch(input, frames, spec.input_size).transpose(1, 2);
  return from_torch(norm->forward(x).transpose(1, 2));
}

std::vector<float> torch_activation(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                    int frames) {
  namespace F = torch::nn::functional;
  const torch::Tensor x = frames_to_torch(input, frames, spec.input_size);
  switch (spec.kind) {
    case LayerKind::tanh: return from_torch(torch::tanh(x));
    case LayerKind::relu: return from_torch(torch::relu(x));
    case LayerKind::sigmoid: return from_torch(torch::sigmoid(x));
    case LayerKind::softmax: return from_torch(torch::softmax(x, -1));
    case LayerKind::elu: return from_torch(F::elu(x, F::ELUFuncOptions().alpha(spec.alpha)));
    case LayerKind::leaky_relu:
      return from_torch(F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(spec.negative_slope)));
    case LayerKind::prelu: {
      // PReLU's slopes apply along dimension 1 (channels): [batch, channels, time].
      const torch::Tensor slopes = to_torch(weights.at("weight"));
      return from_torch(torch::prelu(x.transpose(1, 2).contiguous(), slopes).transpose(1, 2));
    }
    default: break;
  }
  throw std::logic_error("not an activation: " + spec.to_string());
}

}  // namespace rtn::testing
