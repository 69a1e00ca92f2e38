#include <stdexcept>
#include <type_traits>
#include <string>

#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

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

namespace {

// A recurrent stack that carries its state, [layers, batch 1, hidden], across calls.
template <typename Module, typename Options>
class StreamingRecurrent final : public TorchLayer {
 public:
  StreamingRecurrent(const LayerSpec& spec, const Weights& weights) : spec_(spec) {
    torch::NoGradGuard no_grad;
    module_ = Module(Options(spec.input_size, spec.output_size)
                         .num_layers(spec.num_layers)
                         .bias(spec.bias)
                         .batch_first(true));
    copy_parameters(*module_, weights);
    // A learned initial state (NAM's LSTM), per layer: what reset() returns to instead of zeros.
    if (spec.initial_state) {
      std::vector<torch::Tensor> h, c;
      for (int layer = 0; layer < spec.num_layers; ++layer) {
        h.push_back(to_torch(weights.at("initial_h_l" + std::to_string(layer))).reshape({1, spec.output_size}));
        c.push_back(to_torch(weights.at("initial_c_l" + std::to_string(layer))).reshape({1, spec.output_size}));
      }
      initial_h_ = torch::stack(h);
      initial_c_ = torch::stack(c);
    }
    reset();
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    if constexpr (std::is_same_v<Module, torch::nn::LSTM>) {
      auto [y, state] = module_->forward(x, std::make_tuple(h_, c_));
      h_ = std::get<0>(state);
      c_ = std::get<1>(state);
      return y;
    } else {
      auto [y, h] = module_->forward(x, h_);
      h_ = h;
      return y;
    }
  }

  void reset() override {
    const auto zeros = [&] { return torch::zeros({spec_.num_layers, 1, spec_.output_size}, torch::kFloat32); };
    h_ = initial_h_.defined() ? initial_h_.clone() : zeros();
    c_ = initial_c_.defined() ? initial_c_.clone() : zeros();
  }

 private:
  LayerSpec spec_;
  Module module_{nullptr};
  torch::Tensor initial_h_, initial_c_;  // [layers, 1, hidden], when the weights hold a learned initial state
  torch::Tensor h_, c_;
};

}  // namespace

std::unique_ptr<TorchLayer> torch_gru_layer(const LayerSpec& spec, const Weights& weights) {
  // torch::nn::GRU computes PyTorch's GRU (reset gate after the recurrent product) only.
  if (!spec.reset_after) {
    throw NoTorchEquivalent("libtorch has no GRU with reset_after=false (" + spec.to_string() + ")");
  }
  return std::make_unique<StreamingRecurrent<torch::nn::GRU, torch::nn::GRUOptions>>(spec, weights);
}

std::unique_ptr<TorchLayer> torch_lstm_layer(const LayerSpec& spec, const Weights& weights) {
  return std::make_unique<StreamingRecurrent<torch::nn::LSTM, torch::nn::LSTMOptions>>(spec, weights);
}

std::vector<TorchReference> torch_gru_references() { return {{"gru", &torch_recurrent, &torch_gru_layer}}; }
std::vector<TorchReference> torch_lstm_references() { return {{"lstm", &torch_recurrent, &torch_lstm_layer}}; }

}  // namespace rtn::testing
