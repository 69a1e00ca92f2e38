#pragma once
// Dense (PyTorch Linear): out = weight * in + bias for each frame. Written once over the backend's ops;
// In and Out > 0 make the fixed-size kernel of that shape (layers/sizes.hpp), 0 the generic one; Ops of a
// fixed-size kernel provide affine_frame (the per-sample product in registers, see xsimd_ops.hpp).
#include <algorithm>
#include <vector>

#include "layers/padded_matrix.hpp"
#include "layers/sizes.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

template <typename Ops, int In = 0, int Out = 0>
class DenseKernel final : public Kernel {
 public:
  // Up to this many outputs (an amp model's final 40 -> 1), each output is one dot product of a weight
  // row with the frame: a matrix-vector product would spend a whole padded register row per input on
  // one useful value.
  static constexpr int kMaxDotOutputs = 3;

  DenseKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend),
        use_dot_(spec.output_size <= kMaxDotOutputs),
        rows_(use_dot_ ? weights.at("weight").values : std::vector<float>{}),
        weight_(use_dot_ ? PaddedMatrix{}
                         : padded_matrix_from_rows(weights.at("weight").values.data(), spec.output_size,
                                                   spec.input_size)),
        bias_(padded_vector(spec.bias ? weights.at("bias").values.data() : nullptr, spec.output_size)) {}

  void prepare(int max_block) override {
    if (!use_dot_) sums_.assign(static_cast<std::size_t>(weight_.stride) * max_block, 0.0f);
  }
  void reset() noexcept override {}

  void process(const float* in, float* out, int frames) noexcept override {
    if constexpr (In > 0 && Out > 0) {
      // A fixed-size kernel called per sample, ahead of the block path so that a per-sample call does not pay
      // that path's stack frame: the whole product in registers (Ops::affine_frame), or the few dot products.
      if (frames == 1) {
        if constexpr (Out > kMaxDotOutputs) {
          Ops::template affine_frame<padded_size(Out), Out, In>(out, bias_.data(), weight_.data(), &in);
        } else {
          dot_frames(in, out, 1);
        }
        return;
      }
    }
    process_frames(in, out, frames);
  }

 private:
  // Each output a dot product of its weight row with the frame (use_dot_). (clang-tidy's non-const-parameter
  // check misses the write through a dependent index below.)
  void dot_frames(const float* in, float* out, int frames) noexcept {  // NOLINT(readability-non-const-parameter)
    const auto inputs = size_or<In>(input_size());
    const auto outputs = size_or<Out>(output_size());
    for (int f = 0; f < frames; ++f) {
      const float* frame = in + static_cast<std::ptrdiff_t>(f) * inputs;
      for (int o = 0; o < outputs; ++o) {
        out[f * outputs + o] = bias_[o] + Ops::dot(rows_.data() + static_cast<std::ptrdiff_t>(o) * inputs, frame, inputs);
      }
    }
  }

  [[gnu::noinline]] void process_frames(const float* in, float* out, int frames) noexcept {
    if (use_dot_) {
      dot_frames(in, out, frames);
      return;
    }
    const auto inputs = size_or<In>(input_size());
    const auto outputs = size_or<Out>(output_size());
    const auto stride = size_or<padded_size(Out)>(weight_.stride);
    float* sums = sums_.data();
    if constexpr (Ops::kAffineBlock) {
      // The sums start at the bias in registers; with no padding in a frame (outputs a multiple of 16), they
      // are the output itself: no pass over the block to fill them, none to copy them out (on an Intel Xeon
      // with AVX-512, a Dense 64 in blocks of 256 5% faster).
      const bool whole_frames = static_cast<int>(stride) == static_cast<int>(outputs);
      Ops::affine_block(whole_frames ? out : sums, stride, bias_.data(), weight_.data(), stride, stride, in,
                        inputs, inputs, frames);
      if (whole_frames) return;
    } else {
      for (int f = 0; f < frames; ++f) std::copy_n(bias_.data(), static_cast<int>(stride), sums + f * stride);
      Ops::matmul_add(sums, stride, weight_.data(), stride, stride, in, inputs, inputs, frames);
    }
    for (int f = 0; f < frames; ++f) std::copy_n(sums + f * stride, static_cast<int>(outputs), out + f * outputs);
  }

  bool use_dot_;
  std::vector<float> rows_;  // PyTorch's row-major weight, for the dot-product path
  PaddedMatrix weight_;      // column-major, for the matrix path
  AlignedFloats bias_;
  AlignedFloats sums_;  // max_block padded frames
};

}  // namespace rtn
