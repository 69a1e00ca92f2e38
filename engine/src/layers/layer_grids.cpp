#include "layers/layer_grids.hpp"

namespace rtn {

const std::vector<int>& test_sizes() {
  static const std::vector<int> sizes = {1, 2, 3, 7, 8, 13, 16, 17, 24, 32, 40, 64};
  return sizes;
}

std::vector<std::pair<int, int>> test_size_pairs() {
  const std::vector<int>& sizes = test_sizes();
  std::vector<std::pair<int, int>> pairs;
  const int n = static_cast<int>(sizes.size());
  for (int i = 0; i < n; ++i) {
    pairs.emplace_back(sizes[i], sizes[i]);
    pairs.emplace_back(sizes[i], sizes[(i + 5) % n]);
    pairs.emplace_back(sizes[i], sizes[(i + 9) % n]);
  }
  return pairs;
}

}  // namespace rtn
