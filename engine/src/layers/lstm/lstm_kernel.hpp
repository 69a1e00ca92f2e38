#pragma once
// LSTM (PyTorch nn.LSTM, gates i, f, g, o): c' = f*c + i*g, h' = o*tanh(c'). Written once over the
// backend's ops; the stack, the layout and the block projection are shared with GRU (layers/recurrent.hpp).
#include "layers/recurrent.hpp"

namespace rtn {

struct LstmCell {
  // Frame rows i, f, o, then g: the sigmoid gates are contiguous, so each kind of activation is one call
  // (one tanh over the whole frame when sigmoids go through tanh).
  static RecurrentLayout layout(const LayerSpec& spec, bool sigmoid_through_tanh) {
    const int hidden = spec.output_size;
    RecurrentLayout layout;
    layout.hidden = hidden;
    layout.frame_stride = padded_size(4 * hidden);
    layout.recurrent_rows = layout.frame_stride;
    layout.input_rows.assign(layout.frame_stride, -1);
    layout.row_scale.assign(layout.frame_stride, 1.0f);
    constexpr int kPyTorchGate[4] = {0, 1, 3, 2};  // frame gate k holds PyTorch gate kPyTorchGate[k]
    for (int gate = 0; gate < 4; ++gate) {
      for (int j = 0; j < hidden; ++j) {
        layout.input_rows[gate * hidden + j] = kPyTorchGate[gate] * hidden + j;
        if (gate < 3 && sigmoid_through_tanh) layout.row_scale[gate * hidden + j] = 0.5f;
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
  static void step(const RecurrentLayer& layer, const RecurrentLayout&, Hidden hidden, Rows rows,
                   float* gates, float* h, float* c, float* out, float* scratch) noexcept {
    using Activation = GateActivation<Ops>;
    Ops::matvec_add(gates, layer.recurrent.data(), rows, rows, h, hidden);
    if constexpr (Activation::kSigmoidThroughTanh) {
      Ops::tanh(gates, gates, rows);  // the frame is the recurrent rows
    } else {
      Ops::sigmoid(gates, gates, size_times<3>(hidden));
      Ops::tanh(gates + 3 * hidden, gates + 3 * hidden, hidden);
    }
    const float* input_gate = gates;
    const float* forget_gate = gates + hidden;
    const float* output_gate = gates + 2 * hidden;
    const float* candidate = gates + 3 * hidden;
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
