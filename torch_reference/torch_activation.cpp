#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

// The activations: torch's functions of the same names, softmax over each frame's channels.
namespace {

namespace F = torch::nn::functional;

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

std::vector<float> torch_activation(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                    int frames) {
  const torch::Tensor slopes = spec.kind == LayerKind::prelu ? to_torch(weights.at("weight")) : torch::Tensor();
  return from_torch(activate(spec, slopes, frames_to_torch(input, frames, spec.input_size)));
}

std::unique_ptr<TorchLayer> torch_activation_layer(const LayerSpec& spec, const Weights& weights) {
  const torch::Tensor slopes = spec.kind == LayerKind::prelu ? to_torch(weights.at("weight")) : torch::Tensor();
  return torch_function_layer([spec, slopes](const torch::Tensor& x) { return activate(spec, slopes, x); });
}

std::vector<TorchReference> torch_activation_references() {
  std::vector<TorchReference> references;
  for (const char* kind : {"tanh", "relu", "sigmoid", "softmax", "elu", "prelu", "leaky_relu"}) {
    references.push_back({kind, &torch_activation, &torch_activation_layer});
  }
  return references;
}

}  // namespace rtn::testing
