#pragma once
// The Eigen backend: matrix products through Eigen's GEMV/GEMM, activations through its vectorised
// array functions.
#include <Eigen/Core>
#include <algorithm>

#include "aligned_buffer.hpp"
#include "rtn/backend.hpp"

namespace rtn {

struct EigenOps {
  static constexpr Backend backend = Backend::eigen;

  using Matrix = Eigen::Map<const Eigen::MatrixXf, Eigen::Aligned64, Eigen::OuterStride<>>;
  using Output = Eigen::Map<Eigen::MatrixXf, Eigen::Aligned64, Eigen::OuterStride<>>;
  using Input = Eigen::Map<const Eigen::MatrixXf, Eigen::Unaligned, Eigen::OuterStride<>>;
  using Array = Eigen::Map<Eigen::ArrayXf>;
  using ConstArray = Eigen::Map<const Eigen::ArrayXf>;

  // Eigen's GEMM keeps its packing buffers on the stack only while they are small
  // (EIGEN_STACK_ALLOCATION_LIMIT, 128 KiB), else it allocates. So a product goes through in slices:
  // at most kFramesPerProduct frames, and at most kMaxPackedFloats of weights (a slice of the inputs).
  static constexpr int kFramesPerProduct = 32;
  static constexpr int kMaxPackedFloats = 16384;

  static void matvec_add(float* y, const float* w, int stride, int rows, const float* x, int n_in) noexcept {
    Eigen::Map<Eigen::VectorXf, Eigen::Aligned64>(y, rows).noalias() +=
        Matrix(w, rows, n_in, Eigen::OuterStride<>(stride)) * Eigen::Map<const Eigen::VectorXf>(x, n_in);
  }

  static float dot(const float* a, const float* b, int n) noexcept {
    return Eigen::Map<const Eigen::VectorXf>(a, n).dot(Eigen::Map<const Eigen::VectorXf>(b, n));
  }

  static void matmul_add(float* y, int y_stride, const float* w, int stride, int rows, const float* x,
                         int x_stride, int n_in, int frames) noexcept {
    const int depth = std::max(kPadFloats, kMaxPackedFloats / std::max(rows, 1));
    for (int first_input = 0; first_input < n_in; first_input += depth) {
      const int inputs = std::min(depth, n_in - first_input);
      const Matrix weights(w + static_cast<std::ptrdiff_t>(first_input) * stride, rows, inputs,
                           Eigen::OuterStride<>(stride));
      for (int first = 0; first < frames; first += kFramesPerProduct) {
        const int count = std::min(kFramesPerProduct, frames - first);
        Output(y + static_cast<std::ptrdiff_t>(first) * y_stride, rows, count, Eigen::OuterStride<>(y_stride))
            .noalias() += weights * Input(x + static_cast<std::ptrdiff_t>(first) * x_stride + first_input, inputs,
                                          count, Eigen::OuterStride<>(x_stride));
      }
    }
  }

  static void affine(float* y, const float* x, const float* scale, const float* shift, int n) noexcept {
    Array(y, n) = ConstArray(x, n) * ConstArray(scale, n) + ConstArray(shift, n);
  }

  static void tanh(float* y, const float* x, int n) noexcept { Array(y, n) = ConstArray(x, n).tanh(); }
  static void sigmoid(float* y, const float* x, int n) noexcept { Array(y, n) = ConstArray(x, n).logistic(); }
  static void relu(float* y, const float* x, int n) noexcept { Array(y, n) = ConstArray(x, n).max(0.0f); }
  static void elu(float* y, const float* x, int n, float alpha) noexcept {
    const ConstArray in(x, n);
    Array(y, n) = (in > 0.0f).select(in, alpha * in.expm1());
  }
  static void leaky_relu(float* y, const float* x, int n, float slope) noexcept {
    const ConstArray in(x, n);
    Array(y, n) = (in > 0.0f).select(in, slope * in);
  }
  static void prelu(float* y, const float* x, const float* slopes, int n) noexcept {
    const ConstArray in(x, n);
    Array(y, n) = (in > 0.0f).select(in, ConstArray(slopes, n) * in);
  }
  static void hard_tanh(float* y, const float* x, int n) noexcept {
    Array(y, n) = ConstArray(x, n).max(-1.0f).min(1.0f);
  }
  static void leaky_hard_tanh(float* y, const float* x, int n, float min_val, float max_val, float min_slope,
                              float max_slope) noexcept {
    const ConstArray in(x, n);
    Array(y, n) = (in < min_val)
                      .select((in - min_val) * min_slope + min_val,
                              (in > max_val).select((in - max_val) * max_slope + max_val, in));
  }
  static void silu(float* y, const float* x, int n) noexcept {
    const ConstArray in(x, n);
    Array(y, n) = in / (1.0f + (-in).exp());
  }
  static void hardswish(float* y, const float* x, int n) noexcept {
    const ConstArray in(x, n);
    Array(y, n) = in * (in + 3.0f).max(0.0f).min(6.0f) * (1.0f / 6.0f);
  }
  static void softsign(float* y, const float* x, int n) noexcept {
    const ConstArray in(x, n);
    Array(y, n) = in / (1.0f + in.abs());
  }
  static void softmax(float* y, const float* x, int n) noexcept {
    const float largest = ConstArray(x, n).maxCoeff();
    Array out(y, n);
    out = (ConstArray(x, n) - largest).exp();
    out *= 1.0f / out.sum();
  }
};

}  // namespace rtn
