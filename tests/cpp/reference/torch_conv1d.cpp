#include "reference/torch_reference.hpp"
#include "reference/torch_tensors.hpp"

namespace rtn::testing {

std::vector<float> torch_conv1d(const LayerSpec& spec, const Weights& weights,
                                const std::vector<float>& input, int frames) {
  namespace F = torch::nn::functional;
  // Conv1d convolves along the last dimension: [batch, channels, time]. Padding only the past with
  // (k-1)*d zeros makes it causal and starts it from zero history, as a streaming kernel after reset().
  torch::Tensor x = frames_to_torch(input, frames, spec.input_size).transpose(1, 2);
  x = F::pad(x, F::PadFuncOptions({spec.history_frames(), 0}));
  auto options = F::Conv1dFuncOptions().stride(1).padding(0).dilation(spec.dilation).groups(spec.groups);
  if (spec.bias) options.bias(to_torch(weights.at("bias")));
  const torch::Tensor y = F::conv1d(x, to_torch(weights.at("weight")), options);
  return from_torch(y.transpose(1, 2));  // back to [1, frames, channels]: interleaved frames
}

}  // namespace rtn::testing
