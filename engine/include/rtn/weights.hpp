#pragma once
// Weights as a model file gives them: named arrays in PyTorch's layout (e.g. LSTM weight_ih_l0 is
// [4*hidden][input], gates i,f,g,o). Each kernel converts them once into the layout it computes with.
#include <map>
#include <string>
#include <vector>

#include "rtn/layer_spec.hpp"

namespace rtn {

struct Tensor {
  std::vector<int> shape;     // outermost first, as in PyTorch
  std::vector<float> values;  // row-major, size = product of shape

  // "160x40"; "scalar" for an empty shape.
  std::string shape_string() const;
};

using Weights = std::map<std::string, Tensor>;

struct WeightShape {
  std::string name;
  std::vector<int> shape;
};

// The arrays a layer of this spec needs, with PyTorch's names and shapes. Allocates.
std::vector<WeightShape> expected_weights(const LayerSpec& spec);

// Throws rtn::Error naming the first problem: a missing or unexpected array, a wrong shape
// ("weights.weight_hh_l0: expected 160x40, got 160x39"), a value count that does not match the
// shape, or a value that is NaN or infinite.
void check_weights(const LayerSpec& spec, const Weights& weights);

}  // namespace rtn
