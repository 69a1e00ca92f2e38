#pragma once
// The portable backend: plain C++17 loops, no dependency. The compiler may vectorise them; nothing
// here requires it, so this backend builds for any target, embedded ones included.
#include <algorithm>
#include <cmath>

#include "aligned_buffer.hpp"
#include "backends/isa_namespace.hpp"
#include "backends/scalar_spans.hpp"
#include "rtn/backend.hpp"

namespace rtn {
inline namespace RTN_ISA_NAMESPACE {  // one per instruction-set level: isa_namespace.hpp

// Spans of one value at a time (ScalarSpans).
struct StlOps : ScalarSpans {
  static constexpr Backend backend = Backend::stl;
  // No affine_block (xsimd_ops.hpp): layers fill their sums first.
  static constexpr bool kAffineBlock = false;

  // The values an activation computes: each value once (a padded value would cost a scalar call).
  static constexpr int activation_span(int n) noexcept { return n; }

  static void matvec_add(float* y, const float* w, int stride, int rows, const float* x, int n_in) noexcept {
    // A chunk of rows at a time, summed in a local array the compiler can keep in registers, rather than
    // reading and writing y once per input.
    for (int first = 0; first < rows; first += kPadFloats) {
      float sum[kPadFloats];
      for (int r = 0; r < kPadFloats; ++r) sum[r] = y[first + r];
      for (int j = 0; j < n_in; ++j) {
        const float xj = x[j];
        const float* column = w + static_cast<std::ptrdiff_t>(j) * stride + first;
        for (int r = 0; r < kPadFloats; ++r) sum[r] += column[r] * xj;
      }
      for (int r = 0; r < kPadFloats; ++r) y[first + r] = sum[r];
    }
  }

  // sum_i a[i] * b[i]
  static float dot(const float* a, const float* b, int n) noexcept {
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) sum += a[i] * b[i];
    return sum;
  }

  static void matmul_add(float* y, int y_stride, const float* w, int stride, int rows, const float* x,
                         int x_stride, int n_in, int frames) noexcept {
    for (int f = 0; f < frames; ++f) {
      matvec_add(y + static_cast<std::ptrdiff_t>(f) * y_stride, w, stride, rows,
                 x + static_cast<std::ptrdiff_t>(f) * x_stride, n_in);
    }
  }

  // sum over taps t of matmul_add(y, w + t * n_in * stride, taps_x[t]): a convolution's shifted products
  // over its history. Frame by frame as matvec_add, the sums kept local across the taps.
  static void conv_matmul_add(float* y, int y_stride, const float* w, int stride, int rows,
                              const float* const* taps_x, int x_stride, int n_in, int taps, int frames) noexcept {
    for (int f = 0; f < frames; ++f) {
      float* frame = y + static_cast<std::ptrdiff_t>(f) * y_stride;
      const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(f) * x_stride;
      for (int first = 0; first < rows; first += kPadFloats) {
        float sum[kPadFloats];
        for (int r = 0; r < kPadFloats; ++r) sum[r] = frame[first + r];
        const float* matrix = w + first;
        for (int t = 0; t < taps; ++t) {
          const float* x = taps_x[t] + offset;
          for (int j = 0; j < n_in; ++j, matrix += stride) {
            const float xj = x[j];
            for (int r = 0; r < kPadFloats; ++r) sum[r] += matrix[r] * xj;
          }
        }
        for (int r = 0; r < kPadFloats; ++r) frame[first + r] = sum[r];
      }
    }
  }

  // y[i] = x[i] * scale[i] + shift[i]
  static void affine(float* y, const float* x, const float* scale, const float* shift, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = x[i] * scale[i] + shift[i];
  }

  // y[i] = max(a[i], b[i]) and y[i] = a[i] + b[i] (pooling); y may be a or b.
  static void maximum(float* y, const float* a, const float* b, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = std::max(a[i], b[i]);
  }
  static void add(float* y, const float* a, const float* b, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = a[i] + b[i];
  }

  static void tanh(float* y, const float* x, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
  }
  static void sigmoid(float* y, const float* x, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
  }
  static void relu(float* y, const float* x, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = std::max(x[i], 0.0f);
  }
  static void elu(float* y, const float* x, int n, float alpha) noexcept {
    for (int i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : alpha * std::expm1(x[i]);
  }
  static void leaky_relu(float* y, const float* x, int n, float slope) noexcept {
    for (int i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
  }
  static void prelu(float* y, const float* x, const float* slopes, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : slopes[i] * x[i];
  }
  // min(max(x, -1), 1) (PyTorch Hardtanh).
  static void hard_tanh(float* y, const float* x, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], -1.0f), 1.0f);
  }
  // x inside [min_val, max_val]; outside, lines of slope min_slope / max_slope through the edges
  // (Neural Amp Modeler's LeakyHardtanh).
  static void leaky_hard_tanh(float* y, const float* x, int n, float min_val, float max_val, float min_slope,
                              float max_slope) noexcept {
    for (int i = 0; i < n; ++i) {
      const float v = x[i];
      y[i] = v < min_val   ? (v - min_val) * min_slope + min_val
             : v > max_val ? (v - max_val) * max_slope + max_val
                           : v;
    }
  }
  // x * sigmoid(x) (PyTorch SiLU).
  static void silu(float* y, const float* x, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i]));
  }
  // x * min(max(x + 3, 0), 6) / 6 (PyTorch Hardswish).
  static void hardswish(float* y, const float* x, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = x[i] * std::min(std::max(x[i] + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f);
  }
  // x / (1 + |x|) (PyTorch Softsign).
  static void softsign(float* y, const float* x, int n) noexcept {
    for (int i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::fabs(x[i]));
  }
  static void softmax(float* y, const float* x, int n) noexcept {
    float largest = x[0];
    for (int i = 1; i < n; ++i) largest = std::max(largest, x[i]);
    float sum = 0.0f;
    for (int i = 0; i < n; ++i) sum += (y[i] = std::exp(x[i] - largest));
    const float scale = 1.0f / sum;
    for (int i = 0; i < n; ++i) y[i] *= scale;
  }
};

}  // inline namespace RTN_ISA_NAMESPACE
}  // namespace rtn
