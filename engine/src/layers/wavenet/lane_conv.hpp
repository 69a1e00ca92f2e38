#pragma once
// Causal convolutions of channel-major chunks (backends/xsimd_lane_ops.hpp: time in the SIMD lanes), for the
// lanes WaveNet (wavenet_lanes.hpp): its blocks of rows, its weights laid out for the products, and a
// convolution with its history.
#include <cstddef>
#include <vector>

#include "aligned_buffer.hpp"
#include "backends/xsimd_lane_ops.hpp"
#include "layers/wavenet/lane_history.hpp"

namespace rtn {
inline namespace RTN_ISA_NAMESPACE {

using LaneOps = XsimdLaneOps;

// A channel-major block: `rows` rows of `stride` floats (a chunk's frames, whole registers).
struct LaneRows {
  AlignedFloats values;
  int stride = 0;

  void allocate(int rows, int max_frames) {
    stride = padded_size(max_frames);
    values.assign(static_cast<std::size_t>(std::max(rows, 1)) * stride, 0.0f);
  }
  float* row(int r) noexcept { return values.data() + static_cast<std::ptrdiff_t>(r) * stride; }
  const float* row(int r) const noexcept { return values.data() + static_cast<std::ptrdiff_t>(r) * stride; }
};

// The weights of a convolution as the products read them: column j (input channel c, tap t at j = c * taps
// + t) holds its `out` weights together. `weight`: PyTorch's [out][in][taps]. Allocates.
inline std::vector<float> lane_columns(const std::vector<float>& weight, int out, int in, int taps) {
  std::vector<float> columns(static_cast<std::size_t>(out) * in * taps);
  for (int o = 0; o < out; ++o) {
    for (int c = 0; c < in; ++c) {
      for (int t = 0; t < taps; ++t) {
        columns[static_cast<std::size_t>(c * taps + t) * out + o] =
            weight[(static_cast<std::size_t>(o) * in + c) * taps + t];
      }
    }
  }
  return columns;
}

// A causal convolution (dilation d, `taps` taps) of channel-major chunks with its own history: its inputs are
// the history's delayed rows, tap t of channel c delayed by (taps - 1 - t) * d frames, as PyTorch's Conv1d
// with left padding. Extra inputs may follow them in the same product (the WaveNet's input mixin).
class LaneConv {
 public:
  // Allocates. `extra`: inputs after the taps, their weights appended by the caller to columns().
  LaneConv(int in, int out, int taps, int dilation, const std::vector<float>& weight, int extra)
      : in_(in), out_(out), taps_(taps), dilation_(dilation), history_(in, (taps - 1) * dilation),
        columns_(lane_columns(weight, out, in, taps)), inputs_(static_cast<std::size_t>(in) * taps + extra) {}

  void prepare(int max_frames) { history_.prepare(max_frames); }
  void reset() noexcept { history_.reset(); }

  std::vector<float>& columns() noexcept { return columns_; }
  // The latest chunk of the input, input_stride() apart.
  const float* latest_input() const noexcept { return history_.latest(); }
  int out() const noexcept { return out_; }

  // Where the next chunk of the input is to be written, `in` rows input_stride() apart (LaneHistory::chunk).
  float* input() noexcept { return history_.chunk(); }
  std::ptrdiff_t input_stride() const noexcept { return history_.row_stride(); }
  // The chunk of `frames` frames written at input() becomes the latest, and the taps' inputs point at its
  // delayed rows; returns the extra inputs' slots, for the caller to fill.
  const float** append(int frames) noexcept {
    history_.append(frames);
    for (int c = 0; c < in_; ++c) {
      for (int t = 0; t < taps_; ++t) inputs_[c * taps_ + t] = history_.delayed(c, (taps_ - 1 - t) * dilation_);
    }
    return inputs_.data() + static_cast<std::ptrdiff_t>(in_) * taps_;
  }
  // y (out rows, y_stride apart) = bias + the product over every input.
  void product(float* y, std::ptrdiff_t y_stride, const float* bias, int frames) const noexcept {
    LaneOps::product(y, y_stride, columns_.data(), out_, bias, inputs_.data(),
                     static_cast<int>(inputs_.size()), out_, frames);
  }

 private:
  int in_, out_, taps_, dilation_;
  LaneHistory history_;
  std::vector<float> columns_;
  std::vector<const float*> inputs_;  // the taps' delayed rows, then the extra inputs
};

}  // namespace RTN_ISA_NAMESPACE
}  // namespace rtn
