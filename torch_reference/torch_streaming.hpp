#pragma once
// libtorch running a model the way an audio host would: block after block (or sample after sample), with
// the state carried across calls (RNN h and c passed back in, a convolution's input history kept). It is
// what rtn-tune and `rtn bench` time as "libtorch", so that every rtn number has a fair libtorch number
// beside it. This header does not include torch; the tools that use it compile quickly.
#include <memory>
#include <string>

#include "rtn/model.hpp"

namespace rtn::testing {

class TorchStreamingModel {
 public:
  // Builds one torch module per layer (torch::nn::Linear, Conv1d as a function on a history tensor,
  // GRU, LSTM, BatchNorm1d, the activations) with the definition's weights, and the model's gains and input
  // skip around them. Allocates. Throws std::logic_error for a layer libtorch has no module for.
  explicit TorchStreamingModel(const ModelDefinition& definition);
  // A model of the one layer `spec` with `weights`.
  TorchStreamingModel(const LayerSpec& spec, const Weights& weights);
  ~TorchStreamingModel();
  TorchStreamingModel(TorchStreamingModel&&) noexcept;
  TorchStreamingModel& operator=(TorchStreamingModel&&) noexcept;

  // frames x input_channels interleaved floats in, frames x output_channels out (fewer frames for a model
  // with strided convolutions, more with transposed ones, each layer's as soon as it can: returns how many, at
  // most max_output_frames(frames)). The input is wrapped without a copy; the output is copied
  // out of torch's tensor, as a host needs it in its own buffer. Allocates (libtorch allocates tensors on
  // every call).
  int process(const float* in, float* out, int frames);
  // Zero state and history. Allocates (new zero tensors).
  void reset();

  int input_channels() const noexcept;
  int output_channels() const noexcept;
  int max_output_frames(int frames) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What libtorch is built with, for the record next to its timings: "libtorch 1.13.1, BLAS: ..., 1 thread".
// Allocates.
std::string torch_configuration();
// Makes libtorch run on the calling thread only (intra- and inter-op threads = 1), as an audio callback
// would, so that its times compare with rtn's single-threaded ones.
void use_one_torch_thread();

}  // namespace rtn::testing
