#pragma once
// MaxPool1d and AvgPool1d along each frame's features (layers/pooling/descriptor.cpp).
//
// A frame's padded features are dealt once into `stride` phases (phase r holds padded features r, r + stride,
// ...), so that tap j of every output window, padded feature o * stride + j * dilation for output o, lies at
// consecutive addresses: phase (j * dilation) % stride from (j * dilation) / stride on. The pooling is then
// kernel_size element-wise maxima or sums over whole rows of outputs, in the backend's vector code, whatever
// the stride. The padding slots are filled once (-inf for the maximum, as PyTorch ignores them; 0 for the sum).
#include <algorithm>
#include <cstddef>
#include <limits>

#include "aligned_buffer.hpp"
#include "layers/padded_matrix.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

template <typename Ops>
class PoolingKernel final : public Kernel {
 public:
  PoolingKernel(const LayerSpec& spec, const Weights&)
      : Kernel(spec, Ops::backend),
        maximum_(spec.kind == LayerKind::maxpool1d),
        phase_size_((spec.input_size + 2 * spec.padding + spec.stride - 1) / spec.stride),
        phases_(static_cast<std::size_t>(spec.stride) * phase_size_,
                maximum_ ? -std::numeric_limits<float>::infinity() : 0.0f) {
    if (!maximum_) {
      // PyTorch divides each sum by the window (count_include_pad) or by the features inside it.
      reciprocal_.assign(spec.output_size, 0.0f);
      zeros_.assign(spec.output_size, 0.0f);
      for (int o = 0; o < spec.output_size; ++o) {
        const int first = o * spec.stride - spec.padding;
        const int inside = std::min(first + spec.kernel_size, spec.input_size) - std::max(first, 0);
        reciprocal_[o] = 1.0f / static_cast<float>(spec.count_include_pad ? spec.kernel_size : inside);
      }
    }
  }

  void prepare(int) override {}
  void reset() noexcept override {}

  void process(const float* in, float* out, int frames) noexcept override {
    const LayerSpec& spec = this->spec();
    const int outputs = output_size();
    for (int f = 0; f < frames; ++f) {
      deal(in + static_cast<std::ptrdiff_t>(f) * input_size());
      float* y = out + static_cast<std::ptrdiff_t>(f) * outputs;
      copy_floats(y, tap(0), outputs);
      for (int j = 1; j < spec.kernel_size; ++j) {
        if (maximum_) {
          Ops::maximum(y, y, tap(j), outputs);
        } else {
          Ops::add(y, y, tap(j), outputs);
        }
      }
      if (!maximum_) Ops::affine(y, y, reciprocal_.data(), zeros_.data(), outputs);
    }
  }

 private:
  // Padded feature i (feature i - padding) to phase i % stride, place i / stride.
  void deal(const float* frame) noexcept {
    const LayerSpec& spec = this->spec();
    for (int i = 0; i < spec.input_size; ++i) {
      const int padded = i + spec.padding;
      phases_[static_cast<std::size_t>(padded % spec.stride) * phase_size_ + padded / spec.stride] = frame[i];
    }
  }

  // Tap j's input of every output window, at consecutive addresses.
  const float* tap(int j) const noexcept {
    const int offset = j * spec().dilation;
    return phases_.data() + static_cast<std::ptrdiff_t>(offset % spec().stride) * phase_size_ + offset / spec().stride;
  }

  bool maximum_;
  int phase_size_;     // padded features per phase, rounded up
  AlignedFloats phases_;  // stride x phase_size_
  AlignedFloats reciprocal_, zeros_;  // average: 1 / each output's divisor, and the shift affine() adds
};

}  // namespace rtn
