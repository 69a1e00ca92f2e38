#pragma once
// The pieces a WaveNet layer computes with, besides its dilated convolution (a CausalConv): 1x1 convolutions,
// activations and FiLM. Their layouts are built once (wavenet.cpp); their arithmetic is written once over the
// backend's ops.
//
// Signals inside the WaveNet kernel are blocks of frames: frame f of a signal with `stride` floats per frame
// starts at f * stride, its channels first; strides are whole registers (padded_size), so every frame is
// 64-byte aligned as the matrix products want their outputs.
#include <cstddef>
#include <string>

#include "aligned_buffer.hpp"
#include "layers/padded_matrix.hpp"
#include "rtn/wavenet_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn {

// Whether the kernel with time in the SIMD lanes (wavenet_lanes.hpp, xsimd.lanes) computes `spec`: no
// condition network, FiLM, grouped convolution, head1x1 or post-stack head, a layer1x1, element-wise
// activations (wavenet.cpp).
bool supports_lanes(const WaveNetSpec& spec) noexcept;

// A 1x1 convolution, y = W x (+ b). Groups are folded into one block-diagonal matrix: the WaveNet's grouped
// 1x1s are small and few, and one product per frame beats one per group there.
struct Pointwise {
  PaddedMatrix matrix;  // outputs x inputs
  AlignedFloats bias;   // padded to matrix.stride; zeros without a bias
  bool has_bias = false;
};

// From weights[name + ".weight"] ([out][in/groups][1], PyTorch's Conv1d layout) and, when `bias`,
// weights[name + ".bias"]. Allocates.
Pointwise pointwise(const Weights& weights, const std::string& name, int in, int out, int groups, bool bias);

// A conv1d's "weight" and "bias" taken out of the WaveNet's weights, to build a CausalConv. Allocates.
Weights conv_weights(const Weights& weights, const std::string& name, bool bias);

// An activation with what it needs at run time: PReLU's slopes, one per channel (padded).
struct ActivationFunction {
  WaveNetActivation spec;
  AlignedFloats slopes;
  // Whether applying it to a whole block at once is the same as applying it frame by frame.
  bool element_wise() const noexcept { return spec.type != WaveNetActivation::Type::prelu; }
};
// `channels`: the width it is applied to (PReLU's slopes). Allocates.
ActivationFunction activation_function(const WaveNetActivation& spec, int channels);

// FiLM: y = x * scale + shift, [scale; shift] = projection(condition).
struct Film {
  bool active = false;
  bool shift = true;
  int width = 0;         // channels modulated
  Pointwise projection;  // condition -> (shift ? 2 : 1) * width
  AlignedFloats zeros;   // the shift when there is none
};
// From weights[name + ".weight"/".bias"] when `spec` is active; an inactive Film otherwise. Allocates.
Film film(const Weights& weights, const std::string& name, const WaveNetFilm& spec, int condition_size,
          int width);

// Starts `frames` frames of y at `values` (its first `count` floats; the rest of each frame untouched).
inline void set_frames(float* y, int y_stride, const float* values, int count, int frames) noexcept {
  for (int f = 0; f < frames; ++f) {
    float* frame = y + static_cast<std::ptrdiff_t>(f) * y_stride;
    for (int i = 0; i < count; ++i) frame[i] = values[i];
  }
}

// A gated or blended layer's activation, a = f(z top) combined with s = g(z bottom), over n floats in place
// of `activated`: blending, s * activated + (1 - s) * before (as Neural Amp Modeler writes it; `before` is the
// top before its activation); gating (before == nullptr), activated * s.
inline void gate_or_blend(float* __restrict activated, const float* __restrict s, const float* __restrict before,
                          int n) noexcept {
  if (before) {
    for (int i = 0; i < n; ++i) activated[i] = s[i] * activated[i] + (1.0f - s[i]) * before[i];
  } else {
    for (int i = 0; i < n; ++i) activated[i] *= s[i];
  }
}

// y += x over the first `count` channels of `frames` frames.
inline void add_frames(float* y, int y_stride, const float* x, int x_stride, int count, int frames) noexcept {
  for (int f = 0; f < frames; ++f) {
    float* target = y + static_cast<std::ptrdiff_t>(f) * y_stride;
    const float* source = x + static_cast<std::ptrdiff_t>(f) * x_stride;
    for (int i = 0; i < count; ++i) target[i] += source[i];
  }
}

// y (rows padded to the matrix stride) += W x for `frames` frames.
template <typename Ops>
void pointwise_product(const Pointwise& conv, float* y, int y_stride, const float* x, int x_stride,
                       int frames) noexcept {
  const PaddedMatrix& m = conv.matrix;
  if (m.columns == 1) {
    // One input (the usual condition: a mono signal): a scaled column per frame, cheaper than a product call.
    const float* column = m.data();
    for (int f = 0; f < frames; ++f) {
      float* frame = y + static_cast<std::ptrdiff_t>(f) * y_stride;
      const float value = x[static_cast<std::ptrdiff_t>(f) * x_stride];
      for (int r = 0; r < m.stride; ++r) frame[r] += column[r] * value;
    }
    return;
  }
  if (frames == 1) {
    Ops::matvec_add(y, m.data(), m.stride, m.stride, x, m.columns);
  } else {
    Ops::matmul_add(y, y_stride, m.data(), m.stride, m.stride, x, x_stride, m.columns, frames);
  }
}

