#pragma once
// The oracle: PyTorch (libtorch) computing what a LayerSpec describes, on the same weights.
// This header does not include torch, so the tests that use it compile quickly; only the
// reference/*.cpp files do.
#include <stdexcept>
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

// One function per layer family; torch_reference() picks by spec.kind.
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

}  // namespace rtn::testing
