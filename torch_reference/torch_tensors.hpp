#pragma once
// Conversions between rtn's arrays and torch tensors, for the torch_reference/*.cpp files.
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
// [1, frames, features * channels] (frames of a features x channels grid, a conv2d's) as the
// [1, channels, frames, features] image that Conv2d and BatchNorm2d compute on, time as its height; and back.
torch::Tensor frames_to_image(const torch::Tensor& frames, int features, int channels);
torch::Tensor image_to_frames(const torch::Tensor& image);

}  // namespace rtn::testing
