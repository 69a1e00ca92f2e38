#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

// MaxPool1d and AvgPool1d along each frame's features: [1, frames, features] is pooled as [batch, channels,
// length], its frames in the place of channels, which PyTorch pools one by one.
namespace {

namespace F = torch::nn::functional;

torch::Tensor pool(const LayerSpec& spec, const torch::Tensor& x) {
  if (spec.kind == LayerKind::maxpool1d) {
    return F::max_pool1d(x, F::MaxPool1dFuncOptions(spec.kernel_size)
                                .stride(spec.stride)
                                .padding(spec.padding)
                                .dilation(spec.dilation));
  }
  return F::avg_pool1d(x, F::AvgPool1dFuncOptions(spec.kernel_size)
                              .stride(spec.stride)
                              .padding(spec.padding)
                              .count_include_pad(spec.count_include_pad));
}

std::unique_ptr<TorchLayer> torch_pooling_layer(const LayerSpec& spec, const Weights&) {
  return torch_function_layer([spec](const torch::Tensor& x) { return pool(spec, x); });
}

}  // namespace

std::vector<TorchReference> torch_pooling_references() {
  return {{"maxpool1d", nullptr, &torch_pooling_layer}, {"avgpool1d", nullptr, &torch_pooling_layer}};
}

}  // namespace rtn::testing
