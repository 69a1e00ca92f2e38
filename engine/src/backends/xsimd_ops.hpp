#pragma once
// The xsimd backend: hand-vectorised with xsimd's batches for the widest instruction set the translation unit
// is compiled for: the build's own target (AVX-512 with -march=native on a recent x86; NEON on ARM64), or
// each ISA level of RTN_ISA_LEVELS in turn (SSE4.2, AVX2 + FMA, AVX-512: docs/isa-levels.md).
#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <type_traits>

#include "aligned_buffer.hpp"
#include "backends/isa_namespace.hpp"
#include "backends/fast_math.hpp"
#include "backends/stl_ops.hpp"
#include "layers/sizes.hpp"
#include "rtn/backend.hpp"

namespace rtn {
inline namespace RTN_ISA_NAMESPACE {  // one per instruction-set level: isa_namespace.hpp

struct XsimdOps {
  static constexpr Backend backend = Backend::xsimd;
  using Batch = xsimd::batch<float>;
  static constexpr int kWidth = static_cast<int>(Batch::size);
  static_assert(kPadFloats % kWidth == 0, "padded rows must hold whole batches");

  // Keeps `batch` in a register as the operand of the instructions that follow (an empty asm statement
  // that claims to change it). A weight batch that feeds several FMAs is otherwise folded by GCC into each
  // of them as a memory operand: loaded again for every FMA, which on AMD Zen 4 (one 512-bit load per
  // cycle, one 512-bit FMA) makes a block product wait on the loads (docs/backends.md).
  static void in_register(Batch& batch) noexcept {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__))
    Batch::register_type value = batch;
#if defined(__aarch64__)
    asm("" : "+w"(value));  // a NEON register
#else
    asm("" : "+v"(value));  // an SSE/AVX register
#endif
    batch = value;
#else
    (void)batch;
#endif
  }

  // sum[0][r] += sum[1][r] + ... + sum[Partials - 1][r] (batches or floats), as a tree (pairs, then pairs of pairs), each level a template
  // of its own: with the levels in a run-time loop, GCC kept the sums in memory (a store-forwarding stall
  // per addition). The loops over the partial sums are unrolled by demand (here, in matvec_rows and in
  // matmul_tile): GCC 12 left the larger ones (eight AVX-512 sums) as loops, so the sums lived on the stack,
  // stored and reloaded around every product.
  template <int Step = 1, typename V, int Partials, int Rows>
  static void add_partials(V (&sum)[Partials][Rows]) noexcept {
    if constexpr (Step < Partials) {
#pragma GCC unroll 16
      for (int p = 0; p + Step < Partials; p += 2 * Step) {
        for (int r = 0; r < Rows; ++r) sum[p][r] = sum[p][r] + sum[p + Step][r];
      }
      add_partials<2 * Step>(sum);
    }
  }

  // y[0 .. Rows batches) += sum over taps t of w_t * taps_x[t], w_t = w + t * n_in * stride: one frame's
  // matrix-vector product (taps == 1) or a convolution's over its taps, the sums kept in registers over all
  // columns. An FMA's result is ready only some cycles later, so each row batch also keeps `Partials`
  // independent partial sums over interleaved columns, added at the end as a tree: Rows * Partials chains
  // keep the FMA units busy. Stride, Inputs and the taps' count are ints, or Size<N> constants for the
  // fixed-size kernels (every trip count known). The sums start at `initial` (y itself when it is 0) and are
  // stored to y, which need not be aligned.
  template <int Rows, int Partials, typename Stride, typename Taps, typename Inputs, typename TapCount>
  static void matvec_rows(float* y, const float* w, Stride stride, Taps taps_x, Inputs n_in, TapCount taps,
                          const float* initial = nullptr) noexcept {
    Batch sum[Partials][Rows];
    if (initial == nullptr) initial = y;
#pragma GCC unroll 16
    for (int r = 0; r < Rows; ++r) sum[0][r] = Batch::load_unaligned(initial + r * kWidth);
    for (int p = 1; p < Partials; ++p) {
      for (int r = 0; r < Rows; ++r) sum[p][r] = Batch(0.0f);
    }
    for (int t = 0; t < taps; ++t, w += static_cast<std::ptrdiff_t>(n_in) * stride) {
      const float* x = taps_x[t];
      int j = 0;
      for (; j + Partials <= n_in; j += Partials) {
        for (int p = 0; p < Partials; ++p) {
          const Batch xj(x[j + p]);
          const float* column = w + static_cast<std::ptrdiff_t>(j + p) * stride;
#pragma GCC unroll 16
          for (int r = 0; r < Rows; ++r) sum[p][r] = xsimd::fma(Batch::load_aligned(column + r * kWidth), xj, sum[p][r]);
        }
      }
      const int left = n_in - j;  // fewer than Partials
#pragma GCC unroll 16
      for (int p = 0; p + 1 < Partials; ++p) {
        if (p >= left) break;
        const Batch xj(x[j + p]);
        const float* column = w + static_cast<std::ptrdiff_t>(j + p) * stride;
#pragma GCC unroll 16
        for (int r = 0; r < Rows; ++r) sum[p][r] = xsimd::fma(Batch::load_aligned(column + r * kWidth), xj, sum[p][r]);
      }
    }
    add_partials(sum);
#pragma GCC unroll 16
    for (int r = 0; r < Rows; ++r) sum[0][r].store_unaligned(y + r * kWidth);
  }

