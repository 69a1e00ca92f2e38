// What the Conv2D kernels of every backend share: the weight layout.
#include "layers/conv2d/conv2d_kernel.hpp"

#include <algorithm>

namespace rtn {

Conv2dWeights conv2d_weights(const LayerSpec& spec, const Weights& weights) {
  const int taps = spec.kernel_size;
  const int width = spec.kernel_features;
  const int in = spec.in_channels;
  const int out = spec.out_channels;
  const int group_in = in / spec.groups;
  const int group_out = out / spec.groups;
  const std::vector<float>& weight = weights.at("weight").values;  // [out][group_in][taps][width]

  Conv2dWeights laid_out;
  laid_out.output_features = conv2d_output_features(spec);
  laid_out.padding_before = conv2d_padding_before(spec);
  // The last output feature's taps end at (output_features-1)*stride + width, counted from the padding's start.
  laid_out.padding_after =
      std::max(0, (laid_out.output_features - 1) * spec.stride + width - laid_out.padding_before - spec.features);
  laid_out.feature_stride = padded_size(out);
  const std::size_t stride = laid_out.feature_stride;
  laid_out.values.assign(static_cast<std::size_t>(taps) * width * in * stride, 0.0f);
  for (int o = 0; o < out; ++o) {
    const int group = o / group_out;
    for (int i = 0; i < group_in; ++i) {
      const int channel = group * group_in + i;  // inputs of the other groups stay zero
      for (int j = 0; j < taps; ++j) {
        for (int q = 0; q < width; ++q) {
          const std::size_t column = (static_cast<std::size_t>(j) * width + q) * in + channel;
          laid_out.values[column * stride + o] = weight[((static_cast<std::size_t>(o) * group_in + i) * taps + j) * width + q];
        }
      }
    }
  }

  laid_out.bias.assign(static_cast<std::size_t>(laid_out.frame_stride()), 0.0f);
  if (spec.bias) {
    const std::vector<float>& bias = weights.at("bias").values;
    for (int p = 0; p < laid_out.output_features; ++p) std::copy(bias.begin(), bias.end(), &laid_out.bias[p * stride]);
  }
  return laid_out;
}

}  // namespace rtn
