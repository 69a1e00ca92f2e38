#pragma once
// ConvTranspose1D (PyTorch ConvTranspose1d, streaming): `stride` output frames per input frame. Written once
// over the backend's ops, so every backend and instruction-set level gets it from this template.
//
// Overlap-add: input frame n adds W_j^T x[n] into output frame n*stride + j*dilation for each tap j. These
// products are one matrix product per frame, a pointwise convolution into out*kernel_size channels (a
// CausalConv with one tap, which computes groups and wide layers as conv1d does); the kernel adds them into
// a ring of the output frames still open (the overlapping tail, its state across calls). Frames
// n*stride ... n*stride + stride - 1 receive nothing from later inputs, so they are complete once input n is
// in and are written then: no look-ahead (docs/strided-convolutions.md).
#include <algorithm>
#include <cstddef>
#include <vector>

#include "aligned_buffer.hpp"
#include "layers/conv1d/causal_conv.hpp"
#include "layers/conv_transpose1d/tap_products.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

template <typename Ops>
class ConvTranspose1dKernel final : public Kernel {
 public:
  // Input frames whose products are computed in one pass (as Conv1dKernel's chunks).
  static constexpr int kMaxChunk = 64;

  ConvTranspose1dKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend),
        products_(tap_products_spec(spec), tap_products_weights(spec, weights)),
        bias_(spec.bias ? weights.at("bias").values : std::vector<float>(spec.output_size, 0.0f)),
        // The open frames: those the taps of the current input reach, and the stride's frames it completes.
        ring_frames_((spec.kernel_size - 1) * spec.dilation + spec.stride) {}

  void prepare(int max_block) override {
    products_.prepare(std::clamp(max_block, 1, kMaxChunk));
    ring_.assign(static_cast<std::size_t>(ring_frames_) * output_size(), 0.0f);
    reset();
  }

  void reset() noexcept override {
    products_.reset();
    std::fill(ring_.begin(), ring_.end(), 0.0f);
    first_open_ = 0;
  }

  void process(const float* in, float* out, int frames) noexcept override {
    const int stride = spec().stride;
    while (frames > 0) {
      const int count = std::min(frames, products_.max_chunk());
      const float* products = products_.process(in, input_size(), count);
      for (int f = 0; f < count; ++f) {
        add_taps(products + static_cast<std::ptrdiff_t>(f) * products_.output_stride());
        write_completed(out);
        out += static_cast<std::ptrdiff_t>(stride) * output_size();
      }
      in += static_cast<std::ptrdiff_t>(count) * input_size();
      frames -= count;
    }
  }

  int output_frames(int frames) const noexcept override { return frames * spec().stride; }

 private:
  // One input frame's products (channel o * kernel_size + j: output o's tap j) into the open frames.
  void add_taps(const float* products) noexcept {
    const int outputs = output_size();
    const int kernel = spec().kernel_size;
    int frame = first_open_;
    for (int j = 0; j < kernel; ++j) {
      float* target = ring_.data() + static_cast<std::ptrdiff_t>(frame) * outputs;
      for (int o = 0; o < outputs; ++o) target[o] += products[static_cast<std::ptrdiff_t>(o) * kernel + j];
      frame += spec().dilation;
      if (frame >= ring_frames_) frame -= ring_frames_;
    }
  }

  // The stride's frames that no later input reaches, with the bias, to `out`; their slots open again.
  void write_completed(float* out) noexcept {
    const int outputs = output_size();
    for (int r = 0; r < spec().stride; ++r) {
      float* frame = ring_.data() + static_cast<std::ptrdiff_t>(first_open_) * outputs;
      float* target = out + static_cast<std::ptrdiff_t>(r) * outputs;
      for (int o = 0; o < outputs; ++o) target[o] = frame[o] + bias_[o];
      std::fill(frame, frame + outputs, 0.0f);
      if (++first_open_ == ring_frames_) first_open_ = 0;
    }
  }

  CausalConv<Ops> products_;  // W_j^T x for every tap j, per input frame
  std::vector<float> bias_;
  int ring_frames_;
  AlignedFloats ring_;  // ring_frames_ frames of output_size() sums
  int first_open_ = 0;  // the ring frame of the next output frame
};

}  // namespace rtn
