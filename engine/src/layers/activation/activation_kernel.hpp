#pragma once
// The activations: element-wise tanh, relu, sigmoid, elu, leaky_relu, prelu (one slope per channel or
// one shared), and softmax over each frame's channels.
#include <algorithm>

#include "aligned_buffer.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

template <typename Ops>
class ActivationKernel final : public Kernel {
 public:
  ActivationKernel(const LayerSpec& spec, const Weights& weights) : Kernel(spec, Ops::backend) {
    if (spec.kind == LayerKind::prelu) {
      // One slope per channel, whether the model shares one or not, so the arithmetic is the same.
      const std::vector<float>& slopes = weights.at("weight").values;
      slopes_.resize(spec.input_size);
      for (int c = 0; c < spec.input_size; ++c) slopes_[c] = slopes[spec.num_parameters == 1 ? 0 : c];
    }
  }

  void prepare(int) override {}
  void reset() noexcept override {}

  void process(const float* in, float* out, int frames) noexcept override {
    const int channels = input_size();
    const int count = frames * channels;
    switch (spec().kind) {
      case LayerKind::tanh: Ops::tanh(out, in, count); break;
      case LayerKind::relu: Ops::relu(out, in, count); break;
      case LayerKind::sigmoid: Ops::sigmoid(out, in, count); break;
      case LayerKind::elu: Ops::elu(out, in, count, spec().alpha); break;
      case LayerKind::leaky_relu: Ops::leaky_relu(out, in, count, spec().negative_slope); break;
      case LayerKind::prelu:
        for (int f = 0; f < frames; ++f) Ops::prelu(out + f * channels, in + f * channels, slopes_.data(), channels);
        break;
      case LayerKind::softmax:
        for (int f = 0; f < frames; ++f) Ops::softmax(out + f * channels, in + f * channels, channels);
        break;
      default:
        std::copy(in, in + count, out);  // unreachable: the registry only builds activation kinds here
        break;
    }
  }

 private:
  AlignedFloats slopes_;
};

}  // namespace rtn
