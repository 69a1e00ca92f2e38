#pragma once
// Conv1D (PyTorch Conv1d, causal and streaming): the kernel around a CausalConv
// (layers/conv1d/causal_conv.hpp, which explains the layout). Written once over the backend's ops;
// In and Out > 0 make the fixed-size kernel of that shape (groups 1), 0 the generic one.
#include <algorithm>
#include <cstddef>

#include "layers/conv1d/causal_conv.hpp"
#include "layers/padded_matrix.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

template <typename Ops, int In = 0, int Out = 0>
class Conv1dKernel final : public Kernel {
 public:
  // Frames computed per pass: bounds the scratch and the history ring whatever max_block is, while
  // keeping the matrix products long enough to run at full speed.
  static constexpr int kMaxChunk = 64;

  // The fixed-size convolution computes one product per frame over all inputs: one group only.
  static const char* unsupported(const LayerSpec& spec) noexcept {
    return In > 0 && spec.groups != 1 ? "a grouped or depthwise conv1d (groups > 1) has no fixed-size kernel"
                                      : nullptr;
  }

  Conv1dKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend), conv_(spec, weights), frame_path_(conv_.has_frame_path()) {}

  void prepare(int max_block) override {
    conv_.prepare(std::clamp(max_block, 1, kMaxChunk), /*per_frame=*/In > 0);
    reset();
  }

  void reset() noexcept override { conv_.reset(); }

  void process(const float* in, float* out, int frames) noexcept override {
    // Called per sample, ahead of the block path so that a per-sample call does not pay that path's stack
    // frame (a fixed-size kernel always has the frame path: a constant condition).
    if (frames == 1 && (In > 0 || frame_path_)) {
      conv_.process_frame(in, out);
      return;
    }
    process_frames(in, out, frames);
  }

  int output_frames(int frames) const noexcept override { return conv_.output_frames(frames); }

 private:
  [[gnu::noinline]] void process_frames(const float* in, float* out, int frames) noexcept {
    while (frames > 0) {
      const int count = std::min(frames, conv_.max_chunk());
      const int outputs = conv_.output_frames(count);  // count, but with a stride
      if (conv_.writes_directly()) {
        conv_.process_to(in, input_size(), count, out);
      } else {
        copy_frames(out, output_size(), conv_.process(in, input_size(), count), conv_.output_stride(),
                    outputs);
      }
      in += static_cast<std::ptrdiff_t>(count) * input_size();
      out += static_cast<std::ptrdiff_t>(outputs) * output_size();
      frames -= count;
    }
  }

  CausalConv<Ops, In, Out> conv_;
  bool frame_path_;  // conv_.has_frame_path()
};

}  // namespace rtn