  static void matvec_taps_add(float* y, const float* w, int stride, int rows, const float* const* taps_x,
                              int n_in, int taps, const float* initial = nullptr) noexcept {
    // Four row batches at a time, then the rest in one go; about eight chains in flight in each case.
    const auto pass = [&](auto batches, auto partials, int o) {
      matvec_rows<decltype(batches)::value, decltype(partials)::value>(
          y + o, w + o, stride, taps_x, n_in, taps, initial == nullptr ? nullptr : initial + o);
    };
    int o = 0;
    for (; o + 4 * kWidth <= rows; o += 4 * kWidth) pass(Size<4>{}, Size<2>{}, o);
    switch ((rows - o) / kWidth) {
      case 3:
        pass(Size<3>{}, Size<3>{}, o);
        break;
      case 2:
        pass(Size<2>{}, Size<4>{}, o);
        break;
      case 1:
        pass(Size<1>{}, Size<8>{}, o);
        break;
      default: break;
    }
  }

  // The row batches of a fixed-size product's first pass (matvec_taps_add). Up to four with the partial
  // sums for eight chains; more in one pass where their sums fit in half the register file (the rest hold
  // weights and inputs) and keep the FMAs busy with one chain each: from five batches with AVX-512 (32
  // registers; on AMD Zen 4 a 512-bit FMA issues once a cycle, so five chains of four cycles suffice; a core
  // with two 512-bit FMA units wants eight, which matvec_taps_add's partial sums give a pass of fewer than
  // eight batches), at eight with AVX2 (16 registers, two FMAs a cycle: one pass of six batches made a GRU
  // 16 per sample 10% slower). Elsewhere (SSE, NEON: not measured) passes of four.
  static constexpr int pass_batches(int batches) {
    if (batches <= 4) return batches;
#if XSIMD_WITH_AVX512F
    return batches <= 16 ? batches : 16;
#elif XSIMD_WITH_AVX2
    return batches >= 8 ? 8 : 4;
#else
    return 4;
#endif
  }

  // The same with the sizes known at compile time (the fixed-size kernels): the row batches in passes
  // (pass_batches), with enough partial sums for at least eight chains (a core with two FMA units of four
  // cycles' latency needs eight in flight: on AMD Zen 5, passes of five to seven batches with one chain each
  // made an LSTM 20 or 24 per sample 10% slower than two chains each, a GRU 32 5%), but no more partial
  // sums than half the inputs, so that a small product is not mostly additions of partial sums. Every pass
  // loads each input once more, so a tall product (a recurrent layer's gates: an LSTM 40's 160 rows are ten
  // AVX-512 batches) takes as few passes as the registers allow: on AMD Zen 4, passes of four batches made an
  // LSTM 40 per sample 8% slower and a GRU 32 10%. The sums start at `initial` (y itself when it is 0), as in
  // matvec_rows.
  template <int Stride, int Rows, int Inputs, typename Taps, typename TapCount>
  static void matvec_taps_add(float* y, const float* w, Size<Stride> stride, Size<Rows>, Taps taps_x,
                              Size<Inputs> n_in, TapCount taps, const float* initial = nullptr) noexcept {
    constexpr int kBatches = Rows / kWidth;
    static_assert(Rows % kWidth == 0, "fixed-size rows are padded to whole batches");
    constexpr int kPass = pass_batches(kBatches);
    constexpr int kChains = kPass >= 8 ? 1 : (8 + kPass - 1) / kPass;
    constexpr int kPartials = kChains < Inputs / 2 ? kChains : (Inputs / 2 > 0 ? Inputs / 2 : 1);
    matvec_rows<kPass, kPartials>(y, w, stride, taps_x, n_in, taps, initial);
    if constexpr (kBatches > kPass) {
      matvec_taps_add(y + kPass * kWidth, w + kPass * kWidth, stride, Size<Rows - kPass * kWidth>{}, taps_x,
                      n_in, taps, initial == nullptr ? nullptr : initial + kPass * kWidth);
    }
  }

