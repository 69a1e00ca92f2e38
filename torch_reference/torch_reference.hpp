#pragma once
// The oracle: PyTorch (libtorch) computing what a LayerSpec describes, on the same weights.
// This header does not include torch, so the tests that use it compile quickly; only the
// torch_reference/*.cpp files do.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "rtn/layer_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn::testing {

// Thrown when libtorch has no module computing a layer (a Keras-style GRU with reset_after == false as one
// streaming module, a kind with no torch equivalent): the caller may then check against something else.
// Every other failure of the oracle is a bug and is thrown as some other exception.
class NoTorchEquivalent : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Runs the PyTorch module equivalent to `spec` with `weights` (PyTorch layout and names) over `frames`
// frames of `input` (frames x input_size, interleaved) from zero state, in float32.
// Returns frames x output_size, interleaved. Conv1d is PyTorch's Conv1d on the input left-padded with
// (kernel_size-1)*dilation zeros, which is what a causal streaming convolution computes.
std::vector<float> torch_reference(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                   int frames);

class TorchLayer;  // torch_reference/torch_layer.hpp

// How libtorch computes one layer kind: the oracle of its conformance tests, and the "libtorch" that rtn-tune
// and `rtn bench` time. A layer folder's kinds have theirs in torch_reference/torch_<folder>.cpp, returned by
// torch_<folder>_references(), which torch_reference.cpp collects from engine/src/layers/layers.def; a kind
// registered at run time adds its own with register_torch_reference().
struct TorchReference {
  std::string kind;  // the layer kind's name
  // Runs the layer from zero state (or its stored initial state) over a whole signal, as torch_reference()
  // documents; nullptr: the streaming layer in one call.
  std::vector<float> (*whole)(const LayerSpec&, const Weights&, const std::vector<float>& input, int frames) = nullptr;
  // The layer as a streaming torch module. Throws NoTorchEquivalent for a shape torch cannot stream; nullptr:
  // none for any shape.
  std::unique_ptr<TorchLayer> (*streaming)(const LayerSpec&, const Weights&) = nullptr;
};

// The reference of `kind`, or nullptr when there is none. Allocates on the first call.
const TorchReference* find_torch_reference(LayerKind kind);
// Adds the reference of a layer kind registered at run time (rtn::register_layer_kind()). Allocates.
void register_torch_reference(TorchReference reference);

// The built-in kinds' functions.
std::vector<float> torch_dense(const LayerSpec&, const Weights&, const std::vector<float>&, int frames);
std::vector<float> torch_activation(const LayerSpec&, const Weights&, const std::vector<float>&, int frames);
std::vector<float> torch_batchnorm(const LayerSpec&, const Weights&, const std::vector<float>&, int frames);
std::vector<float> torch_conv1d(const LayerSpec&, const Weights&, const std::vector<float>&, int frames);
std::vector<float> torch_recurrent(const LayerSpec&, const Weights&, const std::vector<float>&, int frames);
// Neural Amp Modeler's WaveNet (LayerKind::wavenet) with torch's ops.
std::vector<float> torch_wavenet(const LayerSpec&, const Weights&, const std::vector<float>&, int frames);
// A GRU with reset_after == false, which torch::nn::GRU cannot express; torch_recurrent() calls it.
std::vector<float> torch_gru_reset_before(const LayerSpec&, const Weights&, const std::vector<float>&,
                                          int frames);
// Their streaming layers (the WaveNet has none).
std::unique_ptr<TorchLayer> torch_dense_layer(const LayerSpec&, const Weights&);
std::unique_ptr<TorchLayer> torch_activation_layer(const LayerSpec&, const Weights&);
std::unique_ptr<TorchLayer> torch_batchnorm_layer(const LayerSpec&, const Weights&);
std::unique_ptr<TorchLayer> torch_conv1d_layer(const LayerSpec&, const Weights&);
std::unique_ptr<TorchLayer> torch_gru_layer(const LayerSpec&, const Weights&);
std::unique_ptr<TorchLayer> torch_lstm_layer(const LayerSpec&, const Weights&);

}  // namespace rtn::testing
