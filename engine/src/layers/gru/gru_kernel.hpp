#pragma once
// GRU (PyTorch nn.GRU, gates r, z, n): n = tanh(W_in x + b_in + r*(W_hn h + b_hn)), h' = (1-z)*n + z*h.
// With spec.reset_after == false (Keras' reset_after=False): n = tanh(W_in x + b_in + b_hn + W_hn (r*h)).
// Written once over the backend's ops; the stack, the layout and the block projection are shared with
// LSTM (layers/recurrent.hpp).
#include "layers/recurrent.hpp"

namespace rtn {

struct GruCell {
  // Frame rows r, z, then W_hn h + b_hn (the recurrent product covers these, padded), then W_in x + b_in
  // apart from it, since r multiplies only the recurrent part of n. r and z take bias_ih + bias_hh.
  // reset_after == false: the recurrent product covers r and z only; W_hn (r*h) needs r first, so it is
  // the layout's gated product, added into the W_in x + b_in rows (which also take b_hn).
  static RecurrentLayout layout(const LayerSpec& spec, bool sigmoid_through_tanh) {
    const int hidden = spec.output_size;
    const int recurrent_gates = spec.reset_after ? 3 : 2;
    RecurrentLayout layout;
    layout.hidden = hidden;
    layout.recurrent_rows = padded_size(recurrent_gates * hidden);
    layout.frame_stride = layout.recurrent_rows + padded_size(hidden);
    layout.input_rows.assign(layout.frame_stride, -1);
    layout.recurrent_map.assign(layout.recurrent_rows, -1);
    layout.row_scale.assign(layout.frame_stride, 1.0f);
    for (int j = 0; j < recurrent_gates * hidden; ++j) layout.recurrent_map[j] = j;
    if (!spec.reset_after) {
      layout.gated_first_row = layout.recurrent_rows;
      layout.gated_map.assign(padded_size(hidden), -1);
      for (int j = 0; j < hidden; ++j) layout.gated_map[j] = 2 * hidden + j;
    }
    for (int j = 0; j < 2 * hidden; ++j) {
      layout.input_rows[j] = j;
      if (sigmoid_through_tanh) layout.row_scale[j] = 0.5f;
    }
    for (int j = 0; j < hidden; ++j) layout.input_rows[layout.recurrent_rows + j] = 2 * hidden + j;
    return layout;
  }

  // The activated r and z, then n.
  static int scratch_size(int hidden) { return padded_size(2 * hidden) + padded_size(hidden); }
  // A fixed-size kernel computes reset_after == true GRUs only (PyTorch's, and Keras' default).
  static const char* fixed_size_limit(const LayerSpec& spec) noexcept {
    return spec.reset_after ? nullptr : "a GRU with reset_after=False (Keras) has no fixed-size kernel";
  }
  static constexpr int recurrent_rows(int hidden) { return padded_size(3 * hidden); }
  static constexpr int frame_stride(int hidden) { return recurrent_rows(hidden) + padded_size(hidden); }
  // Frame rows no input feeds, in whole kPadFloats chunks (W_hn h + b_hn): a per-sample projection gives
  // them their bias only. A fixed-size kernel's layout (reset_after).
  static constexpr int input_gap_first(int hidden) { return padded_size(2 * hidden); }
  static constexpr int input_gap_end(int hidden) { return recurrent_rows(hidden); }

  template <typename Ops, typename Hidden, typename Rows>
  static void step(const RecurrentLayer& layer, const RecurrentLayout& layout, Hidden hidden, Rows rows,
                   float* gates, float* h, float*, float* out, float* scratch) noexcept {
    using Activation = GateActivation<Ops>;
    // Into scratch: over whole chunks, activating in place would overwrite the start of W_hn h + b_hn.
    float* reset_update = scratch;
    float* candidate = scratch + padded_size(2 * hidden);
    if constexpr (Activation::kSigmoidThroughTanh) {
      Ops::tanh(reset_update, gates, Activation::span(size_times<2>(hidden)));
    } else {
      Ops::sigmoid(reset_update, gates, size_times<2>(hidden));
    }
    const float* reset_gate = reset_update;
    const float* update_gate = reset_update + hidden;
    float* input_n = gates + rows;
    if (layout.gated_map.empty()) {
      const float* recurrent_n = gates + 2 * hidden;
      Ops::for_each_span(hidden, [&](auto span, int j) {
        using V = decltype(span);
        Ops::store(candidate + j, Ops::template load<V>(input_n + j) +
                                      Activation::sigmoid_gate(Ops::template load<V>(reset_gate + j)) *
                                          Ops::template load<V>(recurrent_n + j));
      });
      Ops::tanh(candidate, candidate, Activation::span(hidden));
    } else {
      // reset_after == false: r gates h before the product. `candidate` holds r*h until tanh overwrites it.
      Ops::for_each_span(hidden, [&](auto span, int j) {
        using V = decltype(span);
        Ops::store(candidate + j,
                   Activation::sigmoid_gate(Ops::template load<V>(reset_gate + j)) * Ops::template load<V>(h + j));
      });
      Ops::matvec_add(input_n, layer.gated.data(), layer.gated.stride, layer.gated.rows, candidate, hidden);
      Ops::tanh(candidate, input_n, Activation::span(hidden));
    }
    Ops::for_each_span(hidden, [&](auto span, int j) {
      using V = decltype(span);
      const V n = Ops::template load<V>(candidate + j);
      const V h_new = n + Activation::sigmoid_gate(Ops::template load<V>(update_gate + j)) * (Ops::template load<V>(h + j) - n);
      Ops::store(h + j, h_new);
      Ops::store(out + j, h_new);
    });
  }
};

template <typename Ops, int Hidden = 0>
using GruKernel = RecurrentKernel<Ops, GruCell, Hidden>;

}  // namespace rtn
