#pragma once
// Products over signals laid out with time in the SIMD lanes: a signal of R channels over a chunk of frames is
// R rows, each channel's frames contiguous (channel-major), where the rest of rtn keeps a frame's channels
// together (frame-major). A layer with few channels fills a register with frames, not with padding: Neural Amp
// Modeler's narrow WaveNets (3, 4, 8 channels) use a quarter to a half of an AVX-512 register frame-major, every
// lane channel-major. Weights are broadcast, one per multiply-add, and each input row loaded feeds several
// output rows.
#include <xsimd/xsimd.hpp>

#include <cstddef>

#include "backends/isa_namespace.hpp"

namespace rtn {
inline namespace RTN_ISA_NAMESPACE {  // one per instruction-set level: isa_namespace.hpp

struct XsimdLaneOps {
  using Batch = xsimd::batch<float>;
  static constexpr int kWidth = static_cast<int>(Batch::size);
#if XSIMD_WITH_AVX512F || XSIMD_WITH_NEON64
  static constexpr int kRegisters = 32;
#else
  static constexpr int kRegisters = 16;
#endif
  // A tile of kTileRows output rows by kTileBatches batches of frames: its accumulators, one batch per input
  // row and a broadcast weight fit in the registers, and each input batch loaded feeds kTileRows FMAs. Four
  // rows, not the five that would fit, with 32 registers: the widths of the networks (8, 16) are multiples.
  static constexpr int kTileBatches = 4;
  static constexpr int kTileRows = kRegisters == 32 ? 4 : 2;

  // The frames a product computes for `frames` frames: whole batches (rows must have room for them).
  static constexpr int rounded_frames(int frames) noexcept { return (frames + kWidth - 1) / kWidth * kWidth; }

  // y[o][t] = (accumulate ? y[o][t] : 0) + (bias ? bias[o] : 0) + sum over j of w[j * w_stride + o] * x[j][t]
  // for o < rows and t < rounded_frames(frames): output row o at y + o * y_stride, input row j at x[j] (any
  // alignment), weights column by column (the `rows` weights of input j together). Each output sums its
  // inputs in order j = 0, 1, ...
  template <bool Accumulate>
  static void product(float* y, std::ptrdiff_t y_stride, const float* w, int w_stride, const float* bias,
                      const float* const* x, int inputs, int rows, int frames) noexcept {
    const int batches = rounded_frames(frames) / kWidth;
    for (int o = 0; o < rows; o += kTileRows) {
      const int tile_rows = rows - o < kTileRows ? rows - o : kTileRows;
      for (int b = 0; b < batches; b += kTileBatches) {
        const int tile_batches = batches - b < kTileBatches ? batches - b : kTileBatches;
        tile_of<Accumulate, kTileRows>(tile_rows, tile_batches, y + o * y_stride + b * kWidth, y_stride, w + o,
                                       w_stride, bias ? bias + o : nullptr, x, b * kWidth, inputs);
      }
    }
  }

 private:
  // The tile of `rows` (<= Rows) rows and `batches` (<= kTileBatches) batches, each count compiled.
  template <bool Accumulate, int Rows>
  static void tile_of(int rows, int batches, float* y, std::ptrdiff_t y_stride, const float* w, int w_stride,
                      const float* bias, const float* const* x, int first, int inputs) noexcept {
    if constexpr (Rows > 1) {
      if (rows < Rows) {
        tile_of<Accumulate, Rows - 1>(rows, batches, y, y_stride, w, w_stride, bias, x, first, inputs);
        return;
      }
    }
    switch (batches) {
      case 1: tile<Accumulate, Rows, 1>(y, y_stride, w, w_stride, bias, x, first, inputs); break;
      case 2: tile<Accumulate, Rows, 2>(y, y_stride, w, w_stride, bias, x, first, inputs); break;
      case 3: tile<Accumulate, Rows, 3>(y, y_stride, w, w_stride, bias, x, first, inputs); break;
      default: tile<Accumulate, Rows, 4>(y, y_stride, w, w_stride, bias, x, first, inputs); break;
    }
  }

  template <bool Accumulate, int Rows, int Batches>
  static void tile(float* y, std::ptrdiff_t y_stride, const float* w, int w_stride, const float* bias,
                   const float* const* x, int first, int inputs) noexcept {
    static_assert(Batches <= kTileBatches, "a tile's batches");
    // (The loops over the accumulators unrolled by demand: GCC 12 otherwise kept them on the stack outside
    // the loop over inputs, stored and reloaded around it.)
    Batch sum[Rows][Batches];
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      const Batch start(bias ? bias[r] : 0.0f);
#pragma GCC unroll 8
      for (int b = 0; b < Batches; ++b) {
        sum[r][b] = Accumulate ? Batch::load_unaligned(y + r * y_stride + b * kWidth) + start : start;
      }
    }
    for (int j = 0; j < inputs; ++j, w += w_stride) {
      const float* row = x[j] + first;
      Batch input[Batches];
      for (int b = 0; b < Batches; ++b) input[b] = Batch::load_unaligned(row + b * kWidth);
      for (int r = 0; r < Rows; ++r) {
        const Batch weight(w[r]);
        for (int b = 0; b < Batches; ++b) sum[r][b] = xsimd::fma(weight, input[b], sum[r][b]);
      }
    }
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
#pragma GCC unroll 8
      for (int b = 0; b < Batches; ++b) sum[r][b].store_unaligned(y + r * y_stride + b * kWidth);
    }
  }
};

}  // namespace RTN_ISA_NAMESPACE
}  // namespace rtn
