#pragma once
// Dense (PyTorch Linear): out = weight * in + bias for each frame. Written once over the backend's ops.
#include "layers/padded_matrix.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

template <typename Ops>
class DenseKernel final : public Kernel {
 public:
  DenseKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend),
        weight_(padded_matrix_from_rows(weights.at("weight").values.data(), spec.output_size, spec.input_size)),
        bias_(padded_vector(spec.bias ? weights.at("bias").values.data() : nullptr, spec.output_size)) {}

  void prepare(int max_block) override {
    sums_.assign(static_cast<std::size_t>(weight_.stride) * max_block, 0.0f);
  }
  void reset() noexcept override {}

  void process(const float* in, float* out, int frames) noexcept override {
    const int stride = weight_.stride;
    fill_frames(sums_.data(), stride, bias_.data(), frames);
    Ops::matmul_add(sums_.data(), stride, weight_.data(), stride, stride, in, input_size(), input_size(), frames);
    copy_frames(out, output_size(), sums_.data(), stride, frames);
  }

 private:
  PaddedMatrix weight_;
  AlignedFloats bias_;
  AlignedFloats sums_;  // max_block padded frames
};

}  // namespace rtn
