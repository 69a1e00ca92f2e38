#include "reference/torch_reference.hpp"

#include <stdexcept>
#include <string>

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

std::vector<float> torch_reference(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                   int frames) {
  torch::NoGradGuard no_grad;
  switch (spec.kind) {
    case LayerKind::dense: return torch_dense(spec, weights, input, frames);
    case LayerKind::conv1d: return torch_conv1d(spec, weights, input, frames);
    case LayerKind::gru:
    case LayerKind::lstm: return torch_recurrent(spec, weights, input, frames);
    case LayerKind::batchnorm1d: return torch_batchnorm(spec, weights, input, frames);
    case LayerKind::wavenet: return torch_wavenet(spec, weights, input, frames);
    default:
      if (is_activation(spec.kind)) return torch_activation(spec, weights, input, frames);
  }
  throw NoTorchEquivalent("no torch reference for " + spec.to_string());
}

}  // namespace rtn::testing
