#pragma once
// Conversions between rtn's arrays and torch tensors, for the reference/*.cpp files.
#include <torch/torch.h>

#include <vector>

#include "rtn/weights.hpp"

namespace rtn::testing {

// A float32 tensor with the weight's shape and values (copied).
torch::Tensor to_torch(const Tensor& weight);
// frames x channels interleaved floats as a [1, frames, channels] tensor (batch, time, features).
torch::Tensor frames_to_torch(const std::vector<float>& frames, int count, int channels);
// Any float tensor, flattened row-major (for [1, frames, channels]: interleaved frames).
std::vector<float> from_torch(const torch::Tensor& tensor);

}  // namespace rtn::testing
