#pragma once
// Conv1D (PyTorch Conv1d, causal and streaming): y[t][o] = bias[o] + sum over taps j and the inputs i of
// o's group of weight[o][i][j] * x[t - (k-1-j)*d][i]. Written once over the backend's ops.
//
// The history is kept as "tap stacks" (an im2col built incrementally): slot s of a ring holds every
// input value that output frame s reads, x[s-(k-1)*d] ... x[s], so each output frame is one matrix-vector
// product over contiguous floats whatever the dilation, and a block is one matrix product. Each
// incoming frame is scattered once into the k slots that will read it; nothing is ever moved, so the
// cost per frame does not grow with the dilation (a WaveNet layer with d = 512 costs what d = 1 does).
//
// Weights are laid out once in one of two ways:
//   - matrix: per "block" a padded matrix whose columns follow the slot (tap-major within the block).
//     Block = the whole layer (groups folded in as zeros) or one group per block, whichever is
//     cheaper: a 4-group 64-channel conv becomes four 16x48 products, not one mostly-zero 64x192.
//   - depthwise (groups == in == out): one weight per channel and tap, an element-wise multiply-add
//     per tap instead of a matrix that would be all zeros but its diagonal.
#include <algorithm>
#include <cstddef>

#include "aligned_buffer.hpp"
#include "layers/padded_matrix.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

// The weights in the layout the kernel computes with; the same for every backend.
struct Conv1dWeights {
  bool depthwise = false;
  int blocks = 1;         // matrix products per frame (1, or the groups when computed group by group)
  int block_rows = 0;     // outputs per block
  int block_columns = 0;  // inputs per block for one tap; a block's matrix has taps x block_columns columns
  int block_stride = 0;   // block_rows padded to whole registers
  // matrix: blocks x (taps * block_columns) columns x block_stride, block after block.
  // depthwise: taps x block_stride, the weight of channel c at tap j at [j * block_stride + c].
  AlignedFloats values;
  AlignedFloats bias;  // blocks x block_stride, zero-padded (zeros when the layer has no bias)

  // Padded floats of one output frame; block b of frame f starts at f * frame_stride() + b * block_stride.
  int frame_stride() const noexcept { return blocks * block_stride; }
  // Floats of one block's matrix.
  std::size_t block_size() const noexcept { return values.size() / static_cast<std::size_t>(blocks); }
};

// Allocates. `weights` has passed check_weights(spec).
Conv1dWeights conv1d_weights(const LayerSpec& spec, const Weights& weights);

// The tap stacks: a ring of slots, each holding the kernel_size input frames one output frame reads,
// ordered [block][tap][the block's inputs] to match Conv1dWeights' columns.
class Conv1dHistory {
 public:
  // Allocates: room for chunks of up to max_chunk frames. Leaves the history zero.
  void prepare(const LayerSpec& spec, const Conv1dWeights& weights, int max_chunk);
  // Zero history (as before the first frame), without allocating.
  void reset() noexcept;

  // Frames the next push() can take and still return contiguous slots.
  int contiguous_frames() const noexcept { return capacity_ - position_; }
  // Floats between the slots of consecutive frames.
  int slot_size() const noexcept { return slot_size_; }
  // Takes `frames` frames of input (1..min(max_chunk, contiguous_frames())) and returns their slots,
  // contiguous, slot_size() apart. A convolution with one tap reads its input as is: `in` comes back.
  const float* push(const float* in, int frames) noexcept;

 private:
  int taps_ = 1;
  int dilation_ = 1;
  int channels_ = 0;       // inputs per frame
  int blocks_ = 1;         // inputs are stacked block by block
  int block_columns_ = 0;  // inputs per block
  int slot_size_ = 0;      // taps * channels
  int capacity_ = 0;       // slots in the ring: the history frames plus one chunk
  int position_ = 0;       // the slot of the next frame
  AlignedFloats slots_;    // capacity x slot_size
};

template <typename Ops>
class Conv1dKernel final : public Kernel {
 public:
  // Frames computed per pass: bounds the scratch and the history ring whatever max_block is, while
  // keeping the matrix products long enough to run at full speed.
  static constexpr int kMaxChunk = 64;

