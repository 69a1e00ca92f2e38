#pragma once
// LSTM (PyTorch nn.LSTM, gates i, f, g, o): c' = f*c + i*g, h' = o*tanh(c'). Written once over the
// backend's ops; the stack, the layout and the block projection are shared with GRU (layers/recurrent.hpp).
#include "layers/recurrent.hpp"

namespace rtn {

struct LstmCell {
  // Frame rows i, f, g, o: PyTorch's order. With sigmoids through tanh the whole frame is one tanh call, and
  // the output gate, which the step needs only after tanh(c'), comes last: its activation then leaves the
  // vector units to i, f and g on the way to c'. On Intel's cores, where two ports run every 512-bit
  // operation, a step's activations are bound by those ports: with o before g (i, f, o, g), the guitar model
  // and an LSTM 32 per sample took 10-14% longer (README, Performance). The portable backend's sigmoid takes
  // two calls (i and f, then o).
  static RecurrentLayout layout(const LayerSpec& spec, bool sigmoid_through_tanh) {
    const int hidden = spec.output_size;
    RecurrentLayout layout;
    layout.hidden = hidden;
    layout.frame_stride = padded_size(4 * hidden);
    layout.recurrent_rows = layout.frame_stride;
    layout.input_rows.assign(layout.frame_stride, -1);
    layout.row_scale.assign(layout.frame_stride, 1.0f);
    constexpr int kCandidateGate = 2;  // g: the one gate activated by tanh
    for (int gate = 0; gate < 4; ++gate) {
      for (int j = 0; j < hidden; ++j) {
        layout.input_rows[gate * hidden + j] = gate * hidden + j;
        if (gate != kCandidateGate && sigmoid_through_tanh) layout.row_scale[gate * hidden + j] = 0.5f;
      }
    }
    layout.recurrent_map = layout.input_rows;
    return layout;
  }

  // tanh(c').
  static int scratch_size(int hidden) { return padded_size(hidden); }
  static constexpr int recurrent_rows(int hidden) { return padded_size(4 * hidden); }
  static constexpr int frame_stride(int hidden) { return padded_size(4 * hidden); }
  // Every gate row takes the input: no rows for the projection to skip.
  static constexpr int input_gap_first(int) { return 0; }
  static constexpr int input_gap_end(int) { return 0; }
  static const char* fixed_size_limit(const LayerSpec&) noexcept { return nullptr; }

  template <typename Ops, typename Hidden, typename Rows>
  static void step(const RecurrentLayer&, const RecurrentLayout&, Hidden hidden, Rows rows, float* gates,
                   float* h, float* c, float* out, float* scratch) noexcept {
    using Activation = GateActivation<Ops>;
    if constexpr (Activation::kSigmoidThroughTanh) {
      Ops::tanh(gates, gates, rows);  // the frame is the recurrent rows
    } else {
      Ops::sigmoid(gates, gates, size_times<2>(hidden));
      Ops::tanh(gates + 2 * hidden, gates + 2 * hidden, hidden);
      Ops::sigmoid(gates + 3 * hidden, gates + 3 * hidden, hidden);
    }
    const float* input_gate = gates;
    const float* forget_gate = gates + hidden;
    const float* candidate = gates + 2 * hidden;
    const float* output_gate = gates + 3 * hidden;
    Ops::for_each_span(hidden, [&](auto span, int j) {
      using V = decltype(span);
      Ops::store(c + j, Activation::sigmoid_gate(Ops::template load<V>(forget_gate + j)) * Ops::template load<V>(c + j) +
                            Activation::sigmoid_gate(Ops::template load<V>(input_gate + j)) *
                                Ops::template load<V>(candidate + j));
    });
    float* tanh_c = scratch;
    Ops::tanh(tanh_c, c, Activation::span(hidden));  // c's padding stays zero
    Ops::for_each_span(hidden, [&](auto span, int j) {
      using V = decltype(span);
      const V h_new = Activation::sigmoid_gate(Ops::template load<V>(output_gate + j)) * Ops::template load<V>(tanh_c + j);
      Ops::store(h + j, h_new);
      Ops::store(out + j, h_new);
    });
  }
};

template <typename Ops, int Hidden = 0>
using LstmKernel = RecurrentKernel<Ops, LstmCell, Hidden>;

}  // namespace rtn
