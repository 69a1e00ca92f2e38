#pragma once
// A streaming causal convolution (PyTorch Conv1d on the input left-padded with (k-1)*d zeros):
// y[t][o] = bias[o] + sum over taps j and the inputs i of o's group of weight[o][i][j] * x[t - (k-1-j)*d][i].
// Written once over the backend's ops; the Conv1D kernel and the WaveNet layers compute with it.
//
// The history is kept as the input frames themselves, in a ring with room for the history and a chunk:
// output frame t reads tap j at frame t-(k-1-j)*d, so a chunk is k shifted matrix products over the ring
// (Ops::conv_matmul_add, the sums held in registers across the taps), with no im2col copy: each input frame
// is copied once, and nothing is ever moved. A chunk is cut where a tap's frames wrap around the ring's end
// (at most k cuts per pass over the ring). A single frame (per-sample use) is one matrix-vector product over
// its k taps where they are, with partial sums in flight.
//
// With a stride s (a decimating conv1d, docs/strided-convolutions.md) every input frame enters the ring, and
// only every s-th frame since reset() is convolved: the same products with the taps' frames s apart.
//
// Weights are laid out once in one of two ways:
//   - matrix: per "block" a padded matrix, its columns tap by tap (tap 0, the oldest, first), each tap the block's inputs.
//     Block = the whole layer (groups folded in as zeros) or one group per block, whichever is
//     cheaper: a 4-group 64-channel conv becomes four 16x48 products, not one mostly-zero 64x192.
//   - depthwise (groups == in == out): one weight per channel and tap, an element-wise multiply-add
//     per tap instead of a matrix that would be all zeros but its diagonal.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "aligned_buffer.hpp"
#include "layers/padded_matrix.hpp"
#include "layers/sizes.hpp"
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

// The input frames of a convolution's taps for one output frame, tap t's at first + t * step: a
// Conv1dHistory's window(). Indexed as an array of tap pointers is, so the products take either.
struct TapWindow {
  const float* first;
  std::ptrdiff_t step;
  const float* operator[](int t) const noexcept { return first + t * step; }
};

// The input frames a convolution reads: a ring of the last (k-1)*d frames and the current chunk.
class Conv1dHistory {
 public:
  // Allocates: room for chunks of up to max_chunk frames. Leaves the history zero. With `window`, the ring
  // also keeps what window() needs.
  void prepare(const LayerSpec& spec, int max_chunk, bool window = false);
  // As prepare(spec), for `taps` taps `dilation` frames apart over frames of `channels` floats, each kept
  // between `padding_before` and `padding_after` zeros (a Conv2D's padding along features): taps() then
  // points at the zeros before each frame.
  void prepare(int taps, int dilation, int channels, int max_chunk, int padding_before = 0,
               int padding_after = 0, bool window = false);
  // Zero history (as before the first frame), without allocating.
  void reset() noexcept;

  // Floats between consecutive frames of the pointers taps() gives.
  int stride() const noexcept { return stride_; }
  // Takes `frames` frames of input (1..max_chunk), `in_stride` floats apart, as the current chunk. A
  // convolution with one tap and no padding reads its input where it is (stride() is then in_stride).
  void push(const float* in, int in_stride, int frames) noexcept;
  // push(in, Channels, 1) for a frame of a size known at compile time (no padding): the per-sample path
  // of the fixed-size convolutions, one register move or two instead of a copy loop.
  template <int Channels>
  void push_frame(const float* in) noexcept;
  // For frame `first` of the current chunk, the address of each tap's input frame (tap 0 the oldest) in
  // `taps` (kernel_size of them); returns how many frames from there on (at most `frames`) read each tap
  // at consecutive addresses, stride() apart.
  int taps(int first, int frames, const float** taps) const noexcept;
  // The taps of a chunk of one frame (push_frame()) as one window: what a per-sample convolution reads,
  // without an address computed for each tap and kept in memory (taps()). Only when prepared with `window`:
  // the ring then has room for its first (k-1)*d frames once more after its end (the mirror), so that the
  // newest frame's taps never wrap around it. push_frame() keeps the mirror; push() only marks it stale
  // (copying every frame twice made blocks of a dilated convolution 12% slower on AMD Zen 4), and the next
  // window() that reads it brings it up to date, once.
  TapWindow window() noexcept;

