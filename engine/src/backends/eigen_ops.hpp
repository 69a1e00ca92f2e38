#pragma once
// The Eigen backend: matrix products through Eigen's GEMV/GEMM, activations through its vectorised
// array functions.
#include <Eigen/Core>
#include <algorithm>

#include "aligned_buffer.hpp"
#include "backends/isa_namespace.hpp"
#include "backends/scalar_spans.hpp"
#include "rtn/backend.hpp"

namespace rtn {
inline namespace RTN_ISA_NAMESPACE {  // one per instruction-set level: isa_namespace.hpp

// Spans of one value at a time (ScalarSpans).
struct EigenOps : ScalarSpans {
  static constexpr Backend backend = Backend::eigen;
  // No affine_block (xsimd_ops.hpp): layers fill their sums first.
  static constexpr bool kAffineBlock = false;

  // The values an activation computes: whole chunks (its map computes whole chunks anyway).
  static constexpr int activation_span(int n) noexcept { return padded_size(n); }

  using Matrix = Eigen::Map<const Eigen::MatrixXf, Eigen::Aligned64, Eigen::OuterStride<>>;
  using Output = Eigen::Map<Eigen::MatrixXf, Eigen::Aligned64, Eigen::OuterStride<>>;
  using Input = Eigen::Map<const Eigen::MatrixXf, Eigen::Unaligned, Eigen::OuterStride<>>;

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
    if (frames == 1) {  // a matrix-vector product, not a GEMM of one column
      matvec_add(y, w, stride, rows, x, n_in);
      return;
    }
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

  // sum over taps t of matmul_add(y, w + t * n_in * stride, taps_x[t]): a convolution's shifted products
  // over its history.
  static void conv_matmul_add(float* y, int y_stride, const float* w, int stride, int rows,
                              const float* const* taps_x, int x_stride, int n_in, int taps, int frames) noexcept {
    for (int t = 0; t < taps; ++t) {
      matmul_add(y, y_stride, w + static_cast<std::ptrdiff_t>(t) * n_in * stride, stride, rows, taps_x[t], x_stride,
                 n_in, frames);
    }
  }

  // Element-wise work goes through Eigen's vectorised functions a fixed-size aligned chunk at a time, the
  // last chunk padded: every element then takes the same (packet) code path whatever the buffer's
  // address and its place in the block. On a Map of any length Eigen would peel elements up to the first
  // aligned address and compute those with its scalar functions, so the output's bits would follow the
  // buffer's address.
  using Chunk = Eigen::Array<float, kPadFloats, 1>;

  // y[i] = op(x[i], a[i], b[i]) for the chunks of the given arrays (a and b may be null when op ignores them).
  template <typename Op>
  static void map(float* y, const float* x, const float* a, const float* b, int n, Op op) noexcept {
    Chunk in, first, second;
    first.setZero();
    second.setZero();
    for (int i = 0; i < n; i += kPadFloats) {
      const int count = std::min(kPadFloats, n - i);
      if (count < kPadFloats) in.setZero();
      std::copy(x + i, x + i + count, in.data());
      if (a) std::copy(a + i, a + i + count, first.data());
      if (b) std::copy(b + i, b + i + count, second.data());
      const Chunk out = op(in, first, second);
      std::copy(out.data(), out.data() + count, y + i);
    }
  }
  template <typename Op>
  static void map(float* y, const float* x, int n, Op op) noexcept {
    map(y, x, nullptr, nullptr, n, [op](const Chunk& in, const Chunk&, const Chunk&) { return Chunk(op(in)); });
  }

  static void affine(float* y, const float* x, const float* scale, const float* shift, int n) noexcept {
    map(y, x, scale, shift, n, [](const Chunk& in, const Chunk& a, const Chunk& b) { return Chunk(in * a + b); });
  }

  // y[i] = max(a[i], b[i]) and y[i] = a[i] + b[i] (pooling); y may be a or b.
  static void maximum(float* y, const float* a, const float* b, int n) noexcept {
    map(y, a, b, nullptr, n, [](const Chunk& in, const Chunk& other, const Chunk&) { return Chunk(in.max(other)); });
  }
  static void add(float* y, const float* a, const float* b, int n) noexcept {
    map(y, a, b, nullptr, n, [](const Chunk& in, const Chunk& other, const Chunk&) { return Chunk(in + other); });
  }

  static void tanh(float* y, const float* x, int n) noexcept {
    map(y, x, n, [](const Chunk& in) { return in.tanh(); });
  }
  static void sigmoid(float* y, const float* x, int n) noexcept {
    map(y, x, n, [](const Chunk& in) { return in.logistic(); });
  }
  static void relu(float* y, const float* x, int n) noexcept {
    map(y, x, n, [](const Chunk& in) { return in.max(0.0f); });
  }
  static void elu(float* y, const float* x, int n, float alpha) noexcept {
    map(y, x, n, [alpha](const Chunk& in) { return (in > 0.0f).select(in, alpha * in.expm1()); });
  }
  static void leaky_relu(float* y, const float* x, int n, float slope) noexcept {
    map(y, x, n, [slope](const Chunk& in) { return (in > 0.0f).select(in, slope * in); });
  }
  static void prelu(float* y, const float* x, const float* slopes, int n) noexcept {
    map(y, x, slopes, nullptr, n,
        [](const Chunk& in, const Chunk& a, const Chunk&) { return Chunk((in > 0.0f).select(in, a * in)); });
  }
  static void hard_tanh(float* y, const float* x, int n) noexcept {
    map(y, x, n, [](const Chunk& in) { return in.max(-1.0f).min(1.0f); });
  }
  static void leaky_hard_tanh(float* y, const float* x, int n, float min_val, float max_val, float min_slope,
                              float max_slope) noexcept {
    map(y, x, n, [=](const Chunk& in) {
      return (in < min_val)
          .select((in - min_val) * min_slope + min_val, (in > max_val).select((in - max_val) * max_slope + max_val, in));
    });
  }
  static void silu(float* y, const float* x, int n) noexcept {
    map(y, x, n, [](const Chunk& in) { return in / (1.0f + (-in).exp()); });
  }
  static void hardswish(float* y, const float* x, int n) noexcept {
    map(y, x, n, [](const Chunk& in) { return in * (in + 3.0f).max(0.0f).min(6.0f) * (1.0f / 6.0f); });
  }
  static void softsign(float* y, const float* x, int n) noexcept {
    map(y, x, n, [](const Chunk& in) { return in / (1.0f + in.abs()); });
  }
  // The maximum is exact in any order; the sum is taken in index order, so the bits never depend on
  // where the frame lies.
  static void softmax(float* y, const float* x, int n) noexcept {
    float largest = x[0];
    for (int i = 1; i < n; ++i) largest = std::max(largest, x[i]);
    map(y, x, n, [largest](const Chunk& in) { return (in - largest).exp(); });
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) sum += y[i];
    const float scale = 1.0f / sum;
    for (int i = 0; i < n; ++i) y[i] *= scale;
  }
};

}  // inline namespace RTN_ISA_NAMESPACE
}  // namespace rtn
