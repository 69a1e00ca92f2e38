#include "io/nam_slimmable.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace rtn::nam {

namespace {

std::string array_place(std::size_t a) { return "layers[" + std::to_string(a) + "]"; }

// The activation width after the cut. Without layer1x1 the bottleneck is the channels (the residual sum
// adds the activation itself); with it, it shrinks in the same proportion, rounded down, at least 1.
int slimmed_bottleneck(const WaveNetLayerArray& full, int channels) {
  if (!full.layer1x1) return channels;
  return std::max(1, full.bottleneck * channels / full.channels);
}

bool has_channel_slopes(const WaveNetActivation& activation) {
  return activation.type == WaveNetActivation::Type::prelu && !activation.negative_slopes.empty();
}

// The leading block of `full` of the given shape (the same rank, each extent at most full's): in a
// row-major [out][in][tap] array, the first outputs of the first inputs.
Tensor leading_block(const Tensor& full, const std::vector<int>& shape) {
  Tensor slim;
  slim.shape = shape;
  std::size_t count = 1;
  for (int extent : shape) count *= static_cast<std::size_t>(extent);
  slim.values.reserve(count);
  // strides[d]: elements of `full` between neighbours along dimension d.
  std::vector<std::size_t> strides(shape.size(), 1);
  for (std::size_t d = shape.size(); d-- > 1;)
    strides[d - 1] = strides[d] * static_cast<std::size_t>(full.shape[d]);
  std::vector<int> index(shape.size(), 0);
  for (std::size_t n = 0; n < count; ++n) {
    std::size_t offset = 0;
    for (std::size_t d = 0; d < shape.size(); ++d) offset += static_cast<std::size_t>(index[d]) * strides[d];
    slim.values.push_back(full.values[offset]);
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return slim;
}

}  // namespace

int slimmed_channels(const std::vector<int>& allowed, double size) {
  const double count = static_cast<double>(allowed.size());
  const std::size_t index = static_cast<std::size_t>(std::min(std::floor(size * count), count - 1));
  return allowed[index];
}

std::string slimming_problem(const WaveNetSpec& full, const std::vector<int>& channels) {
  if (full.post_head)
    return "head: a slimmable WaveNet cannot have a post-stack head (as in Neural Amp Modeler)";
  for (std::size_t a = 0; a < full.arrays.size(); ++a) {
    const WaveNetLayerArray& array = full.arrays[a];
    const std::string place = array_place(a);
    const auto grouped = [&](const char* what, int groups) {
      return groups == 1
                 ? std::string()
                 : place + ": " + what + " has " + std::to_string(groups) +
                       " groups; only ungrouped convolutions can be slimmed (as in Neural Amp Modeler)";
    };
    std::string problem = grouped("groups_input", array.groups_input);
    if (problem.empty()) problem = grouped("groups_input_mixin", array.groups_input_mixin);
    if (problem.empty() && array.layer1x1) problem = grouped("layer1x1", array.layer1x1_groups);
    if (problem.empty() && array.head1x1) problem = grouped("head1x1", array.head1x1_groups);
    for (int site = 0; site < kWaveNetFilmSites && problem.empty(); ++site) {
      if (array.film[site].active) problem = grouped("a FiLM", array.film[site].groups);
    }
    if (!problem.empty()) return problem;
    if (array.head_kernel_size != 1) {
      return place + ".head.kernel_size: a head rechannel of kernel size " +
             std::to_string(array.head_kernel_size) +
             " cannot be slimmed (Neural Amp Modeler slims kernel size 1 only)";
    }
    if (slimmed_bottleneck(array, channels[a]) != array.bottleneck) {
      for (const WaveNetLayer& layer : array.layers) {
        if (has_channel_slopes(layer.activation) ||
            (layer.gating != WaveNetGating::none && has_channel_slopes(layer.secondary))) {
          return place + ".activation: per-channel PReLU slopes cannot be slimmed";
        }
      }
    }
  }
  return "";
}

SlimmedWaveNet slim_wavenet(const WaveNetSpec& full, const Weights& full_weights,
                            const std::vector<int>& channels) {
  auto spec = std::make_shared<WaveNetSpec>(full);
  const std::size_t arrays = full.arrays.size();
  for (std::size_t a = 0; a < arrays; ++a) {
    WaveNetLayerArray& array = spec->arrays[a];
    array.channels = channels[a];
    array.bottleneck = slimmed_bottleneck(full.arrays[a], channels[a]);
    // The chain: an array reads the previous one's channels and writes the next one's into its head.
    if (a > 0) array.input_size = channels[a - 1];
    if (a + 1 < arrays) array.head_size = channels[a + 1];
  }
  SlimmedWaveNet slimmed;
  std::vector<WeightShape> shapes;
  spec->append_expected_weights(shapes);
  for (const WeightShape& shape : shapes)
    slimmed.weights[shape.name] = leading_block(full_weights.at(shape.name), shape.shape);
  slimmed.spec = std::move(spec);
  return slimmed;
}

}  // namespace rtn::nam
