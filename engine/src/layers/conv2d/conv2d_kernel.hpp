#pragma once
// Conv2D streaming over time (PyTorch Conv2d on [batch, channels, time, features], causal along time): a frame
// is a grid of features x channels (rtn/layer_spec.hpp), and
//   y[t][p][o] = bias[o] + sum over time taps j, feature taps q and the inputs i of o's group of
//                weight[o][i][j][q] * x[t - (kt-1-j)*d][p*stride - padding_before + q][i]
// with zeros outside the frame's features ("same" padding) and before the first frame.
//
// Along time it is a causal convolution, so it keeps its input frames in a Conv1dHistory
// (layers/conv1d/causal_conv.hpp), each frame stored between its feature padding's zeros. Along features,
// the q taps of output feature p read the features p*stride - padding_before ... as one contiguous run of
// kernel_features * in_channels floats of each time tap's frame: so output feature p over a chunk of frames
// is one Ops::conv_matmul_add of the whole kernel (all time taps) over the history, its taps shifted by
// p * stride features. Groups are folded into that matrix as zeros (a plain kernel, not tuned).
#include <algorithm>
#include <cstddef>
#include <vector>

#include "aligned_buffer.hpp"
#include "layers/conv1d/causal_conv.hpp"
#include "layers/padded_matrix.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

// The weights in the layout the kernel computes with; the same for every backend.
struct Conv2dWeights {
  int output_features = 0;
  int padding_before = 0;    // zero features before each frame
  int padding_after = 0;     // and after it: enough for the last output feature's taps
  int feature_stride = 0;    // floats between output features in the sums: out_channels padded to registers
  // Columns tap by tap (time tap 0, the oldest, first), each tap's kernel_features x in_channels columns in
  // the order a frame holds them; feature_stride rows.
  AlignedFloats values;
  AlignedFloats bias;  // output_features x feature_stride: each output feature's bias (zeros without one)

  // Floats of one frame of sums.
  int frame_stride() const noexcept { return output_features * feature_stride; }
};

// Lays out a conv2d spec's "weight" [out][in/groups][kernel_size][kernel_features] and "bias" [out].
// Allocates. `weights` has passed check_weights(spec).
Conv2dWeights conv2d_weights(const LayerSpec& spec, const Weights& weights);

template <typename Ops>
class Conv2dKernel final : public Kernel {
 public:
  // Frames per pass, as Conv1dKernel's: bounds the scratch and the history whatever max_block is.
  static constexpr int kMaxChunk = 64;

  Conv2dKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend), weights_(conv2d_weights(spec, weights)) {}

  void prepare(int max_block) override {
    const LayerSpec& layer = spec();
    max_chunk_ = std::clamp(max_block, 1, kMaxChunk);
    history_.prepare(layer.kernel_size, layer.dilation, layer.input_size, max_chunk_,
                     weights_.padding_before * layer.in_channels, weights_.padding_after * layer.in_channels);
    time_taps_.assign(static_cast<std::size_t>(layer.kernel_size), nullptr);
    feature_taps_.assign(static_cast<std::size_t>(layer.kernel_size), nullptr);
    sums_.assign(static_cast<std::size_t>(weights_.frame_stride()) * max_chunk_, 0.0f);
    reset();
  }

  void reset() noexcept override { history_.reset(); }

  void process(const float* in, float* out, int frames) noexcept override {
    while (frames > 0) {
      const int count = std::min(frames, max_chunk_);
      history_.push(in, input_size(), count);
      fill_frames(sums_.data(), weights_.frame_stride(), weights_.bias.data(), count);
      convolve(count);
      compact(out, count);
      in += static_cast<std::ptrdiff_t>(count) * input_size();
      out += static_cast<std::ptrdiff_t>(count) * output_size();
      frames -= count;
    }
  }

 private:
  // Adds the convolution onto the sums of the chunk's frames, pass by pass (a pass ends where a time tap's
  // frames wrap around the history's ring), output feature by output feature.
  void convolve(int frames) noexcept {
    const LayerSpec& layer = spec();
    const int taps = layer.kernel_size;
    const int columns = layer.kernel_features * layer.in_channels;
    const std::ptrdiff_t feature_shift = static_cast<std::ptrdiff_t>(layer.stride) * layer.in_channels;
    const int frame_stride = weights_.frame_stride();
    for (int done = 0; done < frames;) {
      const int count = history_.taps(done, frames - done, time_taps_.data());
      float* sums = sums_.data() + static_cast<std::ptrdiff_t>(done) * frame_stride;
      for (int p = 0; p < weights_.output_features; ++p) {
        for (int j = 0; j < taps; ++j) feature_taps_[j] = time_taps_[j] + p * feature_shift;
        Ops::conv_matmul_add(sums + static_cast<std::ptrdiff_t>(p) * weights_.feature_stride, frame_stride,
                             weights_.values.data(), weights_.feature_stride, weights_.feature_stride,
                             feature_taps_.data(), history_.stride(), columns, taps, count);
      }
      done += count;
    }
  }

  // The sums hold each output feature's channels padded to registers; the output has them one after the other.
  void compact(float* out, int frames) noexcept {
    const int channels = spec().out_channels;
    for (int f = 0; f < frames; ++f) {
      const float* frame = sums_.data() + static_cast<std::ptrdiff_t>(f) * weights_.frame_stride();
      float* target = out + static_cast<std::ptrdiff_t>(f) * output_size();
      for (int p = 0; p < weights_.output_features; ++p) {
        copy_floats(target + p * channels, frame + static_cast<std::ptrdiff_t>(p) * weights_.feature_stride, channels);
      }
    }
  }

  Conv2dWeights weights_;
  Conv1dHistory history_;
  std::vector<const float*> time_taps_;     // each time tap's frame (at its padding)
  std::vector<const float*> feature_taps_;  // the same, shifted to one output feature's first input
  AlignedFloats sums_;                      // max_chunk frames of frame_stride() floats
  int max_chunk_ = 1;
};

}  // namespace rtn
