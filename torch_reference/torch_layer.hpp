#pragma once
// One layer in libtorch, streaming, as an audio host would run it: what TorchStreamingModel chains and what a
// layer kind's torch reference provides (torch_reference.hpp). Includes torch: only the torch_reference/*.cpp
// files and a layer kind's reference include it.
#include <torch/torch.h>

#include "rtn/weights.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

class TorchLayer {
 public:
  virtual ~TorchLayer() = default;
  // [1, frames, input_size] -> [1, frames, output_size]. Carries the state (an RNN's h and c, a convolution's
  // input history) to the next call.
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
  // Back to the state after construction (zero, or a learned initial state).
  virtual void reset() {}
};

// A stateless layer: one function of each block.
template <typename Function>
class TorchFunctionLayer final : public TorchLayer {
 public:
  explicit TorchFunctionLayer(Function function) : function_(std::move(function)) {}
  torch::Tensor forward(const torch::Tensor& x) override { return function_(x); }

 private:
  Function function_;
};

template <typename Function>
std::unique_ptr<TorchLayer> torch_function_layer(Function function) {
  return std::make_unique<TorchFunctionLayer<Function>>(std::move(function));
}

}  // namespace rtn::testing
