#pragma once
// What GRU and LSTM share: the weight layout of one recurrent layer, the input projection of a block, and
// the kernel that runs a stack of layers over a block. A cell type (GruCell, LstmCell) adds only its row
// layout and its per-frame step, so the two layers are written once for every backend.
//
// Layout. The gate pre-activations of one frame live in a "frame" of `frame_stride` floats, in whatever row
// order the cell wants (LSTM keeps PyTorch's i, f, g, o; GRU keeps W_hn h + b_hn apart from W_in x + b_in).
// The recurrent matrix is column-major and padded (PaddedMatrix; a large fixed-size one packed pass by pass,
// kPackedRecurrent), so a step's whole recurrent product over all gates is one product into the frame,
// which the kernel adds before the cell's step.
//
// Algorithm. A block is cut into chunks of up to kFramesPerChunk frames, so the scratch stays in cache
// whatever the block size. In each chunk the frames start at the bias, the bottom layer's input projection
// of all frames is one Ops::matmul_add (a scaled column add when there is one input), then the recurrence
// runs frame by frame. The layers of a stack run as a wavefront (stack_chunk): layer l takes frame t - l
// while the layer below takes frame t, each projecting its input frame as it comes, so that the layers'
// recurrences, which do not wait on each other, run side by side on the core. Per frame and layer it is the
// arithmetic of running the stack frame by frame, but for the order of the projections' sums, so blocks of
// any size give the same output to float rounding.
#include <algorithm>
#include <utility>
#include <vector>

#include "layers/padded_matrix.hpp"
#include "layers/sizes.hpp"
#include "rtn/kernel.hpp"
#include "rtn/weights.hpp"

