#pragma once
// A streaming causal convolution (PyTorch Conv1d on the input left-padded with (k-1)*d zeros):
// y[t][o] = bias[o] + sum over taps j and the inputs i of o's group of weight[o][i][j] * x[t - (k-1-j)*d][i].
// Written once over the backend's ops; the Conv1D kernel and the WaveNet layers compute with it.
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
#include "rtn/layer_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn {

// The weights in the layout the convolution computes with; the same for every backend.
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

// Lays out a conv1d spec's "weight" [out][in/groups][k] and "bias" [out]. Allocates. `weights` has passed
// check_weights(spec).
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
  // Takes `frames` frames of input, `in_stride` floats apart (1..min(max_chunk, contiguous_frames())), and
  // returns their slots, contiguous, slot_size() apart. A convolution with one tap reads its input as is:
  // `in` comes back (and slot_size() is then in_stride).
  const float* push(const float* in, int in_stride, int frames) noexcept;

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

// The convolution of a conv1d LayerSpec, with its history, computing chunks of up to max_chunk frames.
template <typename Ops>
class CausalConv {
 public:
  // Allocates. `weights` holds the spec's "weight" and "bias" and has passed check_weights(spec).
  CausalConv(const LayerSpec& spec, const Weights& weights)
      : spec_(spec), weights_(conv1d_weights(spec, weights)) {}

  // Allocates: history and output for chunks of up to max_chunk frames. Leaves the history zero.
  void prepare(int max_chunk) {
    max_chunk_ = std::max(1, max_chunk);
    history_.prepare(spec_, weights_, max_chunk_);
    sums_.assign(static_cast<std::size_t>(weights_.frame_stride()) * max_chunk_, 0.0f);
    if (weights_.blocks > 1) compact_.assign(static_cast<std::size_t>(output_stride()) * max_chunk_, 0.0f);
  }
  // Zero history, without allocating.
  void reset() noexcept { history_.reset(); }

  int max_chunk() const noexcept { return max_chunk_; }
  // Floats between output frames (the output channels padded to whole registers); 64-byte aligned.
  int output_stride() const noexcept { return padded_size(spec_.output_size); }

  // Convolves `frames` (1..max_chunk) frames of input, `in_stride` floats apart, and returns the output:
  // `frames` frames output_stride() apart, each with its output channels first (the padding after them is
  // scratch). The caller may modify it in place (a WaveNet layer adds its condition into it); it is valid
  // until the next call. Never allocates.
  float* process(const float* in, int in_stride, int frames) noexcept {
    const int frame_stride = weights_.frame_stride();
    for (int done = 0; done < frames;) {
      // The ring hands out contiguous slots only up to its end; the rest goes in a second pass.
      const int count = std::min(frames - done, history_.contiguous_frames());
      const float* stacks =
          history_.push(in + static_cast<std::ptrdiff_t>(done) * in_stride, in_stride, count);
      float* y = sums_.data() + static_cast<std::ptrdiff_t>(done) * frame_stride;
      if (weights_.depthwise) {
        compute_depthwise(stacks, y, count);
      } else {
        compute(stacks, y, count);
      }
      done += count;
    }
    if (weights_.blocks == 1) return sums_.data();
    compact(frames);
    return compact_.data();
  }

 private:
  // y = bias + weights * stacks for `frames` frames (frame_stride() apart).
  void compute(const float* stacks, float* y, int frames) noexcept {
    const Conv1dWeights& w = weights_;
    const int frame_stride = w.frame_stride();
    const int slot = history_.slot_size();
    const int n_in = spec_.kernel_size * w.block_columns;
    const std::size_t block_size = w.block_size();
    fill_frames(y, frame_stride, w.bias.data(), frames);
    for (int b = 0; b < w.blocks; ++b) {
      float* rows = y + static_cast<std::ptrdiff_t>(b) * w.block_stride;
      const float* matrix = w.values.data() + b * block_size;
      const float* x = stacks + static_cast<std::ptrdiff_t>(b) * n_in;
      if (frames == 1) {
        Ops::matvec_add(rows, matrix, w.block_stride, w.block_stride, x, n_in);
      } else {
        Ops::matmul_add(rows, frame_stride, matrix, w.block_stride, w.block_stride, x, slot, n_in, frames);
      }
    }
  }

  // y = bias + sum over taps of weight[tap] * stack[tap], channel by channel, accumulated in place.
  void compute_depthwise(const float* stacks, float* y, int frames) noexcept {
    const Conv1dWeights& w = weights_;
    const int channels = w.block_rows;
    const int taps = spec_.kernel_size;
    const int slot = history_.slot_size();
    for (int f = 0; f < frames; ++f) {
      const float* x = stacks + static_cast<std::ptrdiff_t>(f) * slot;
      float* result = y + static_cast<std::ptrdiff_t>(f) * w.block_stride;
      Ops::affine(result, x, w.values.data(), w.bias.data(), channels);
      for (int j = 1; j < taps; ++j) {
        Ops::affine(result, x + static_cast<std::ptrdiff_t>(j) * channels,
                    w.values.data() + static_cast<std::ptrdiff_t>(j) * w.block_stride, result, channels);
      }
    }
  }

  // Group-by-group results sit block_stride apart; the output has the channels one after the other.
  void compact(int frames) noexcept {
    const Conv1dWeights& w = weights_;
    const int stride = output_stride();
    for (int f = 0; f < frames; ++f) {
      const float* frame = sums_.data() + static_cast<std::ptrdiff_t>(f) * w.frame_stride();
      float* out = compact_.data() + static_cast<std::ptrdiff_t>(f) * stride;
      for (int b = 0; b < w.blocks; ++b) {
        const float* rows = frame + static_cast<std::ptrdiff_t>(b) * w.block_stride;
        out = std::copy(rows, rows + w.block_rows, out);
      }
    }
  }

  LayerSpec spec_;
  Conv1dWeights weights_;
  Conv1dHistory history_;
  AlignedFloats sums_;     // max_chunk frames of frame_stride() floats
  AlignedFloats compact_;  // max_chunk frames of output_stride() floats (only when blocks > 1)
  int max_chunk_ = 1;
};

}  // namespace rtn
