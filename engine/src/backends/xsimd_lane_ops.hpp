#pragma once
// Products over signals laid out with time in the SIMD lanes: a signal of R channels over a chunk of frames is
// R rows, each channel's frames contiguous (channel-major), where the rest of rtn keeps a frame's channels
// together (frame-major). A layer with few channels fills a register with frames, not with padding: Neural Amp
// Modeler's narrow WaveNets (3, 4, 8 channels) use a quarter to a half of an AVX-512 register frame-major, every
// lane channel-major. Weights are broadcast, one per multiply-add, and each input row loaded feeds several
// output rows.
#include <algorithm>
#include <cstddef>
#include <xsimd/xsimd.hpp>

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
  // A tile of Rows output rows by Batches batches of frames: its accumulators, one batch per input row and a
  // broadcast weight fit in the registers, and each input batch loaded feeds Rows FMAs. With 32 registers,
  // 4 x 4 (four rows, not the five that would fit: the widths of the networks, 8 and 16, are multiples).
  // With AVX2's 16, 2 x 4, and 4 x 3 for products of 8 rows or more: its 12 accumulators hide the latency of
  // the FMAs that the 8 of 2 x 4 just cover (on a Zen 4 limited to AVX2, NAM's standard WaveNet 2% and A2 4%
  // faster), where narrower products lose to its partial tiles (nano 10% slower with 4 x 3 throughout).
  static constexpr int kTileRows = kRegisters == 32 ? 4 : 2;
  static constexpr int kTileBatches = 4;
  static constexpr int kTallTileRows = 4;
  static constexpr int kTallTileBatches = 3;

  // The frames a product computes for `frames` frames: whole batches (rows must have room for them).
  static constexpr int rounded_frames(int frames) noexcept { return (frames + kWidth - 1) / kWidth * kWidth; }

  // y[o][t] = (addend ? addend[o][t] : 0) + (bias ? bias[o] : 0) + sum over j of w[j * w_stride + o] *
  // x[j][t] for o < rows and t < rounded_frames(frames): output row o at y + o * y_stride, the addend's at
  // addend + o * addend_stride (it may be y), input row j at x[j] (any alignment), weights column by column
  // (the `rows` weights of input j together). Each output sums its inputs in order j = 0, 1, ...
  // Inlined into its callers with its tiles: the narrow networks make many small products, and calls cost
  // them (nano 7%); the tall tiles, for wide products only, stay out of line.
  // NOLINTNEXTLINE(readability-non-const-parameter): written through Tile::y
  [[gnu::always_inline]] static void product(float* y, std::ptrdiff_t y_stride, const float* w, int w_stride,
                                             const float* bias, const float* const* x, int inputs, int rows,
                                             int frames, const float* addend = nullptr,
                                             std::ptrdiff_t addend_stride = 0) noexcept {
    const Tile whole{y, y_stride, w, w_stride, bias, x, 0, inputs, addend, addend_stride};
    const int batches = rounded_frames(frames) / kWidth;
    if constexpr (kRegisters == 16) {
      if (rows >= 8) {
        in_tall_tiles(whole, rows, batches);
        return;
      }
    }
    in_tiles<kTileRows, kTileBatches>(whole, rows, batches);
  }

 private:
  // Where a product's (or a tile's) outputs, weights, inputs and addend start.
  struct Tile {
    float* y;
    std::ptrdiff_t y_stride;
    const float* w;
    int w_stride;
    const float* bias;
    const float* const* x;
    int first;  // the first frame in the input rows
    int inputs;
    const float* addend;
    std::ptrdiff_t addend_stride;

    // The tile from output row o and batch b on.
    Tile at(int o, int b) const noexcept {
      return {y + o * y_stride + b * kWidth,
              y_stride,
              w + o,
              w_stride,
              bias ? bias + o : nullptr,
              x,
              b * kWidth,
              inputs,
              addend ? addend + o * addend_stride + b * kWidth : nullptr,
              addend_stride};
    }
  };

  [[gnu::noinline]] static void in_tall_tiles(const Tile& whole, int rows, int batches) noexcept {
    in_tiles<kTallTileRows, kTallTileBatches>(whole, rows, batches);
  }

  template <int Rows, int Batches>
  [[gnu::always_inline]] static void in_tiles(const Tile& whole, int rows, int batches) noexcept {
    for (int o = 0; o < rows; o += Rows) {
      const int tile_rows = rows - o < Rows ? rows - o : Rows;
      for (int b = 0; b < batches; b += Batches) {
        const int tile_batches = batches - b < Batches ? batches - b : Batches;
        const Tile tile = whole.at(o, b);
        if (tile.addend) {
          tile_of<true, Rows, Batches>(tile_rows, tile_batches, tile);
        } else {
          tile_of<false, Rows, Batches>(tile_rows, tile_batches, tile);
        }
      }
    }
  }

  // The tile of `rows` (<= Rows) rows and `batches` (<= Batches) batches, each count compiled.
  template <bool Add, int Rows, int Batches>
  static void tile_of(int rows, int batches, const Tile& t) noexcept {
    if constexpr (Rows > 1) {
      if (rows < Rows) {
        tile_of<Add, Rows - 1, Batches>(rows, batches, t);
        return;
      }
    }
    switch (batches) {
      case 1:
        tile<Add, Rows, 1>(t);
        break;
      case 2:
        tile<Add, Rows, std::min(Batches, 2)>(t);
        break;
      case 3:
        tile<Add, Rows, std::min(Batches, 3)>(t);
        break;
      default:
        tile<Add, Rows, Batches>(t);
        break;
    }
  }

  template <bool Add, int Rows, int Batches>
  static void tile(const Tile& t) noexcept {
    // (The loops over the accumulators unrolled by demand: GCC 12 otherwise kept them on the stack outside
    // the loop over inputs, stored and reloaded around it.)
    Batch sum[Rows][Batches];
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r) {
      const Batch start(t.bias ? t.bias[r] : 0.0f);
#pragma GCC unroll 8
      for (int b = 0; b < Batches; ++b) {
        sum[r][b] = Add ? Batch::load_unaligned(t.addend + r * t.addend_stride + b * kWidth) + start : start;
      }
    }
    const float* w = t.w;
    for (int j = 0; j < t.inputs; ++j, w += t.w_stride) {
      const float* row = t.x[j] + t.first;
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
      for (int b = 0; b < Batches; ++b) sum[r][b].store_unaligned(t.y + r * t.y_stride + b * kWidth);
    }
  }
};

}  // namespace RTN_ISA_NAMESPACE
}  // namespace rtn
