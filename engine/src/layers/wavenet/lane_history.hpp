#pragma once
// The past of a channel-major signal (backends/xsimd_lane_ops.hpp), for a causal convolution that reaches
// `reach` frames back: each channel a row of the frames seen last, the latest chunk after them. A row is longer
// than reach plus a chunk, so that a chunk is appended where the last ended, and only when the row is full are
// its last `reach` frames moved to its start (at most reach floats per channel every max(reach, chunk) frames)
// instead of a ring whose taps would wrap inside a chunk.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "aligned_buffer.hpp"

namespace rtn {

class LaneHistory {
 public:
  LaneHistory(int channels, int reach) : channels_(channels), reach_(reach) {}

  // Allocates: room for chunks of up to max_frames frames, read as whole registers of frames (kPadFloats).
  void prepare(int max_frames) {
    room_ = padded_size(max_frames);
    length_ = padded_size(reach_ + std::max(reach_, room_) + room_);
    values_.assign(static_cast<std::size_t>(channels_) * length_, 0.0f);
    start_ = end_ = reach_;
  }
  // The past becomes silence.
  void reset() noexcept {
    std::fill(values_.begin(), values_.end(), 0.0f);
    start_ = end_ = reach_;
  }

  // Appends `frames` (<= the prepared maximum) frames of x: channel c's at x + c * x_stride.
  void push(const float* x, std::ptrdiff_t x_stride, int frames) noexcept {
    if (end_ + room_ > length_) {
      for (int c = 0; c < channels_; ++c) {
        float* row = values_.data() + static_cast<std::ptrdiff_t>(c) * length_;
        std::memmove(row, row + end_ - reach_, sizeof(float) * static_cast<std::size_t>(reach_));
      }
      end_ = reach_;
    }
    start_ = end_;
    for (int c = 0; c < channels_; ++c) {
      std::memcpy(values_.data() + static_cast<std::ptrdiff_t>(c) * length_ + start_,
                  x + static_cast<std::ptrdiff_t>(c) * x_stride, sizeof(float) * static_cast<std::size_t>(frames));
    }
    end_ = start_ + frames;
  }

  // Channel c of the latest chunk, delayed by `delay` (<= reach) frames: the row whose frame t is the input
  // `delay` frames before the chunk's frame t. A whole register's worth of frames can be read past the chunk.
  const float* delayed(int channel, int delay) const noexcept {
    return values_.data() + static_cast<std::ptrdiff_t>(channel) * length_ + start_ - delay;
  }

 private:
  int channels_;
  int reach_;
  int room_ = 0;    // the frames a chunk may occupy, read as whole registers
  int length_ = 0;  // floats per channel
  AlignedFloats values_;
  int start_ = 0;  // where the latest chunk starts in each row
  int end_ = 0;    // where the next one will
};

}  // namespace rtn
