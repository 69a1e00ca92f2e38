#pragma once
// The past of a channel-major signal (backends/xsimd_lane_ops.hpp), for a causal convolution that reaches
// `reach` frames back: each channel a row of the frames seen last, the latest chunk after them. A row is
// longer than reach plus a chunk, so that a chunk is appended where the last ended, and only when the row is
// full are its last `reach` frames moved to its start (at most reach floats per channel every max(reach,
// chunk) frames) instead of a ring whose taps would wrap inside a chunk. The producer of a chunk writes it in
// place, where chunk() says, and nothing is copied.
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

  // Where the next chunk is to be written: channel c's frames at chunk() + c * row_stride(), room for the
  // prepared maximum rounded up to whole registers (kPadFloats). Frames written past the chunk's end are
  // overwritten by the next chunk before anything reads them as the past.
  float* chunk() noexcept {
    if (end_ + room_ > length_) {
      for (int c = 0; c < channels_; ++c) {
        float* row = values_.data() + static_cast<std::ptrdiff_t>(c) * length_;
        std::memmove(row, row + end_ - reach_, sizeof(float) * static_cast<std::size_t>(reach_));
      }
      end_ = reach_;
    }
    return values_.data() + end_;
  }
  std::ptrdiff_t row_stride() const noexcept { return length_; }
  // The `frames` frames (<= the prepared maximum) written at chunk() become the latest chunk.
  void append(int frames) noexcept {
    start_ = end_;
    end_ = start_ + frames;
  }
  // The latest chunk's rows, row_stride() apart.
  const float* latest() const noexcept { return values_.data() + start_; }

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