 private:
  // The previous chunk's frames become history and the next `frames` follow them: returns the ring frame of
  // the first.
  int next_chunk(int frames) noexcept;
  // Copies the ring's first `frames` frames to the mirror.
  void refresh_mirror(int frames) noexcept;

  int taps_ = 1;
  int dilation_ = 1;
  int channels_ = 0;      // inputs per frame
  int padding_before_ = 0;  // zeros before each frame in the ring
  int slot_ = 0;          // floats per frame in the ring: the padding around the inputs
  int stride_ = 0;        // floats per frame
  bool in_place_ = false;  // one tap, no padding: the input is read where it is
  int capacity_ = 0;      // frames in the ring: the history and a chunk
  int mirrored_ = 0;      // with a window: the first frames of the ring, copied again after its end
  bool mirror_stale_ = false;  // push() wrote some of those since the mirror was last brought up to date
  int start_ = 0;         // the ring frame of the current chunk's first frame
  int frames_in_chunk_ = 0;  // frames of the current chunk
  const float* in_ = nullptr;  // the current chunk, with one tap
  AlignedFloats frames_;  // capacity x channels
};

// Inline: a per-sample convolution calls them once per sample.
inline int Conv1dHistory::next_chunk(int frames) noexcept {
  start_ += frames_in_chunk_;
  if (start_ >= capacity_) start_ -= capacity_;
  frames_in_chunk_ = frames;
  return start_;
}

inline void Conv1dHistory::push(const float* in, int in_stride, int frames) noexcept {
  if (in_place_) {
    in_ = in;
    stride_ = in_stride;
    return;
  }
  const std::ptrdiff_t slot = slot_;
  const int first = next_chunk(frames);
  int target = first;
  for (int f = 0; f < frames; ++f) {
    const float* source = in + static_cast<std::ptrdiff_t>(f) * in_stride;
    copy_floats(frames_.data() + target * slot + padding_before_, source, channels_);
    if (++target == capacity_) target = 0;
  }
  if (first < mirrored_ || first + frames > capacity_) mirror_stale_ = true;
}

template <int Channels>
inline void Conv1dHistory::push_frame(const float* in) noexcept {
  if (in_place_) {
    push(in, Channels, 1);
    return;
  }
  const int target = next_chunk(1);
  std::memcpy(frames_.data() + static_cast<std::ptrdiff_t>(target) * slot_ + padding_before_, in,
              Channels * sizeof(float));
  if (target < mirrored_) {
    std::memcpy(frames_.data() + static_cast<std::ptrdiff_t>(target + capacity_) * slot_ + padding_before_,
                in, Channels * sizeof(float));
  }
}

// Whether Ops has the matrix-vector product over a convolution's taps with its sizes known at run time
// (XsimdOps::matvec_taps_add), for the per-sample path of a generic convolution.
template <typename Ops, typename = void>
struct HasTapsProduct : std::false_type {};
template <typename Ops>
struct HasTapsProduct<Ops, std::void_t<decltype(Ops::matvec_taps_add(
                               std::declval<float*>(), std::declval<const float*>(), 0, 0,
                               std::declval<const float* const*>(), 0, 0, std::declval<const float*>()))>>
    : std::true_type {};

inline TapWindow Conv1dHistory::window() noexcept {
  if (in_place_) return {in_, 0};
  // The newest frame, or its copy in the mirror when the oldest tap would be before the ring's start.
  int newest = start_;
  if (newest < mirrored_) {
    if (mirror_stale_) refresh_mirror(newest);  // the frames before the newest (push_frame() copied it)
    newest += capacity_;
  }
  return {frames_.data() + static_cast<std::ptrdiff_t>(newest - mirrored_) * slot_,
          static_cast<std::ptrdiff_t>(dilation_) * slot_};
}