  // y[0 .. Rows) += w * x, a fixed-size matrix-vector product over weights packed pass by pass (pack_passes):
  // the rows of each of matvec_taps_add's passes, over every column, lie together, so that a pass reads its
  // weights as one sequential stream. Column-major, each pass of a tall matrix reads a few cache lines of
  // every column, a column's stride apart, and where the weights spill out of L1 the loads wait on L2: on
  // AMD Zen 1, the two 256 x 64 products of an LSTM 64 step took 3,185 ns column-major in a standalone
  // loop, 2,250 ns packed. One pass (a matrix of up to pass_batches rows) is the same layout either way.
  template <int Rows, int Inputs>
  static void matvec_packed_add(float* y, const float* packed, Size<Rows>, const float* x,
                                Size<Inputs>) noexcept {
    constexpr int kPassRows = pass_batches(Rows / kWidth) * kWidth;
    matvec_taps_add(y, packed, Size<kPassRows>{}, Size<kPassRows>{}, &x, Size<Inputs>{}, Size<1>{});
    if constexpr (Rows > kPassRows) {
      matvec_packed_add(y + kPassRows, packed + kPassRows * Inputs, Size<Rows - kPassRows>{}, x,
                        Size<Inputs>{});
    }
  }

  // The layout matvec_packed_add reads (Rows x Inputs floats) from a padded column-major matrix of Rows rows,
  // its columns `stride` apart: pass after pass, each pass's rows of column 0, of column 1, ...
  template <int Rows, int Inputs>
  static void pack_passes(float* packed, const float* matrix, int stride) noexcept {
    constexpr int kPassRows = pass_batches(Rows / kWidth) * kWidth;
    for (int j = 0; j < Inputs; ++j) {
      const float* column = matrix + static_cast<std::ptrdiff_t>(j) * stride;
      std::copy(column, column + kPassRows, packed + static_cast<std::ptrdiff_t>(j) * kPassRows);
    }
    if constexpr (Rows > kPassRows) {
      pack_passes<Rows - kPassRows, Inputs>(packed + kPassRows * Inputs, matrix + kPassRows, stride);
    }
  }

  // y += w * x for one frame.
  template <typename Stride, typename Rows, typename Inputs>
  static void matvec_add(float* y, const float* w, Stride stride, Rows rows, const float* x, Inputs n_in) noexcept {
    matvec_taps_add(y, w, stride, rows, &x, n_in, 1);
  }

  // out[0 .. Outputs) = bias + sum over taps t of w_t * taps_x[t] for one frame (w_t = w + t * Inputs * Stride;
  // one tap: a matrix-vector product), every size but the taps' known at compile time: the fixed-size
  // kernels' per-sample path. The sums start at the bias in registers and are stored straight to `out`, no
  // padded accumulator in memory to fill, reload and copy out. Whole batches of outputs by matvec_taps_add,
  // then the last Outputs % kWidth outputs over narrower spans (for_each_span: 8 outputs take one 8-lane
  // register, not a padded 16-lane one).
  template <int Stride, int Outputs, int Inputs, typename Taps, typename TapCount = Size<1>>
  static void affine_frame(float* out, const float* bias, const float* w, Taps taps_x,
                           TapCount taps = {}) noexcept {
    constexpr int kWhole = Outputs / kWidth * kWidth;
    if constexpr (kWhole > 0) {
      matvec_taps_add(out, w, Size<Stride>{}, Size<kWhole>{}, taps_x, Size<Inputs>{}, taps, bias);
    }
    if constexpr (kWhole < Outputs) {
      constexpr int kPartials = Inputs / 2 < 4 ? (Inputs / 2 > 0 ? Inputs / 2 : 1) : 4;
      for_each_span(Size<Outputs - kWhole>{}, [&](auto span, int span_first) {
        using V = decltype(span);
        const int i = kWhole + span_first;
        V sum[kPartials][1];
        sum[0][0] = load<V>(bias + i);
        for (int p = 1; p < kPartials; ++p) sum[p][0] = V(0.0f);
        const float* tap_w = w + i;
        for (int t = 0; t < taps; ++t, tap_w += static_cast<std::ptrdiff_t>(Inputs) * Stride) {
          const float* x = taps_x[t];
          const auto add_column = [&](V& partial, int j) {
            partial = fast_math::detail::multiply_add(load<V>(tap_w + static_cast<std::ptrdiff_t>(j) * Stride),
                                                      V(x[j]), partial);
          };
          int j = 0;
          for (; j + kPartials <= Inputs; j += kPartials) {
            for (int p = 0; p < kPartials; ++p) add_column(sum[p][0], j + p);
          }
          for (int p = 0; j < Inputs; ++j, ++p) add_column(sum[p][0], j);
        }
        add_partials(sum);
        store(out + i, sum[0][0]);
      });
    }
  }

