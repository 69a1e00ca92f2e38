#pragma once
// BatchNorm1d and BatchNorm2d at inference: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias per
// channel, folded at load into y = x * scale + shift. A batchnorm2d frame is features x channels (the channels of
// a feature one after the other): its scale and shift repeat the channels' once per feature.
#include <cmath>

#include "aligned_buffer.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

template <typename Ops>
class BatchNormKernel final : public Kernel {
 public:
  BatchNormKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend), scale_(spec.input_size), shift_(spec.input_size) {
    const auto& weight = weights.at("weight").values;
    const auto& bias = weights.at("bias").values;
    const auto& mean = weights.at("running_mean").values;
    const auto& variance = weights.at("running_var").values;
    const int channels = spec.kind == LayerKind::batchnorm2d ? spec.in_channels : spec.input_size;
    for (int i = 0; i < spec.input_size; ++i) {
      const int c = i % channels;
      // In double, as PyTorch's reference folds nothing: keeps the fold within float rounding.
      const double scale = weight[c] / std::sqrt(static_cast<double>(variance[c]) + spec.epsilon);
      scale_[i] = static_cast<float>(scale);
      shift_[i] = static_cast<float>(bias[c] - mean[c] * scale);
    }
  }

  void prepare(int) override {}
  void reset() noexcept override {}

  void process(const float* in, float* out, int frames) noexcept override {
    const int channels = input_size();
    for (int f = 0; f < frames; ++f) {
      Ops::affine(out + f * channels, in + f * channels, scale_.data(), shift_.data(), channels);
    }
  }

 private:
  AlignedFloats scale_, shift_;
};

}  // namespace rtn
