#pragma once
// The xsimd backend: hand-vectorised with xsimd's batches for the widest instruction set the library is
// compiled for (AVX-512 with -march=native on a recent x86; AVX2, SSE or NEON elsewhere).
#include <xsimd/xsimd.hpp>

#include "aligned_buffer.hpp"
#include "backends/stl_ops.hpp"
#include "rtn/backend.hpp"

namespace rtn {

struct XsimdOps {
  static constexpr Backend backend = Backend::xsimd;
  using Batch = xsimd::batch<float>;
  static constexpr int kWidth = static_cast<int>(Batch::size);
  static_assert(kPadFloats % kWidth == 0, "padded rows must hold whole batches");

  // Rows in groups of `Accumulators` batches, each group's sums kept in registers over all columns.
  template <int Accumulators>
  static void matvec_rows(float* y, const float* w, int stride, const float* x, int n_in) noexcept {
    Batch sum[Accumulators];
    for (int k = 0; k < Accumulators; ++k) sum[k] = Batch::load_aligned(y + k * kWidth);
    for (int j = 0; j < n_in; ++j) {
      const Batch xj(x[j]);
      const float* column = w + static_cast<std::ptrdiff_t>(j) * stride;
      for (int k = 0; k < Accumulators; ++k) sum[k] = xsimd::fma(Batch::load_aligned(column + k * kWidth), xj, sum[k]);
    }
    for (int k = 0; k < Accumulators; ++k) sum[k].store_aligned(y + k * kWidth);
  }

  static void matvec_add(float* y, const float* w, int stride, int rows, const float* x, int n_in) noexcept {
    constexpr int kGroup = 4;
    int o = 0;
    for (; o + kGroup * kWidth <= rows; o += kGroup * kWidth) matvec_rows<kGroup>(y + o, w + o, stride, x, n_in);
    for (; o < rows; o += kWidth) matvec_rows<1>(y + o, w + o, stride, x, n_in);
  }

  static void matmul_add(float* y, int y_stride, const float* w, int stride, int rows, const float* x,
                         int x_stride, int n_in, int frames) noexcept {
    for (int f = 0; f < frames; ++f) {
      matvec_add(y + static_cast<std::ptrdiff_t>(f) * y_stride, w, stride, rows,
                 x + static_cast<std::ptrdiff_t>(f) * x_stride, n_in);
    }
  }

  // Applies `vector_op` to whole batches and the portable scalar code to the tail.
  template <typename VectorOp, typename TailOp>
  static void map(float* y, const float* x, int n, VectorOp vector_op, TailOp tail_op) noexcept {
    int i = 0;
    for (; i + kWidth <= n; i += kWidth) vector_op(Batch::load_unaligned(x + i)).store_unaligned(y + i);
    if (i < n) tail_op(y + i, x + i, n - i);
  }

  static void affine(float* y, const float* x, const float* scale, const float* shift, int n) noexcept {
    int i = 0;
    for (; i + kWidth <= n; i += kWidth) {
      xsimd::fma(Batch::load_unaligned(x + i), Batch::load_unaligned(scale + i), Batch::load_unaligned(shift + i))
          .store_unaligned(y + i);
    }
    StlOps::affine(y + i, x + i, scale + i, shift + i, n - i);
  }

  static void tanh(float* y, const float* x, int n) noexcept {
    map(y, x, n, [](Batch v) { return xsimd::tanh(v); }, &StlOps::tanh);
  }
  static void sigmoid(float* y, const float* x, int n) noexcept {
    const Batch one(1.0f);
    map(y, x, n, [one](Batch v) { return one / (one + xsimd::exp(-v)); }, &StlOps::sigmoid);
  }
  static void relu(float* y, const float* x, int n) noexcept {
    const Batch zero(0.0f);
    map(y, x, n, [zero](Batch v) { return xsimd::max(v, zero); }, &StlOps::relu);
  }
  static void elu(float* y, const float* x, int n, float alpha) noexcept {
    const Batch zero(0.0f), scale(alpha);
    map(y, x, n, [=](Batch v) { return xsimd::select(v > zero, v, scale * xsimd::expm1(v)); },
        [alpha](float* out, const float* in, int count) { StlOps::elu(out, in, count, alpha); });
  }
  static void leaky_relu(float* y, const float* x, int n, float slope) noexcept {
    const Batch zero(0.0f), scale(slope);
    map(y, x, n, [=](Batch v) { return xsimd::select(v > zero, v, scale * v); },
        [slope](float* out, const float* in, int count) { StlOps::leaky_relu(out, in, count, slope); });
  }
  static void prelu(float* y, const float* x, const float* slopes, int n) noexcept {
    const Batch zero(0.0f);
    int i = 0;
    for (; i + kWidth <= n; i += kWidth) {
      const Batch v = Batch::load_unaligned(x + i);
      xsimd::select(v > zero, v, Batch::load_unaligned(slopes + i) * v).store_unaligned(y + i);
    }
    StlOps::prelu(y + i, x + i, slopes + i, n - i);
  }
  static void softmax(float* y, const float* x, int n) noexcept {
    // Softmax runs over one frame's channels (a few dozen): the portable code is as fast.
    StlOps::softmax(y, x, n);
  }
};

}  // namespace rtn