  // The dot-product (row) form of affine_frame for frames of eight inputs, on x86 with AVX2 or AVX-512:
  // out[0 .. Outputs) = bias + sum over taps t of rows[o][t] . taps_x[t], rows laid out Outputs x taps x 8.
  // Each tap's eight inputs are one 8-lane register and each output's weights for a tap another, so an
  // output takes one FMA per tap and eight outputs one horizontal reduction (xsimd::haddp): half the loads
  // of affine_frame's column form, which broadcasts every input (measured on AMD Zen 4: a Conv1D 8 -> 8, k 3
  // 9.7 -> 7.3 ns per frame in a bare loop, AVX2 and AVX-512 builds alike). A tap is loaded as two 4-lane
  // halves: its frame may have just been stored as two halves (a memcpy under generic tuning), and one
  // 8-lane load of two pending 4-lane stores waits for them to reach the cache (17.8 ns instead of 7.3).
#if XSIMD_WITH_FMA3_AVX2
  static constexpr bool kEightInputRows = true;
  using EightLanes = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;  // an AVX2 build's Batch
  template <int Outputs, typename Taps, typename TapCount>
  static void affine_frame_rows(float* out, const float* bias, const float* rows, Taps taps_x,
                                TapCount taps) noexcept {
    static_assert(Outputs % 8 == 0, "whole groups of eight outputs");
    const std::ptrdiff_t output_stride = static_cast<std::ptrdiff_t>(taps) * 8;
    for (int o = 0; o < Outputs; o += 8, rows += 8 * output_stride) {
      EightLanes sums[8];
#pragma GCC unroll 8
      for (int r = 0; r < 8; ++r) sums[r] = EightLanes(0.0f);
      for (int t = 0; t < taps; ++t) {
        const float* x = taps_x[t];
        const EightLanes inputs(
            _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(x)), _mm_loadu_ps(x + 4), 1));
#pragma GCC unroll 8
        for (int r = 0; r < 8; ++r) {
          sums[r] = xsimd::fma(EightLanes::load_aligned(rows + r * output_stride + t * 8), inputs, sums[r]);
        }
      }
      (xsimd::haddp(sums) + EightLanes::load_unaligned(bias + o)).store_unaligned(out + o);
    }
  }
#else
  static constexpr bool kEightInputRows = false;
#endif

  static float dot(const float* a, const float* b, int n) noexcept {
    Batch sum0(0.0f), sum1(0.0f);  // two chains, so consecutive FMAs do not wait for each other
    int i = 0;
    for (; i + 2 * kWidth <= n; i += 2 * kWidth) {
      sum0 = xsimd::fma(Batch::load_unaligned(a + i), Batch::load_unaligned(b + i), sum0);
      sum1 = xsimd::fma(Batch::load_unaligned(a + i + kWidth), Batch::load_unaligned(b + i + kWidth), sum1);
    }
    for (; i + kWidth <= n; i += kWidth) sum0 = xsimd::fma(Batch::load_unaligned(a + i), Batch::load_unaligned(b + i), sum0);
    float sum = xsimd::hadd(sum0 + sum1);
    // The rest on the narrower registers the target has (as for_each_span), not one at a time: on AVX-512 a
    // Dense 40 -> 1 would otherwise do its last 8 products as scalars (measured on Zen 4: 5.4 ns per sample
    // against 3.7 for the AVX2 build's whole 8-lane batches).
#if XSIMD_WITH_AVX512F && XSIMD_WITH_FMA3_AVX2
    if (i + 8 <= n) {
      using Half = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
      sum += xsimd::hadd(Half::load_unaligned(a + i) * Half::load_unaligned(b + i));
      i += 8;
    }
#endif
#if (XSIMD_WITH_AVX512F || XSIMD_WITH_AVX2) && XSIMD_WITH_SSE4_2
    if (i + 4 <= n) {
      using Quarter = xsimd::batch<float, xsimd::sse4_2>;
      sum += xsimd::hadd(Quarter::load_unaligned(a + i) * Quarter::load_unaligned(b + i));
      i += 4;
    }
#endif
    return sum + StlOps::dot(a + i, b + i, n - i);
  }

  // Vector registers of the instruction set: how many accumulators a block product may keep.
#if XSIMD_WITH_AVX512F || XSIMD_WITH_NEON64
  static constexpr int kRegisters = 32;
#else
  static constexpr int kRegisters = 16;