inline int Conv1dHistory::taps(int first, int frames, const float** taps) const noexcept {
  if (in_place_) {
    taps[0] = in_ + static_cast<std::ptrdiff_t>(first) * stride_;
    return frames;
  }
  int count = frames;
  for (int j = 0; j < taps_; ++j) {
    // (taps-1)*dilation < capacity, so one wrap brings the frame into the ring.
    int frame = start_ + first - (taps_ - 1 - j) * dilation_;
    if (frame < 0) frame += capacity_;
    if (frame >= capacity_) frame -= capacity_;
    taps[j] = frames_.data() + static_cast<std::ptrdiff_t>(frame) * slot_;
    count = std::min(count, capacity_ - frame);
  }
  return count;
}

// The convolution of a conv1d LayerSpec, with its history, computing chunks of up to max_chunk frames.
// In and Out > 0 make the fixed-size convolution of that shape (groups 1: one product per frame), 0 the generic one.
template <typename Ops, int In = 0, int Out = 0>
class CausalConv {
 public:
  // Allocates. `weights` holds the spec's "weight" and "bias" and has passed check_weights(spec).
  CausalConv(const LayerSpec& spec, const Weights& weights)
      : spec_(spec), weights_(conv1d_weights(spec, weights)) {
    if constexpr (kRows) rows_ = frame_rows(weights_, spec.kernel_size);
  }

  // Allocates: history and output for chunks of up to max_chunk frames. Leaves the history zero.
  // `per_frame`: process_frame() will be called (its history keeps a window, Conv1dHistory::window()).
  void prepare(int max_chunk, bool per_frame = false) {
    max_chunk_ = std::max(1, max_chunk);
    history_.prepare(spec_, max_chunk_, per_frame);
    taps_.assign(2 * static_cast<std::size_t>(spec_.kernel_size), nullptr);
    sums_.assign(static_cast<std::size_t>(weights_.frame_stride()) * max_chunk_, 0.0f);
    if (weights_.blocks > 1) compact_.assign(static_cast<std::size_t>(output_stride()) * max_chunk_, 0.0f);
  }
  // Zero history (and the stride's phase), without allocating.
  void reset() noexcept {
    history_.reset();
    next_output_ = 0;
  }

  int max_chunk() const noexcept { return max_chunk_; }
  // The output frames of the next process() of `frames` input frames: `frames` but with a stride, whose
  // outputs fall on every stride-th input frame since reset().
  int output_frames(int frames) const noexcept {
    return next_output_ < frames ? (frames - next_output_ + spec_.stride - 1) / spec_.stride : 0;
  }
  // Floats between output frames (the output channels padded to whole registers); 64-byte aligned.
  int output_stride() const noexcept { return padded_size(spec_.output_size); }

  // Convolves `frames` (1..max_chunk) frames of input, `in_stride` floats apart, and returns the output:
  // output_frames(frames) frames (as read before the call) output_stride() apart, each with its output channels
  // first (the padding after them is scratch). The caller may modify it in place (a WaveNet layer adds its
  // condition into it); it is valid until the next call. Never allocates.
  float* process(const float* in, int in_stride, int frames) noexcept {
    const int outputs = output_frames(frames);
    history_.push(in, in_stride, frames);
    if (!weights_.depthwise) fill_frames(sums_.data(), weights_.frame_stride(), weights_.bias.data(), outputs);
    convolve(frames);
    if (weights_.blocks == 1) return sums_.data();
    compact(outputs);
    return compact_.data();
  }

  // Whether process_to() may write the caller's output itself: one product per frame, no stride, no padding
  // in an output frame (a multiple of 16 outputs), and ops that start the sums at the bias in registers.
  bool writes_directly() const noexcept {
    return Ops::kAffineBlock && accumulates() && spec_.stride == 1 && output_stride() == spec_.output_size;
  }
  // As process(), but the output frames go straight to `out` (output_size() floats apart): no pass to fill
  // the sums with the bias, none to copy them out. Only when writes_directly(). Never allocates.
  void process_to(const float* in, int in_stride, int frames, float* out) noexcept {
    history_.push(in, in_stride, frames);
    convolve(frames, out, weights_.bias.data());
  }

  // Whether process_frame() computes this convolution: a fixed-size one (In > 0), or a generic one in one
  // group without a stride on ops with the run-time product over its taps (HasTapsProduct).
  bool has_frame_path() const noexcept {
    if constexpr (In > 0) {
      return true;
    } else {
      return HasTapsProduct<Ops>::value && accumulates() && spec_.stride == 1;
    }
  }

