#include <stdexcept>
#include <string>

#include "reference/torch_reference.hpp"
#include "reference/torch_tensors.hpp"

namespace rtn::testing {

namespace {

// Copies every parameter of the module from the weight of the same name (weight_ih_l0, bias_hh_l1, ...).
// In place, so the module's flattened weight list keeps pointing at them.
void copy_parameters(torch::nn::Module& module, const Weights& weights) {
  std::size_t copied = 0;
  for (auto& parameter : module.named_parameters()) {
    const auto found = weights.find(parameter.key());
    if (found == weights.end()) throw std::logic_error("torch_recurrent: no weight for " + parameter.key());
    parameter.value().copy_(to_torch(found->second));
    ++copied;
  }
  // initial_h_l{n} / initial_c_l{n} are the forward's argument, not parameters.
  std::size_t initial_state = 0;
  for (const auto& [name, tensor] : weights) initial_state += name.rfind("initial_", 0) == 0;
  if (copied + initial_state != weights.size()) {
    throw std::logic_error("torch_recurrent: weights the module does not have");
  }
}

}  // namespace

std::vector<float> torch_recurrent(const LayerSpec& spec, const Weights& weights,
                                   const std::vector<float>& input, int frames) {
  torch::NoGradGuard no_grad;
  if (spec.kind == LayerKind::gru && !spec.reset_after)
    return torch_gru_reset_before(spec, weights, input, frames);
  const torch::Tensor x = frames_to_torch(input, frames, spec.input_size);
  // From zero state (no initial state given); the output is the top layer's h at every frame.
  if (spec.kind == LayerKind::gru) {
    torch::nn::GRU gru(torch::nn::GRUOptions(spec.input_size, spec.output_size)
                           .num_layers(spec.num_layers)
                           .bias(spec.bias)
                           .batch_first(true));
    copy_parameters(*gru, weights);
    return from_torch(std::get<0>(gru->forward(x)));
  }
  if (spec.kind == LayerKind::lstm) {
    torch::nn::LSTM lstm(torch::nn::LSTMOptions(spec.input_size, spec.output_size)
                             .num_layers(spec.num_layers)
                             .bias(spec.bias)
                             .batch_first(true));
    copy_parameters(*lstm, weights);
    if (!spec.initial_state) return from_torch(std::get<0>(lstm->forward(x)));
    // The stored state, [layers][batch 1][hidden], instead of zeros.
    std::vector<torch::Tensor> h, c;
    for (int layer = 0; layer < spec.num_layers; ++layer) {
      h.push_back(to_torch(weights.at("initial_h_l" + std::to_string(layer))).reshape({1, spec.output_size}));
      c.push_back(to_torch(weights.at("initial_c_l" + std::to_string(layer))).reshape({1, spec.output_size}));
    }
    return from_torch(std::get<0>(lstm->forward(x, std::make_tuple(torch::stack(h), torch::stack(c)))));
  }
  throw std::logic_error("not a recurrent layer: " + spec.to_string());
}

}  // namespace rtn::testing