#endif

  // Frames per tile of a block product over Rows row batches: as many accumulators as the registers hold
  // besides the Rows weight batches and one broadcast input, at least eight so that the FMA chains hide
  // their latency, and at most eight frames. With 32 registers, 24 accumulators (4 x 6, 3 x 8): each weight
  // loaded feeds more frames than with 16 (4 x 4, 3 x 5); on an Intel Xeon with AVX-512, Conv1D 48 and 64
  // (k 3) and Dense 48 in blocks ran 5-7% faster, Dense 64 and 40 the same.
  template <int Rows>
  static constexpr int tile_frames() noexcept {
    constexpr int kAccumulators = kRegisters == 32 ? 24 : 12;
    constexpr int kFrames = kAccumulators / Rows;
    return kFrames > 8 ? 8 : (kFrames < 1 ? 1 : kFrames);
  }

  // y[f][0 .. Rows batches) += sum over taps t and inputs j of w[t * n_in + j] * taps_x[t][first + f *
  // x_stride + j] for Frames frames: Frames x Rows accumulators in registers over every column, so each
  // weight batch loaded feeds Frames FMAs (a loop of matrix-vector products loads every weight once per
  // frame). Each output sums its columns in order, one chain, whatever the buffers' addresses. With `initial`
  // (aligned, Rows batches), every frame's sums start there instead, and y is only written: y = initial + the
  // products. y need not be aligned (a caller's output buffer).
  template <int Rows, int Frames, typename Stride, typename Inputs>
  static void matmul_tile(float* y, std::ptrdiff_t y_stride, const float* w, Stride stride,
                          const float* const* taps_x, std::ptrdiff_t first, std::ptrdiff_t x_stride,
                          Inputs n_in, int taps, const float* initial) noexcept {
    Batch sum[Frames][Rows];
#pragma GCC unroll 16
    for (int f = 0; f < Frames; ++f) {
#pragma GCC unroll 8
      for (int r = 0; r < Rows; ++r) {
        sum[f][r] = initial != nullptr ? Batch::load_aligned(initial + r * kWidth)
                                       : Batch::load_unaligned(y + f * y_stride + r * kWidth);
      }
    }
    for (int t = 0; t < taps; ++t) {
      const float* x = taps_x[t] + first;
      for (int j = 0; j < n_in; ++j) {
        const float* column = w + static_cast<std::ptrdiff_t>(j) * stride;
        Batch weight[Rows];
        for (int r = 0; r < Rows; ++r) {
          weight[r] = Batch::load_aligned(column + r * kWidth);
          // One load for Frames FMAs, not one for each; only where the registers hold the weights besides
          // the sums and a broadcast input (else forcing them in makes the sums spill: AVX2's 4 x 3 tile).
          if constexpr (Frames > 1 && Rows * (Frames + 1) + 1 <= kRegisters) in_register(weight[r]);
        }
        for (int f = 0; f < Frames; ++f) {
          const Batch xj(x[f * x_stride + j]);
          for (int r = 0; r < Rows; ++r) sum[f][r] = xsimd::fma(weight[r], xj, sum[f][r]);
        }
      }
      w += static_cast<std::ptrdiff_t>(n_in) * stride;
    }
#pragma GCC unroll 16
    for (int f = 0; f < Frames; ++f) {
#pragma GCC unroll 8
      for (int r = 0; r < Rows; ++r) sum[f][r].store_unaligned(y + f * y_stride + r * kWidth);
    }
  }

  // The last frames of a block, fewer than a whole tile: one tile of exactly `frames` (< Frames) frames.
  template <int Rows, int Frames, typename Stride, typename Inputs>
  static void matmul_tail(float* y, std::ptrdiff_t y_stride, const float* w, Stride stride,
                          const float* const* taps_x, std::ptrdiff_t first, std::ptrdiff_t x_stride,
                          Inputs n_in, int taps, int frames, const float* initial) noexcept {
    if constexpr (Frames > 1) {
      if (frames == Frames - 1) {
        matmul_tile<Rows, Frames - 1>(y, y_stride, w, stride, taps_x, first, x_stride, n_in, taps, initial);
      } else {
        matmul_tail<Rows, Frames - 1>(y, y_stride, w, stride, taps_x, first, x_stride, n_in, taps, frames,
                                      initial);
      }
    }
  }

  // Every frame of a block over Rows row batches, a tile at a time.
  template <int Rows, typename Stride, typename Inputs>
  static void matmul_rows(float* y, std::ptrdiff_t y_stride, const float* w, Stride stride,
                          const float* const* taps_x, std::ptrdiff_t x_stride, Inputs n_in, int taps,
                          int frames, const float* initial) noexcept {
    constexpr int kFrames = tile_frames<Rows>();
    int f = 0;
    // (No software prefetch of the next tile's inputs: on an Intel Xeon it made Dense 32/64 and Conv1D 32/64
    // in blocks of 256 1-6% slower, with AVX-512's tiles of 24 sums and AVX2's of 12 alike.)
    for (; f + kFrames <= frames; f += kFrames) {
      matmul_tile<Rows, kFrames>(y + f * y_stride, y_stride, w, stride, taps_x, f * x_stride, x_stride, n_in,
                                 taps, initial);
    }
    if (f < frames) {
      matmul_tail<Rows, kFrames>(y + f * y_stride, y_stride, w, stride, taps_x, f * x_stride, x_stride, n_in,
                                 taps, frames - f, initial);
    }
  }

  // The block product with taps (see conv_matmul_add): four row batches at a time, then the rest. With 16
  // registers and FMA (AVX2), three at a time while more than four remain: a 3 x 4 tile's weights stay in
  // registers beside its 12 sums and a broadcast input, where a 4 x 3 tile reads some of its weights from
  // memory at every FMA (on an Intel Xeon running the AVX2 code paths, Dense 40/48, Conv1D 48/64 and LSTM 64
  // in blocks ran 1.06-1.09x faster; Dense 64, already at 80% of the FMA peak, the same). Four batches stay
  // one 4 x 3 pass (Dense 32): two 2 x 6 passes were no faster. Not without FMA (SSE4): there each product
  // needs a register too, and the 3 x 4 tile stored one of its sums to the stack at every column.
  template <typename Stride, typename Rows, typename Inputs>
  static void matmul_taps(float* y, std::ptrdiff_t y_stride, const float* w, Stride stride, Rows rows,
                          const float* const* taps_x, std::ptrdiff_t x_stride, Inputs n_in, int taps,
                          int frames, const float* initial = nullptr) noexcept {
    const int row_count = rows;
    const auto pass = [&](auto batches, int o) {
      matmul_rows<decltype(batches)::value>(y + o, y_stride, w + o, stride, taps_x, x_stride, n_in, taps,
                                            frames, initial == nullptr ? nullptr : initial + o);
    };
    int o = 0;
    if constexpr (kRegisters < 32 && fast_math::kFused) {
      for (; (row_count - o) / kWidth > 4; o += 3 * kWidth) pass(Size<3>{}, o);
    }
    for (; o + 4 * kWidth <= row_count; o += 4 * kWidth) pass(Size<4>{}, o);
    switch ((row_count - o) / kWidth) {
      case 3:
        pass(Size<3>{}, o);
        break;
      case 2:
        pass(Size<2>{}, o);
        break;
      case 1:
        pass(Size<1>{}, o);
        break;
      default: break;
    }
  }

  // y = initial + sum over taps t of w_t * taps_x[t] for every frame (w_t = w + t * n_in * stride), `initial`
  // one aligned frame of `rows` (a bias) or null for y itself (y +=): the block products below, all of them.
  // With `initial`, the sums start in registers and y is only written, so that a layer needs no pass to fill
  // its sums first and may write its output straight (y unaligned, y_stride >= rows).
  template <typename YStride, typename Stride, typename Rows, typename XStride, typename Inputs>
  static void conv_affine_block(float* y, YStride y_stride, const float* initial, const float* w,
                                Stride stride, Rows rows, const float* const* taps_x, XStride x_stride,
                                Inputs n_in, int taps, int frames) noexcept {
    if (frames == 1) {
      // One frame: partial sums in flight instead of frames.
      matvec_taps_add(y, w, stride, rows, taps_x, n_in, taps, initial);
      return;
    }
    matmul_taps(y, y_stride, w, stride, rows, taps_x, x_stride, n_in, taps, frames, initial);
  }

  template <typename YStride, typename Stride, typename Rows, typename XStride, typename Inputs>
  static void matmul_add(float* y, YStride y_stride, const float* w, Stride stride, Rows rows, const float* x,
                         XStride x_stride, Inputs n_in, int frames) noexcept {
    conv_affine_block(y, y_stride, nullptr, w, stride, rows, &x, x_stride, n_in, 1, frames);
  }

  // matmul_add starting at `initial` (conv_affine_block).
  static constexpr bool kAffineBlock = true;
  template <typename YStride, typename Stride, typename Rows, typename XStride, typename Inputs>
  static void affine_block(float* y, YStride y_stride, const float* initial, const float* w, Stride stride,
                           Rows rows, const float* x, XStride x_stride, Inputs n_in, int frames) noexcept {
    conv_affine_block(y, y_stride, initial, w, stride, rows, &x, x_stride, n_in, 1, frames);
  }

  // sum over taps t of matmul_add(y, w + t * n_in * stride, taps_x[t]): a convolution's shifted products
  // over its history, the sums kept in registers across the taps.
  template <typename YStride, typename Stride, typename Rows, typename XStride, typename Inputs>
  static void conv_matmul_add(float* y, YStride y_stride, const float* w, Stride stride, Rows rows,
                              const float* const* taps_x, XStride x_stride, Inputs n_in, int taps,
                              int frames) noexcept {
    conv_affine_block(y, y_stride, nullptr, w, stride, rows, taps_x, x_stride, n_in, taps, frames);
  }

  // Spans: a few values of one frame (a recurrent cell's hidden state) computed in registers as wide as
  // fit, so that values stored by one loop are loaded by the next at the same offsets and widths (a wide
  // load of narrow stores waits for them to reach the cache: ~15 cycles on each step of a recurrence).
  // for_each_span(n, op) calls op(V{}, i) over [0, n): whole batches, then narrower batches of this target
  // (8, then 4 lanes), then op(float{}, i) for the last n % 4; V is the value type of the span at i.
  // load<V> and store read and write one span. With a fixed n, every branch is decided at compile time.