namespace rtn {

// How a cell activates its gates on a backend. The SIMD backends run each activation without a scalar tail
// (Eigen over whole kPadFloats chunks: the rows past a gate range are other gates, padding or scratch, and
// what is computed from them is not used; xsimd over spans as wide as fit, Ops::for_each_span, which line
// up with the spans the cell's element-wise loops store); and they compute sigmoid(x) as 0.5 + 0.5 * tanh(x / 2),
// with the sigmoid gates' weights and biases pre-scaled by 0.5 (exact), so that one tanh call activates
// every gate of an LSTM step. The portable backend computes each value once, with its own sigmoid:
// there std::exp is cheaper than std::tanh and every padded value would cost a scalar call.
template <typename Ops>
struct GateActivation {
  static constexpr bool kSigmoidThroughTanh = Ops::backend != Backend::stl;
  // How many values to activate for n (a compile-time size stays one).
  template <typename N>
  static constexpr auto span(N n) noexcept {
    if constexpr (std::is_integral_v<N>) {
      return Ops::activation_span(n);
    } else {
      return Size<Ops::activation_span(N::value)>{};
    }
  }
  // A sigmoid gate's value from its activated row: a float or a span of them (Ops::for_each_span).
  template <typename V>
  static V sigmoid_gate(V activated) noexcept {
    if constexpr (kSigmoidThroughTanh) {
      return V(0.5f) + V(0.5f) * activated;
    } else {
      return activated;
    }
  }
};

// Where each PyTorch gate row goes. Index: a row of the frame (or of the recurrent product); value: the
// row of weight_ih / bias_ih (or weight_hh / bias_hh) that feeds it, or -1 for a row that none feeds.
// Each frame row's weights and biases are multiplied by its row_scale (0.5 for a sigmoid gate computed
// through tanh, see GateActivation).
struct RecurrentLayout {
  int hidden = 0;
  int frame_stride = 0;            // floats per frame of gate pre-activations, a multiple of kPadFloats
  int recurrent_rows = 0;          // rows the recurrent product adds into (the frame's first rows), padded
  std::vector<int> input_rows;     // frame_stride entries
  std::vector<int> recurrent_map;  // recurrent_rows entries
  std::vector<float> row_scale;    // frame_stride entries
  // A second recurrent product, which the cell applies itself to a gated copy of h, adding into the frame
  // from row gated_first_row (a GRU with reset_after == false: W_hn (r * h), where r is known only after
  // the first product). gated_map holds the weight_hh / bias_hh row feeding each of its (padded) rows, or
  // -1; it is empty for cells with one recurrent product. Its bias rows feed the frame like the others.
  int gated_first_row = 0;
  std::vector<int> gated_map;
};

// One layer of the stack, laid out for the kernels. Built once; never changes.
struct RecurrentLayer {
  int input_size = 0;
  PaddedMatrix input;      // weight_ih: frame_stride rows (the frame layout), input_size columns
  PaddedMatrix recurrent;  // weight_hh: recurrent_rows rows, hidden columns (or packed: kPackedRecurrent)
  PaddedMatrix gated;      // weight_hh rows of layout.gated_map, hidden columns (empty when unused)
  AlignedFloats bias;      // frame_stride floats: bias_ih and bias_hh summed where both feed a row
  // The state reset() restores (spec.initial_state: initial_h_l{n}, initial_c_l{n}), padded; empty: zeros.
  AlignedFloats initial_h, initial_c;
  // Ranges [first, first + count) of frame rows that weight_ih feeds, whole kPadFloats chunks: the
  // projection skips the chunks it would only add zeros to.
  std::vector<std::pair<int, int>> input_ranges;
};

// Lays out every layer of the stack from PyTorch's arrays (weight_ih_l{n}, weight_hh_l{n},
// bias_ih_l{n}, bias_hh_l{n}). Allocates.
std::vector<RecurrentLayer> recurrent_layers(const LayerSpec& spec, const Weights& weights,
                                             const RecurrentLayout& layout);

// gates[f * frame_stride + r] = bias[r] + (weight_ih x_f)[r] for `frames` frames of `in` (`in_stride` apart).
template <typename Ops>
void project_inputs(const RecurrentLayer& layer, int frame_stride, const float* in, int in_stride, int frames,
                    float* gates) noexcept {
  const float* bias = layer.bias.data();
  if (layer.input_size == 1) {
    // One input: a scaled column add, bias and product in one pass.
    const float* column = layer.input.data();
    for (int f = 0; f < frames; ++f) {
      const float x = in[static_cast<std::ptrdiff_t>(f) * in_stride];
      float* frame = gates + static_cast<std::ptrdiff_t>(f) * frame_stride;
      for (int r = 0; r < frame_stride; ++r) frame[r] = bias[r] + column[r] * x;
    }
    return;
  }
  fill_frames(gates, frame_stride, bias, frames);
  for (const auto& [first, count] : layer.input_ranges) {
    Ops::matmul_add(gates + first, frame_stride, layer.input.data() + first, frame_stride, count, in,
                    in_stride, layer.input_size, frames);
  }
}

// A GRU or LSTM stack on one backend. Hidden > 0 makes the fixed-size kernel of that hidden size
// (layers/sizes.hpp), 0 the generic one. `Cell` provides:
//   static RecurrentLayout layout(const LayerSpec& spec, bool sigmoid_through_tanh);
//   static int scratch_size(int hidden);       // floats of per-step scratch, a multiple of kPadFloats
//   static constexpr int recurrent_rows(int hidden);  // layout.recurrent_rows for a fixed hidden size
//   static constexpr int frame_stride(int hidden);    // layout.frame_stride for a fixed hidden size
//   static constexpr int input_gap_first(int hidden), input_gap_end(int hidden);
//                                                     // frame rows no input feeds (whole kPadFloats
//                                                     // chunks; first == end for none)
//   static const char* fixed_size_limit(const LayerSpec&) noexcept;  // what a fixed-size layout cannot
//                                                     // compute: a reason, or null (Kernel::unsupported)
//   template <typename Ops, typename Hidden, typename Rows> static void step(const RecurrentLayer&,
//       const RecurrentLayout&, Hidden hidden, Rows recurrent_rows, float* gates, float* h, float* c,
//       float* out, float* scratch) noexcept;   // Hidden, Rows: int, or Size<N> in a fixed-size kernel
// step() completes one frame: `gates` holds the frame's pre-activations, input projection and recurrent
// product (the kernel adds weight_hh h), and the cell may overwrite that frame and touches nothing past it;
// h and c are the layer's state (padded to kPadFloats, updated in place), and `out` receives the new h
// (hidden floats).
template <typename Ops, typename Cell, int Hidden = 0>
class RecurrentKernel final : public Kernel {
 public:
  // Frames whose gates are computed at once; bounds the scratch whatever the block size.
  static constexpr int kFramesPerChunk = 32;

  static const char* unsupported(const LayerSpec& spec) noexcept {
    return Hidden > 0 ? Cell::fixed_size_limit(spec) : nullptr;
  }

  RecurrentKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend),
        layout_(Cell::layout(spec, GateActivation<Ops>::kSigmoidThroughTanh)),
        layers_(recurrent_layers(spec, weights, layout_)),
        state_stride_(padded_size(spec.output_size)) {
    if constexpr (kPackedRecurrent) {
      for (RecurrentLayer& layer : layers_) pack_recurrent(layer.recurrent);
    }
  }