  // One frame, straight into `out` (the output channels): the per-sample path, which skips process()'s pass
  // to fill the sums and its loop over passes. Fixed-size: the taps where the history's window has them, the
  // sums in registers (Ops::affine_frame, or its dot-product form for eight inputs). Generic: the taps'
  // addresses, Ops::matvec_taps_add from the bias into the padded sums, then copied out (Conv1D 1 -> 10 and
  // 10 -> 10 with 3 taps on the Intel Xeon: 24 and 34 ns a frame, 34 and 49 through process()). Only when
  // has_frame_path(); a fixed-size one after prepare(max_chunk, per_frame = true). Never allocates.
  void process_frame(const float* in, float* out) noexcept {
    if constexpr (In > 0) {
      history_.template push_frame<In>(in);
      frame_product(out, history_.window());
    } else if constexpr (HasTapsProduct<Ops>::value) {
      const Conv1dWeights& w = weights_;
      history_.push(in, spec_.input_size, 1);
      const float** taps = taps_.data();
      history_.taps(0, 1, taps);
      Ops::matvec_taps_add(sums_.data(), w.values.data(), w.block_stride, w.block_stride, taps,
                           w.block_columns, spec_.kernel_size, w.bias.data());
      std::copy(sums_.data(), sums_.data() + spec_.output_size, out);
    }
  }

  // Whether the output is computed in place in one product per frame (not group by group, not depthwise):
  // then a caller may start the sums itself (the bias and more) and accumulate() onto them.
  bool accumulates() const noexcept { return !weights_.depthwise && weights_.blocks == 1; }
  // The sums accumulate() adds to: max_chunk frames output_stride() apart.
  float* sums() noexcept { return sums_.data(); }
  // The bias, padded to output_stride().
  const float* bias() const noexcept { return weights_.bias.data(); }
  // As process(), but adds the convolution without its bias onto sums(), which the caller has started
  // (for example at bias() plus something of its own). Only when accumulates() and without a stride. Never
  // allocates.
  float* accumulate(const float* in, int in_stride, int frames) noexcept {
    history_.push(in, in_stride, frames);
    convolve(frames);
    return sums_.data();
  }

 private:
  // The sums of the current chunk's output frames (started by the caller, but for depthwise), pass by pass: a
  // pass ends where a tap's frames wrap around the history's ring. With a stride, the chunk's frames from
  // next_output_ on, stride apart.
  // With `initial` (process_to()), the sums start there and go to `target`, frames frame_stride() apart.
  void convolve(int frames, float* target = nullptr, const float* initial = nullptr) noexcept {
    const int frame_stride = weights_.depthwise ? weights_.block_stride : weights_.frame_stride();
    float* sums = target != nullptr ? target : sums_.data();
    const int step = spec_.stride;
    const int x_stride = history_.stride() * step;
    int done = next_output_;
    for (int output = 0; done < frames;) {
      const float** taps = taps_.data();
      // The outputs at done, done + step, ... among the frames whose taps are consecutive from `done`.
      const int count = (history_.taps(done, frames - done, taps) + step - 1) / step;
      float* y = sums + static_cast<std::ptrdiff_t>(output) * frame_stride;
      if (weights_.depthwise) {
        compute_depthwise(taps, x_stride, y, count);
      } else {
        compute(taps, x_stride, y, count, initial);
      }
      output += count;
      done += count * step;
    }
    next_output_ = done - frames;
  }