#if XSIMD_WITH_AVX512F && XSIMD_WITH_FMA3_AVX2
  using HalfBatch = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
#endif
#if (XSIMD_WITH_AVX512F || XSIMD_WITH_AVX2) && XSIMD_WITH_SSE4_2
  // (xsimd offers fma3<sse4_2> only without AVX; fast_math's multiply_add fuses this one itself.)
  using QuarterBatch = xsimd::batch<float, xsimd::sse4_2>;
#define RTN_XSIMD_QUARTER_BATCH 1
#endif
#ifdef RTN_XSIMD_QUARTER_BATCH
  static constexpr int kNarrowestSpan = 4;
#elif XSIMD_WITH_AVX512F && XSIMD_WITH_FMA3_AVX2
  static constexpr int kNarrowestSpan = 8;
#else
  static constexpr int kNarrowestSpan = kWidth;
#endif
  template <typename N, typename Op>
  static void for_each_span(N n, Op op) noexcept {
    int i = 0;
    for (; i + kWidth <= n; i += kWidth) op(Batch(), i);
#if XSIMD_WITH_AVX512F && XSIMD_WITH_FMA3_AVX2
    if (i + 8 <= n) op(HalfBatch(), i), i += 8;
#endif
#ifdef RTN_XSIMD_QUARTER_BATCH
    if (i + 4 <= n) op(QuarterBatch(), i), i += 4;
#endif
    // The spans above end at n rounded down to the narrowest span. Starting the tail there rather than at i
    // lets g++ see that a fixed n's tail is empty (from i, g++ 12 warned of undefined behaviour in
    // "iteration 3" of the GRU 20 tail, which never runs).
    for (int j = size_round_down<kNarrowestSpan>(n); j < n; ++j) op(0.0f, j);
  }
  template <typename V>
  static V load(const float* p) noexcept {
    if constexpr (std::is_same_v<V, float>) {
      return *p;
    } else {
      return V::load_unaligned(p);
    }
  }
  static void store(float* p, float v) noexcept { *p = v; }
  template <typename A>
  static void store(float* p, xsimd::batch<float, A> v) noexcept { v.store_unaligned(p); }
  // The values an activation computes: every value (spans fill no padding).
  static constexpr int activation_span(int n) noexcept { return n; }

  // y = op(x) over spans (see for_each_span), the last n % 4 values through a zero-padded batch of the
  // narrowest width: as map(), every element takes the same vector code, and the spans line up with the
  // spans a cell's loop stored.
  template <typename N, typename Op>
  static void map_spans(float* y, const float* x, N n, Op op) noexcept {
    const auto whole = size_round_down<4>(n);
    for_each_span(whole, [&](auto tag, int i) {
      using V = decltype(tag);
      if constexpr (!std::is_same_v<V, float>) store(y + i, op(load<V>(x + i)));
    });
    if (whole < n) {
#ifdef RTN_XSIMD_QUARTER_BATCH
      using Tail = QuarterBatch;
#else
      using Tail = Batch;
#endif
      alignas(64) float chunk[Tail::size] = {};
      std::copy(x + whole, x + n, chunk);
      op(Tail::load_aligned(chunk)).store_aligned(chunk);
      std::copy(chunk, chunk + (n - whole), y + whole);
    }
  }

  // Applies `vector_op` to whole batches, and to the tail (n not a multiple of the width) through a
  // zero-padded local batch: every element takes the same vector code, so its bits never depend on its
  // place in the block. (`TailOp` is unused; it stays so the activations keep their portable twin in view.)
  template <typename VectorOp, typename TailOp>
  static void map(float* y, const float* x, int n, VectorOp vector_op, TailOp) noexcept {
    int i = 0;
    for (; i + kWidth <= n; i += kWidth) vector_op(Batch::load_unaligned(x + i)).store_unaligned(y + i);
    if (i < n) {
      alignas(64) float chunk[kWidth] = {};
      std::copy(x + i, x + n, chunk);
      vector_op(Batch::load_aligned(chunk)).store_aligned(chunk);
      std::copy(chunk, chunk + (n - i), y + i);
    }
  }

  static void affine(float* y, const float* x, const float* scale, const float* shift, int n) noexcept {
    int i = 0;
    for (; i + kWidth <= n; i += kWidth) {
      xsimd::fma(Batch::load_unaligned(x + i), Batch::load_unaligned(scale + i), Batch::load_unaligned(shift + i))
          .store_unaligned(y + i);
    }
    StlOps::affine(y + i, x + i, scale + i, shift + i, n - i);
  }

  // Exact operations: the scalar tail computes the same bits as a batch would.
  static void maximum(float* y, const float* a, const float* b, int n) noexcept {
    int i = 0;
    for (; i + kWidth <= n; i += kWidth) xsimd::max(Batch::load_unaligned(a + i), Batch::load_unaligned(b + i)).store_unaligned(y + i);
    StlOps::maximum(y + i, a + i, b + i, n - i);
  }
  static void add(float* y, const float* a, const float* b, int n) noexcept {
    int i = 0;
    for (; i + kWidth <= n; i += kWidth) (Batch::load_unaligned(a + i) + Batch::load_unaligned(b + i)).store_unaligned(y + i);
    StlOps::add(y + i, a + i, b + i, n - i);
  }

  // n: an int, or a Size<N> (a fixed-size kernel's gates: the spans then known at compile time).
  template <typename N>
  static void tanh(float* y, const float* x, N n) noexcept {
    // The fast activations (fast_math.hpp): max absolute error 2.8e-7 for tanh, 1.6e-7 for sigmoid (with FMA).
    map_spans(y, x, n, [](auto v) { return fast_math::tanh(v); });
  }
  template <typename N>
  static void sigmoid(float* y, const float* x, N n) noexcept {
    map_spans(y, x, n, [](auto v) { return fast_math::sigmoid(v); });
  }
  static void relu(float* y, const float* x, int n) noexcept {
    const Batch zero(0.0f);
    map(y, x, n, [zero](Batch v) { return xsimd::max(v, zero); }, &StlOps::relu);
  }
  static void elu(float* y, const float* x, int n, float alpha) noexcept {
    const Batch zero(0.0f), scale(alpha);
    map(y, x, n, [=](Batch v) { return xsimd::select(v > zero, v, scale * fast_math::expm1(v)); },
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
  static void hard_tanh(float* y, const float* x, int n) noexcept {
    const Batch low(-1.0f), high(1.0f);
    map(y, x, n, [=](Batch v) { return xsimd::min(xsimd::max(v, low), high); }, &StlOps::hard_tanh);
  }
  static void leaky_hard_tanh(float* y, const float* x, int n, float min_val, float max_val, float min_slope,
                              float max_slope) noexcept {
    const Batch low(min_val), high(max_val), low_slope(min_slope), high_slope(max_slope);
    map(
        y, x, n,
        [=](Batch v) {
          return xsimd::select(v < low, xsimd::fma(v - low, low_slope, low),
                               xsimd::select(v > high, xsimd::fma(v - high, high_slope, high), v));
        },
        [=](float* out, const float* in, int count) {
          StlOps::leaky_hard_tanh(out, in, count, min_val, max_val, min_slope, max_slope);
        });
  }
  static void silu(float* y, const float* x, int n) noexcept {
    map(y, x, n, [](Batch v) { return fast_math::silu(v); }, &StlOps::silu);
  }
  static void hardswish(float* y, const float* x, int n) noexcept {
    const Batch zero(0.0f), three(3.0f), six(6.0f), sixth(1.0f / 6.0f);
    map(y, x, n, [=](Batch v) { return v * xsimd::min(xsimd::max(v + three, zero), six) * sixth; },
        &StlOps::hardswish);
  }
  static void softsign(float* y, const float* x, int n) noexcept {
    const Batch one(1.0f);
    map(y, x, n, [one](Batch v) { return v / (one + xsimd::abs(v)); }, &StlOps::softsign);
  }
  static void softmax(float* y, const float* x, int n) noexcept {
    // Softmax runs over one frame's channels (a few dozen): the portable code is as fast.
    StlOps::softmax(y, x, n);
  }
};

}  // inline namespace RTN_ISA_NAMESPACE
}  // namespace rtn
