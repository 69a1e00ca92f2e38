// The oracle for a GRU with reset_after == false (Keras' reset_after=False), which torch::nn::GRU cannot
// express: the reset gate scales h before the recurrent product of the candidate,
//   n = tanh(W_in x + b_in + b_hn + W_hn (r * h)),
// so it is computed here step by step with torch ops, straight from that formula, in float32.
#include <stdexcept>
#include <string>

#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

std::vector<float> torch_gru_reset_before(const LayerSpec& spec, const Weights& weights,
                                          const std::vector<float>& input, int frames) {
  if (spec.kind != LayerKind::gru || spec.reset_after) {
    throw std::logic_error("torch_gru_reset_before: not a reset_after == false GRU: " + spec.to_string());
  }
  torch::NoGradGuard no_grad;
  const int64_t hidden = spec.output_size;
  // [frames][features] of the layer's input; each layer of the stack feeds the next.
  torch::Tensor sequence = frames_to_torch(input, frames, spec.input_size).reshape({frames, spec.input_size});
  for (int layer = 0; layer < spec.num_layers; ++layer) {
    const std::string suffix = "_l" + std::to_string(layer);
    const torch::Tensor weight_ih = to_torch(weights.at("weight_ih" + suffix));
    const torch::Tensor weight_hh = to_torch(weights.at("weight_hh" + suffix));
    const torch::Tensor bias_ih =
        spec.bias ? to_torch(weights.at("bias_ih" + suffix)) : torch::zeros({3 * hidden});
    const torch::Tensor bias_hh =
        spec.bias ? to_torch(weights.at("bias_hh" + suffix)) : torch::zeros({3 * hidden});
    const torch::Tensor projected = torch::matmul(sequence, weight_ih.t()) + bias_ih;  // [frames][3H]
    const torch::Tensor weight_hr = weight_hh.slice(0, 0, hidden),
                        weight_hz = weight_hh.slice(0, hidden, 2 * hidden);
    const torch::Tensor weight_hn = weight_hh.slice(0, 2 * hidden, 3 * hidden);
    const torch::Tensor bias_hr = bias_hh.slice(0, 0, hidden), bias_hz = bias_hh.slice(0, hidden, 2 * hidden);
    const torch::Tensor bias_hn = bias_hh.slice(0, 2 * hidden, 3 * hidden);
    torch::Tensor h = torch::zeros({hidden});
    torch::Tensor output = torch::empty({frames, hidden});
    for (int t = 0; t < frames; ++t) {
      const torch::Tensor x = projected[t];
      const torch::Tensor r = torch::sigmoid(x.slice(0, 0, hidden) + torch::mv(weight_hr, h) + bias_hr);
      const torch::Tensor z =
          torch::sigmoid(x.slice(0, hidden, 2 * hidden) + torch::mv(weight_hz, h) + bias_hz);
      const torch::Tensor n =
          torch::tanh(x.slice(0, 2 * hidden, 3 * hidden) + bias_hn + torch::mv(weight_hn, r * h));
      h = (1 - z) * n + z * h;
      output[t] = h;
    }
    sequence = output;
  }
  return from_torch(sequence);
}

}  // namespace rtn::testing