// y = W x + b. y's stride must hold the matrix's padded rows.
template <typename Ops>
void pointwise_set(const Pointwise& conv, float* y, int y_stride, const float* x, int x_stride,
                   int frames) noexcept {
  const PaddedMatrix& m = conv.matrix;
  const float* __restrict bias = conv.bias.data();
  if (m.columns == 1) {
    // One input: bias plus a scaled column per frame, in one pass, a register's worth of floats at a time
    // (fixed trip counts, no aliasing checks: the compiler makes each a vector operation).
    const float* __restrict column = m.data();
    for (int f = 0; f < frames; ++f) {
      float* __restrict frame = y + static_cast<std::ptrdiff_t>(f) * y_stride;
      const float value = x[static_cast<std::ptrdiff_t>(f) * x_stride];
      for (int r0 = 0; r0 < m.stride; r0 += kPadFloats) {
        for (int r = r0; r < r0 + kPadFloats; ++r) frame[r] = bias[r] + column[r] * value;
      }
    }
    return;
  }
  set_frames(y, y_stride, bias, m.stride, frames);
  pointwise_product<Ops>(conv, y, y_stride, x, x_stride, frames);
}

// y += W x + b.
template <typename Ops>
void pointwise_add(const Pointwise& conv, float* y, int y_stride, const float* x, int x_stride,
                   int frames) noexcept {
  pointwise_product<Ops>(conv, y, y_stride, x, x_stride, frames);
  if (conv.has_bias) {
    for (int f = 0; f < frames; ++f) {
      float* frame = y + static_cast<std::ptrdiff_t>(f) * y_stride;
      for (int i = 0; i < conv.matrix.rows; ++i) frame[i] += conv.bias[i];
    }
  }
}

// y = f(x) over n floats (one frame's channels, for PReLU).
template <typename Ops>
void activate(const ActivationFunction& function, float* y, const float* x, int n) noexcept {
  const WaveNetActivation& a = function.spec;
  using Type = WaveNetActivation::Type;
  switch (a.type) {
    case Type::tanh:
      Ops::tanh(y, x, n);
      break;
    case Type::hard_tanh:
      Ops::hard_tanh(y, x, n);
      break;
    case Type::relu:
      Ops::relu(y, x, n);
      break;
    case Type::leaky_relu:
      Ops::leaky_relu(y, x, n, a.negative_slope);
      break;
    case Type::prelu:
      Ops::prelu(y, x, function.slopes.data(), n);
      break;
    case Type::sigmoid:
      Ops::sigmoid(y, x, n);
      break;
    case Type::silu:
      Ops::silu(y, x, n);
      break;
    case Type::hardswish:
      Ops::hardswish(y, x, n);
      break;
    case Type::leaky_hard_tanh:
      Ops::leaky_hard_tanh(y, x, n, a.min_val, a.max_val, a.min_slope, a.max_slope);
      break;
    case Type::softsign:
      Ops::softsign(y, x, n);
      break;
  }
}

// The activation in place on the first `channels` of `frames` frames `stride` apart. An element-wise one runs
// over the whole block, padding included, in one call: whole registers, no scalar tail per frame. So the
// padding of y must be scratch, as it is in the WaveNet's buffers (nothing reads past a frame's channels).
template <typename Ops>
void activate_frames(const ActivationFunction& function, float* y, int stride, int channels,
                     int frames) noexcept {
  if (function.element_wise()) {
    activate<Ops>(function, y, y, stride * frames);
    return;
  }
  for (int f = 0; f < frames; ++f) {
    float* frame = y + static_cast<std::ptrdiff_t>(f) * stride;
    activate<Ops>(function, frame, frame, channels);
  }
}

// y = x * scale + shift with [scale; shift] = projection(condition), over film.width channels; `params` is
// scratch of `frames` frames params_stride apart. y may be x.
template <typename Ops>
void apply_film(const Film& film, float* y, int y_stride, const float* x, int x_stride,
                const float* condition, int condition_stride, float* params, int params_stride,
                int frames) noexcept {
  pointwise_set<Ops>(film.projection, params, params_stride, condition, condition_stride, frames);
  for (int f = 0; f < frames; ++f) {
    const float* scale = params + static_cast<std::ptrdiff_t>(f) * params_stride;
    Ops::affine(y + static_cast<std::ptrdiff_t>(f) * y_stride, x + static_cast<std::ptrdiff_t>(f) * x_stride,
                scale, film.shift ? scale + film.width : film.zeros.data(), film.width);
  }
}

}  // namespace rtn
