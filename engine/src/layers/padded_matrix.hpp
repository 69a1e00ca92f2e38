#pragma once
// Weight layouts shared by the layers: matrices stored column by column (one column per input), each
// column zero-padded to whole SIMD registers, so a matrix-vector product is a sum of aligned
// column * scalar updates with no tail handling.
#include <cstring>

#include "aligned_buffer.hpp"

namespace rtn {

struct PaddedMatrix {
  int rows = 0;     // outputs
  int columns = 0;  // inputs
  int stride = 0;   // rows rounded up to whole registers: the distance between columns
  AlignedFloats values;  // columns x stride

  const float* data() const noexcept { return values.data(); }
};

// From PyTorch's layout: a row-major [rows][columns] array (Linear.weight, RNN weight_ih/weight_hh).
// `row_stride` is the distance between rows in the source (columns when the array is dense).
PaddedMatrix padded_matrix_from_rows(const float* source, int rows, int columns, int row_stride);
inline PaddedMatrix padded_matrix_from_rows(const float* source, int rows, int columns) {
  return padded_matrix_from_rows(source, rows, columns, columns);
}

// n values zero-padded to padded_size(n); all zeros when source is nullptr.
AlignedFloats padded_vector(const float* source, int n);

// y[0 .. n) = x[0 .. n) for the few floats of one frame: copies of fixed sizes, each a register move or
// two, where a loop would become a call to memmove (compilers recognise copy loops).
inline void copy_floats(float* y, const float* x, int n) noexcept {
  for (; n >= 16; n -= 16, x += 16, y += 16) std::memcpy(y, x, 16 * sizeof(float));
  if (n >= 8) std::memcpy(y, x, 8 * sizeof(float)), n -= 8, x += 8, y += 8;
  if (n >= 4) std::memcpy(y, x, 4 * sizeof(float)), n -= 4, x += 4, y += 4;
  if (n >= 2) std::memcpy(y, x, 2 * sizeof(float)), n -= 2, x += 2, y += 2;
  if (n >= 1) *y = *x;
}

// Starts each of `frames` accumulators (stride apart) at `initial` (stride floats). Inline, as copy_frames:
// per-sample processing calls them once per layer and sample, for a frame or two of floats.
inline void fill_frames(float* frames_out, int stride, const float* initial, int frames) noexcept {
  for (int f = 0; f < frames; ++f) copy_floats(frames_out + static_cast<std::ptrdiff_t>(f) * stride, initial, stride);
}
// Copies the first `channels` values of each padded frame to a dense interleaved output.
inline void copy_frames(float* out, int channels, const float* padded, int stride, int frames) noexcept {
  for (int f = 0; f < frames; ++f) {
    copy_floats(out + static_cast<std::ptrdiff_t>(f) * channels, padded + static_cast<std::ptrdiff_t>(f) * stride,
                channels);
  }
}

}  // namespace rtn