  void prepare(int max_block) override {
    chunk_ = std::max(1, std::min(max_block, kFramesPerChunk));
    // The bottom layer's chunk of frames, then one frame for each layer above it (stack_chunk()).
    const std::size_t gate_frames = static_cast<std::size_t>(chunk_) + layers_.size() - 1;
    gates_.assign(static_cast<std::size_t>(layout_.frame_stride) * gate_frames, 0.0f);
    // Each layer below the top: its output frames of the chunk.
    sequence_.assign(static_cast<std::size_t>(output_size()) * chunk_ * (layers_.size() - 1), 0.0f);
    scratch_.assign(Cell::scratch_size(output_size()), 0.0f);
    // Per layer: h, then c (an LSTM's cell state; unused by a GRU).
    state_.assign(2 * static_cast<std::size_t>(state_stride_) * layers_.size(), 0.0f);
    reset();
  }

  void reset() noexcept override {
    std::fill(state_.begin(), state_.end(), 0.0f);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const RecurrentLayer& layer = layers_[l];
      float* h = state_.data() + 2 * static_cast<std::ptrdiff_t>(state_stride_) * l;
      if (!layer.initial_h.empty()) std::copy(layer.initial_h.begin(), layer.initial_h.end(), h);
      float* c = h + state_stride_;
      if (!layer.initial_c.empty()) std::copy(layer.initial_c.begin(), layer.initial_c.end(), c);
    }
  }

  void process(const float* in, float* out, int frames) noexcept override {
    for (int first = 0; first < frames; first += chunk_) {
      const int count = std::min(chunk_, frames - first);
      const float* chunk_in = in + static_cast<std::ptrdiff_t>(first) * input_size();
      float* chunk_out = out + static_cast<std::ptrdiff_t>(first) * output_size();
      if (layers_.size() > 1 && count > 1) {
        stack_chunk(chunk_in, count, chunk_out);
      } else {
        layer_by_layer(chunk_in, count, chunk_out);
      }
    }
  }

 private:
  // One layer over a chunk, or a stack over one frame: each layer's projection of the chunk, then its
  // recurrence. (A stack per sample through stack_chunk() took 4-10% longer: the same operations, with its
  // loop's bookkeeping.)
  void layer_by_layer(const float* in, int count, float* out) noexcept {
    const int hidden = output_size();
    const int top = static_cast<int>(layers_.size()) - 1;
    const float* layer_in = in;
    int in_stride = input_size();
    for (int l = 0; l <= top; ++l) {
      // The projection reads all of layer_in before the steps overwrite sequence_ with this layer's output.
      project(layers_[l], layer_in, in_stride, count, gates_.data());
      float* layer_out = l == top ? out : sequence_of(0);
      for (int t = 0; t < count; ++t) {
        step(l, gates_.data() + static_cast<std::ptrdiff_t>(t) * layout_.frame_stride,
             layer_out + static_cast<std::ptrdiff_t>(t) * hidden);
      }
      layer_in = layer_out;
      in_stride = hidden;
    }
  }

  // A stack over a chunk of frames as a wavefront: at step t, layer l takes frame t - l, whose input the
  // layer below wrote at step t - 1. The layers' recurrences do not wait on each other within a step, so the
  // core runs them side by side; layer after layer, each step of each layer waited for the one before it. The
  // bottom layer's projection covers the chunk at once; a layer above projects each frame as it comes. Same
  // arithmetic per layer and frame as layer after layer, but for the projections above the bottom.
  [[gnu::noinline]] void stack_chunk(const float* in, int count, float* out) noexcept {
    const int hidden = output_size();
    const int top = static_cast<int>(layers_.size()) - 1;
    project(layers_[0], in, input_size(), count, gates_.data());
    for (int t = 0; t < count + top; ++t) {
      for (int l = std::max(0, t - count + 1); l <= std::min(t, top); ++l) {
        const int f = t - l;
        const std::ptrdiff_t offset = static_cast<std::ptrdiff_t>(f) * hidden;
        float* frame =
            gates_.data() + static_cast<std::ptrdiff_t>(l == 0 ? f : chunk_ + l - 1) * layout_.frame_stride;
        if (l > 0) project(layers_[l], sequence_of(l - 1) + offset, hidden, 1, frame);
        step(l, frame, (l == top ? out : sequence_of(l)) + offset);
      }
    }
  }

  // The output frames of layer l (below the top) in a chunk.
  float* sequence_of(int l) noexcept {
    return sequence_.data() + static_cast<std::ptrdiff_t>(l) * chunk_ * output_size();
  }

  // One frame of layer l: its gates' pre-activations in `frame` (input projection and bias), its new h to
  // out. (Inlined: a per-sample call would otherwise pay a call per layer.)
  [[gnu::always_inline]] void step(int l, float* frame, float* out) noexcept {
    const RecurrentLayer& layer = layers_[l];
    float* h = state_.data() + 2 * static_cast<std::ptrdiff_t>(state_stride_) * l;
    float* c = h + state_stride_;
    const auto fixed_hidden = size_or<Hidden>(output_size());
    constexpr int kFixedRows = Hidden > 0 ? Cell::recurrent_rows(Hidden) : 0;
    const auto rows = size_or<kFixedRows>(layout_.recurrent_rows);
    add_recurrent_product(frame, layer, h, rows, fixed_hidden);
    Cell::template step<Ops>(layer, layout_, fixed_hidden, rows, frame, h, c, out, scratch_.data());
  }

  // The input projection of `frames` frames into `gates` (frame_stride apart). A fixed-size kernel computes a
  // single frame in registers (Ops::affine_frame) when the input is one value or as wide as the hidden state
  // (a stack's upper layers, the usual N -> N layer).
  void project(const RecurrentLayer& layer, const float* in, int in_stride, int frames,
               float* gates) noexcept {
    if constexpr (Hidden > 0) {
      if (frames == 1 && layer.input_size == Hidden) {
        project_frame<Hidden>(layer, in, gates);
        return;
      }
      if (frames == 1 && layer.input_size == 1) {
        project_frame<1>(layer, in, gates);
        return;
      }
    }
    project_inputs<Ops>(layer, layout_.frame_stride, in, in_stride, frames, gates);
  }

  // A fixed-size kernel whose weight_hh outgrows a core's L1 data cache (32 KiB on AMD Zen 1 to 4: an LSTM 48
  // or 64, a GRU 64) keeps it packed pass by pass (Ops::matvec_packed_add), so that each pass of the
  // product streams its weights from L2 instead of reading a few lines of every column, a column apart.
  // On AMD Zen 1 (AVX2), per sample: LSTM 64 1.14x, GRU 64 1.05x faster; an LSTM 32 packed (16 KiB) was
  // 3-4% slower, and LSTM 24 and the guitar model's 40 unchanged, so the smaller ones stay column-major.
  // (With AVX-512 every fixed size's product is one pass, which is the same layout either way.)
  static constexpr bool kPackedRecurrent = Hidden > 0 &&
                                           Cell::recurrent_rows(Hidden) * Hidden * sizeof(float) > 32 * 1024;

  // frame += weight_hh h over the recurrent rows: every frame's step, per sample or in a block. Rows and
  // HiddenSize: ints, or Size<N> in a fixed-size kernel.
  template <typename Rows, typename HiddenSize>
  static void add_recurrent_product(float* frame, const RecurrentLayer& layer, const float* h, Rows rows,
                                    HiddenSize hidden) noexcept {
    if constexpr (kPackedRecurrent) {
      Ops::matvec_packed_add(frame, layer.recurrent.data(), rows, h, hidden);
    } else {
      Ops::matvec_add(frame, layer.recurrent.data(), rows, rows, h, hidden);
    }
  }

  // weight_hh from column-major to packed pass by pass (the same size).
  static void pack_recurrent(PaddedMatrix& matrix) {
    AlignedFloats packed(matrix.values.size(), 0.0f);
    Ops::template pack_passes<Cell::recurrent_rows(Hidden), Hidden>(packed.data(), matrix.data(),
                                                                    matrix.stride);
    matrix.values.swap(packed);
  }

  // One frame's projection in registers; the rows no input feeds (Cell::input_gap_*) get their bias only.
  template <int Inputs>
  void project_frame(const RecurrentLayer& layer, const float* in, float* gates) noexcept {
    constexpr int kFrame = Cell::frame_stride(Hidden);
    constexpr int kGapFirst = Cell::input_gap_first(Hidden), kGapEnd = Cell::input_gap_end(Hidden);
    const float* bias = layer.bias.data();
    const float* weights = layer.input.data();
    if constexpr (kGapFirst < kGapEnd) {
      Ops::template affine_frame<kFrame, kGapFirst, Inputs>(gates, bias, weights, &in);
      std::copy(bias + kGapFirst, bias + kGapEnd, gates + kGapFirst);
      Ops::template affine_frame<kFrame, kFrame - kGapEnd, Inputs>(gates + kGapEnd, bias + kGapEnd,
                                                                   weights + kGapEnd, &in);
    } else {
      Ops::template affine_frame<kFrame, kFrame, Inputs>(gates, bias, weights, &in);
    }
  }

  RecurrentLayout layout_;
  std::vector<RecurrentLayer> layers_;
  int state_stride_ = 0;    // padded hidden size
  int chunk_ = 1;           // frames per chunk, set by prepare()
  AlignedFloats gates_;  // gate pre-activations: chunk_ frames of the bottom layer, one of each layer above
  AlignedFloats sequence_;  // per layer below the top, chunk_ x hidden: its output, the input of the next
  AlignedFloats scratch_;   // the cell's per-step scratch
  AlignedFloats state_;     // per layer: h (state_stride_ floats), c (state_stride_ floats)
};

}  // namespace rtn
