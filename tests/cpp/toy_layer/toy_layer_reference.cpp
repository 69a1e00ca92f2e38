// The toy layer's libtorch reference: its streaming layer, which also serves as the whole-signal oracle.
#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_reference.hpp"
#include "toy_layer/toy_layer.hpp"

namespace rtn::testing {

namespace {

std::unique_ptr<TorchLayer> torch_toy_layer(const LayerSpec& spec, const Weights& weights) {
  // [1, frames, channels] * gain + [channels], broadcast over the frames.
  return torch_function_layer(
      [gain = spec.alpha, bias = to_torch(weights.at("bias"))](const torch::Tensor& x) { return x * gain + bias; });
}

}  // namespace

void register_toy_layer_reference() {
  static const bool registered = [] {
    register_torch_reference({kToyLayerName, nullptr, &torch_toy_layer});
    return true;
  }();
  (void)registered;
}

}  // namespace rtn::testing
