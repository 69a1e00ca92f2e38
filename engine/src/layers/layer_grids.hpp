#pragma once
// The sizes the layers' descriptors build their test grids from (rtn/layer_descriptor.hpp): odd sizes and
// non-multiples of every SIMD width among them.
#include <utility>
#include <vector>

namespace rtn {

// 1, 2, 3, 7, 8, 13, 16, 17, 24, 32, 40, 64.
const std::vector<int>& test_sizes();
// Pairs (in, out) covering every test size as input and as output, plus the small-to-large and large-to-small
// extremes, without the full cross product (which would add minutes, not coverage).
std::vector<std::pair<int, int>> test_size_pairs();

}  // namespace rtn
