#include "reference/torch_reference.hpp"

#include <stdexcept>
#include <string>

#include "reference/torch_layer.hpp"
#include "reference/torch_tensors.hpp"

namespace rtn::testing {

torch::Tensor to_torch(const Tensor& weight) {
  std::vector<int64_t> shape(weight.shape.begin(), weight.shape.end());
  return torch::tensor(weight.values, torch::kFloat32).reshape(shape).clone();
}

torch::Tensor frames_to_torch(const std::vector<float>& frames, int count, int channels) {
  return torch::tensor(std::vector<float>(frames.begin(), frames.begin() + static_cast<long>(count) * channels),
                       torch::kFloat32)
      .reshape({1, count, channels});
}

std::vector<float> from_torch(const torch::Tensor& tensor) {
  const torch::Tensor flat = tensor.contiguous().to(torch::kFloat32).reshape({-1});
  return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

namespace {

// Every built-in layer kind's reference, one line each (reference/torch_<layer>.cpp).
std::vector<TorchReference>& reference_table() {
  static std::vector<TorchReference> table = {
      {"dense", &torch_dense, &torch_dense_layer},
      {"conv1d", &torch_conv1d, &torch_conv1d_layer},
      {"gru", &torch_recurrent, &torch_gru_layer},
      {"lstm", &torch_recurrent, &torch_lstm_layer},
      {"batchnorm1d", &torch_batchnorm, &torch_batchnorm_layer},
      {"tanh", &torch_activation, &torch_activation_layer},
      {"relu", &torch_activation, &torch_activation_layer},
      {"sigmoid", &torch_activation, &torch_activation_layer},
      {"softmax", &torch_activation, &torch_activation_layer},
      {"elu", &torch_activation, &torch_activation_layer},
      {"prelu", &torch_activation, &torch_activation_layer},
      {"leaky_relu", &torch_activation, &torch_activation_layer},
      {"wavenet", &torch_wavenet, nullptr},  // no streaming module: NAM's WaveNet is not a torch module
  };
  return table;
}

}  // namespace

const TorchReference* find_torch_reference(LayerKind kind) {
  const std::string_view name = layer_kind_name(kind);
  for (const TorchReference& reference : reference_table()) {
    if (reference.kind == name) return &reference;
  }
  return nullptr;
}

void register_torch_reference(TorchReference reference) { reference_table().push_back(std::move(reference)); }

std::vector<float> torch_reference(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                   int frames) {
  torch::NoGradGuard no_grad;
  const TorchReference* reference = find_torch_reference(spec.kind);
  if (!reference) throw NoTorchEquivalent("no torch reference for " + spec.to_string());
  if (reference->whole) return reference->whole(spec, weights, input, frames);
  const std::unique_ptr<TorchLayer> layer = reference->streaming(spec, weights);
  return from_torch(layer->forward(frames_to_torch(input, frames, spec.input_size)));
}

}  // namespace rtn::testing