  // y += weights * (the taps of each frame) for `frames` frames (frame_stride() apart), tap j of the first
  // frame at taps[j] and of the next x_stride floats further; y = initial + the same with `initial`
  // (writes_directly() only).
  void compute(const float* const* taps, int x_stride, float* y, int frames, const float* initial) noexcept {
    const Conv1dWeights& w = weights_;
    const int kernel = spec_.kernel_size;
    if constexpr (Ops::kAffineBlock) {
      if (initial != nullptr) {
        const auto stride = size_or<padded_size(Out)>(w.frame_stride());
        Ops::conv_affine_block(y, stride, initial, w.values.data(), stride, stride, taps, x_stride,
                               size_or<In>(w.block_columns), kernel, frames);
        return;
      }
    }
    if constexpr (In > 0) {
      // Fixed size: one block (groups 1), every size but the taps' a constant.
      constexpr auto stride = Size<padded_size(Out)>{};
      Ops::conv_matmul_add(y, stride, w.values.data(), stride, stride, taps, x_stride, Size<In>{}, kernel, frames);
    } else {
      const int frame_stride = w.frame_stride();
      const std::size_t block_size = w.block_size();
      const float** block_taps = taps_.data() + kernel;
      for (int b = 0; b < w.blocks; ++b) {
        for (int j = 0; j < kernel; ++j) block_taps[j] = taps[j] + static_cast<std::ptrdiff_t>(b) * w.block_columns;
        Ops::conv_matmul_add(y + static_cast<std::ptrdiff_t>(b) * w.block_stride, frame_stride,
                             w.values.data() + b * block_size, w.block_stride, w.block_stride, block_taps, x_stride,
                             w.block_columns, kernel, frames);
      }
    }
  }

  // y = bias + sum over taps of weight[tap] * input[tap], channel by channel, accumulated in place.
  void compute_depthwise(const float* const* taps, int x_stride, float* y, int frames) noexcept {
    const Conv1dWeights& w = weights_;
    const int channels = w.block_rows;
    const int kernel = spec_.kernel_size;
    const std::ptrdiff_t stride = x_stride;
    for (int f = 0; f < frames; ++f) {
      float* result = y + static_cast<std::ptrdiff_t>(f) * w.block_stride;
      Ops::affine(result, taps[0] + f * stride, w.values.data(), w.bias.data(), channels);
      for (int j = 1; j < kernel; ++j) {
        Ops::affine(result, taps[j] + f * stride, w.values.data() + static_cast<std::ptrdiff_t>(j) * w.block_stride,
                    result, channels);
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

  // process_frame()'s product over the window. Three taps, the common kernel size, as a constant, so that the
  // loop over them is unrolled (on AMD Zen 4 a Conv1D 8 -> 8, k 3 per sample through Model::process
  // 16.5 -> 14.5 ns).
  void frame_product(float* out, TapWindow taps) noexcept {
    const auto product = [&](auto tap_count) {
      if constexpr (kRows) {
        Ops::template affine_frame_rows<Out>(out, weights_.bias.data(), rows_.data(), taps, tap_count);
      } else {
        Ops::template affine_frame<padded_size(Out), Out, In>(out, weights_.bias.data(),
                                                              weights_.values.data(), taps, tap_count);
      }
    };
    if (spec_.kernel_size == 3) {
      product(Size<3>{});
    } else {
      product(spec_.kernel_size);
    }
  }

  // A frame of eight inputs takes the dot-product form of the per-frame product where the ops have it
  // (XsimdOps::affine_frame_rows), with the weights laid out once more, output by output.
  static constexpr bool kRows = [] {
    if constexpr (In == 8 && Out % 8 == 0) {
      return Ops::kEightInputRows;
    } else {
      return false;
    }
  }();

  // The weights of a one-block matrix layout as rows: Out x taps x In, output o's weights for tap t at
  // [(o * taps + t) * In].
  static AlignedFloats frame_rows(const Conv1dWeights& w, int taps) {
    AlignedFloats rows(static_cast<std::size_t>(Out) * taps * In, 0.0f);
    for (int o = 0; o < Out; ++o) {
      for (int t = 0; t < taps; ++t) {
        for (int i = 0; i < In; ++i) {
          rows[(static_cast<std::size_t>(o) * taps + t) * In + i] =
              w.values[static_cast<std::size_t>(t * In + i) * w.block_stride + o];
        }
      }
    }
    return rows;
  }

  LayerSpec spec_;
  Conv1dWeights weights_;
  AlignedFloats rows_;  // kRows only: the weights as frame_rows() lays them out
  Conv1dHistory history_;
  std::vector<const float*> taps_;  // each tap's input frame, then the same for one group
  AlignedFloats sums_;     // max_chunk frames of frame_stride() floats
  AlignedFloats compact_;  // max_chunk frames of output_stride() floats (only when blocks > 1)
  int max_chunk_ = 1;
  int next_output_ = 0;  // with a stride: the frame of the next chunk that is the next output (0..stride-1)
};

}  // namespace rtn