  Conv1dKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend), weights_(conv1d_weights(spec, weights)) {}

  void prepare(int max_block) override {
    chunk_ = std::clamp(max_block, 1, kMaxChunk);
    history_.prepare(spec(), weights_, chunk_);
    sums_.assign(static_cast<std::size_t>(weights_.frame_stride()) * chunk_, 0.0f);
    reset();
  }

  void reset() noexcept override { history_.reset(); }

  void process(const float* in, float* out, int frames) noexcept override {
    while (frames > 0) {
      const int count = std::min({frames, chunk_, history_.contiguous_frames()});
      const float* stacks = history_.push(in, count);
      if (weights_.depthwise) {
        compute_depthwise(stacks, out, count);
      } else {
        compute(stacks, count);
        copy_out(out, count);
      }
      in += static_cast<std::ptrdiff_t>(count) * input_size();
      out += static_cast<std::ptrdiff_t>(count) * output_size();
      frames -= count;
    }
  }

 private:
  // sums_ = bias + weights * stacks for `frames` frames.
  void compute(const float* stacks, int frames) noexcept {
    const Conv1dWeights& w = weights_;
    const int frame_stride = w.frame_stride();
    const int slot = history_.slot_size();
    const int n_in = spec().kernel_size * w.block_columns;
    const std::size_t block_size = w.block_size();
    fill_frames(sums_.data(), frame_stride, w.bias.data(), frames);
    for (int b = 0; b < w.blocks; ++b) {
      float* y = sums_.data() + static_cast<std::ptrdiff_t>(b) * w.block_stride;
      const float* matrix = w.values.data() + b * block_size;
      const float* x = stacks + static_cast<std::ptrdiff_t>(b) * n_in;
      if (frames == 1) {
        Ops::matvec_add(y, matrix, w.block_stride, w.block_stride, x, n_in);
      } else {
        Ops::matmul_add(y, frame_stride, matrix, w.block_stride, w.block_stride, x, slot, n_in, frames);
      }
    }
  }

  // out = bias + sum over taps of weight[tap] * stack[tap], channel by channel. The first tap starts
  // from the bias and the last one writes the output, so only the taps between pass through sums_.
  void compute_depthwise(const float* stacks, float* out, int frames) noexcept {
    const Conv1dWeights& w = weights_;
    const int channels = w.block_rows;
    const int taps = spec().kernel_size;
    const int slot = history_.slot_size();
    const auto weight = [&](int tap) {
      return w.values.data() + static_cast<std::ptrdiff_t>(tap) * w.block_stride;
    };
    float* const y = sums_.data();
    for (int f = 0; f < frames; ++f) {
      const float* x = stacks + static_cast<std::ptrdiff_t>(f) * slot;
      float* result = out + static_cast<std::ptrdiff_t>(f) * channels;
      if (taps == 1) {
        Ops::affine(result, x, weight(0), w.bias.data(), channels);
        continue;
      }
      Ops::affine(y, x, weight(0), w.bias.data(), channels);
      for (int j = 1; j < taps - 1; ++j) {
        Ops::affine(y, x + static_cast<std::ptrdiff_t>(j) * channels, weight(j), y, channels);
      }
      Ops::affine(result, x + static_cast<std::ptrdiff_t>(taps - 1) * channels, weight(taps - 1), y,
                  channels);
    }
  }

  void copy_out(float* out, int frames) const noexcept {
    const Conv1dWeights& w = weights_;
    if (w.blocks == 1) {
      copy_frames(out, output_size(), sums_.data(), w.frame_stride(), frames);
      return;
    }
    for (int f = 0; f < frames; ++f) {
      const float* frame = sums_.data() + static_cast<std::ptrdiff_t>(f) * w.frame_stride();
      for (int b = 0; b < w.blocks; ++b) {
        const float* rows = frame + static_cast<std::ptrdiff_t>(b) * w.block_stride;
        out = std::copy(rows, rows + w.block_rows, out);
      }
    }
  }

  Conv1dWeights weights_;
  Conv1dHistory history_;
  AlignedFloats sums_;  // chunk frames of frame_stride() floats
  int chunk_ = 1;
};

}  // namespace rtn
