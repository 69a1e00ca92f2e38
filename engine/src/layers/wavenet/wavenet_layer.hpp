#pragma once
// One residual layer of a WaveNet layer array (rtn/wavenet_spec.hpp has the formulas), written once over the
// backend's ops. It updates the array's signal x in place and adds its share into the head accumulator.
#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include "aligned_buffer.hpp"
#include "layers/conv1d/causal_conv.hpp"
#include "layers/wavenet/wavenet_parts.hpp"

namespace rtn {

// A block of frames of one signal: `stride` floats per frame, room for `frames` frames.
struct FrameBuffer {
  AlignedFloats values;
  int stride = 0;

  void allocate(int channels, int frames) {
    stride = padded_size(std::max(channels, 1));
    values.assign(static_cast<std::size_t>(stride) * frames, 0.0f);
  }
  float* data() noexcept { return values.data(); }
};

// Scratch the layers of a network share (each layer uses it only while it runs), sized for the widest.
struct WaveNetScratch {
  FrameBuffer modulated;  // a FiLM'd copy of x or of the condition (conv_pre, input_mixin_pre)
  FrameBuffer mixin;      // the input mixin's output when a FiLM must see it alone
  FrameBuffer params;     // a FiLM's [scale; shift]
  FrameBuffer gate;       // a gating or blending layer's second half, activated
  FrameBuffer before;     // a blending layer's first half before its activation
  FrameBuffer side;       // layer1x1's output (when FiLM'd) or head1x1's
};

// The widths of the scratch a layer of `array` needs; the network allocates the largest.
struct WaveNetScratchWidths {
  int modulated = 0, mixin = 0, params = 0, gate = 0, before = 0, side = 0;
  void include(const WaveNetLayerArray& array, const WaveNetLayer& layer) {
    const int z = array.z_rows(layer);
    modulated = std::max({modulated, array.channels, array.condition_size});
    mixin = std::max(mixin, z);
    params = std::max({params, 2 * std::max({array.channels, array.condition_size, z, array.head1x1_out})});
    gate = std::max(gate, array.bottleneck);
    before = std::max(before, array.bottleneck);
    side = std::max({side, array.channels, array.head1x1_out});
  }
  void allocate(WaveNetScratch& scratch, int frames) const {
    scratch.modulated.allocate(modulated, frames);
    scratch.mixin.allocate(mixin, frames);
    scratch.params.allocate(params, frames);
    scratch.gate.allocate(gate, frames);
    scratch.before.allocate(before, frames);
    scratch.side.allocate(side, frames);
  }
};

// N > 0: the layer of a fixed-size kernel (xsimd.fixed): channels and z rows N, one group, so that its
// dilated convolution is the one compiled for N -> N (CausalConv<Ops, N, N>). 0: any shape.
template <typename Ops, int N = 0>
class WaveNetResidualLayer {
 public:
  // Allocates. `name`: the layer's weight prefix ("layer_arrays.0.layers.3.").
  WaveNetResidualLayer(const WaveNetLayerArray& array, const WaveNetLayer& layer, const Weights& weights,
                       const std::string& name)
      : channels_(array.channels),
        bottleneck_(array.bottleneck),
        head_width_(array.head_input_size()),
        gating_(layer.gating),
        conv_(LayerSpec::conv1d(array.channels, array.z_rows(layer), layer.kernel_size, layer.dilation,
                                array.groups_input, true),
              conv_weights(weights, name + "conv", true)),
        input_mixin_(pointwise(weights, name + "input_mixin", array.condition_size, array.z_rows(layer),
                               array.groups_input_mixin, false)),
        activation_(activation_function(layer.activation, array.bottleneck)),
        secondary_(activation_function(layer.secondary, array.bottleneck)) {
    if (array.layer1x1) {
      layer1x1_ = pointwise(weights, name + "layer1x1", array.bottleneck, array.channels,
                            array.layer1x1_groups, true);
    }
    if (array.head1x1) {
      head1x1_ = pointwise(weights, name + "head1x1", array.bottleneck, array.head1x1_out,
                           array.head1x1_groups, true);
    }
    const int z = array.z_rows(layer);
    const int widths[kWaveNetFilmSites] = {
        array.channels, z, array.condition_size, z, z, array.bottleneck, array.channels, array.head1x1_out};
    for (int site = 0; site < kWaveNetFilmSites; ++site) {
      const std::string film_name =
          name + wavenet_film_site_name(static_cast<WaveNetFilmSite>(site)) + "_film";
      films_[site] = film(weights, film_name, array.film[site], array.condition_size, widths[site]);
    }
    has_layer1x1_ = array.layer1x1;
    has_head1x1_ = array.head1x1;
    mixin_first_ = conv_.accumulates() && !films_[static_cast<int>(WaveNetFilmSite::conv_pre)].active &&
                   !films_[static_cast<int>(WaveNetFilmSite::conv_post)].active &&
                   !films_[static_cast<int>(WaveNetFilmSite::input_mixin_pre)].active &&
                   !films_[static_cast<int>(WaveNetFilmSite::input_mixin_post)].active;
    if (mixin_first_) {
      // The conv's bias joins the mixin's (zeros in NAM's files): z starts at one bias plus the mixin, the
      // same sums as adding the two biases per frame, in one vector pass.
      for (int r = 0; r < input_mixin_.matrix.stride; ++r) input_mixin_.bias[r] += conv_.bias()[r];
      input_mixin_.has_bias = true;
    }
  }

  // Allocates: the convolution's history for chunks of up to max_chunk frames.
  void prepare(int max_chunk) { conv_.prepare(max_chunk); }
  void reset() noexcept { conv_.reset(); }

  // One chunk of `frames` frames. x: channels wide, updated in place; head: head_width wide, accumulated.
  void process(float* x, int x_stride, const float* condition, int condition_stride, float* head,
               int head_stride, int frames, WaveNetScratch& scratch) noexcept {
    FrameBuffer& params = scratch.params;
    const auto modulate = [&](WaveNetFilmSite site, float* y, int y_stride, const float* source,
                              int source_stride) {
      apply_film<Ops>(films_[static_cast<int>(site)], y, y_stride, source, source_stride, condition,
                      condition_stride, params.data(), params.stride, frames);
    };
    const auto active = [&](WaveNetFilmSite site) { return films_[static_cast<int>(site)].active; };

    // z = conv(x) + input_mixin(condition), each with its FiLMs; z lives in the convolution's output.
    float* z = nullptr;
    const int z_stride = conv_.output_stride();
    if (mixin_first_) {
      // Without those FiLMs: z starts at the biases plus the mixin, and the convolution adds onto it (one
      // pass over the chunk fewer).
      z = conv_.sums();
      pointwise_set<Ops>(input_mixin_, z, z_stride, condition, condition_stride, frames);
      conv_.accumulate(x, x_stride, frames);
    } else {
      const float* conv_in = x;
      int conv_in_stride = x_stride;
      if (active(WaveNetFilmSite::conv_pre)) {
        modulate(WaveNetFilmSite::conv_pre, scratch.modulated.data(), scratch.modulated.stride, x, x_stride);
        conv_in = scratch.modulated.data();
        conv_in_stride = scratch.modulated.stride;
      }
      z = conv_.process(conv_in, conv_in_stride, frames);
      const int z_rows = input_mixin_.matrix.rows;
      if (active(WaveNetFilmSite::conv_post)) modulate(WaveNetFilmSite::conv_post, z, z_stride, z, z_stride);
      const float* mixin_in = condition;
      int mixin_in_stride = condition_stride;
      if (active(WaveNetFilmSite::input_mixin_pre)) {
        modulate(WaveNetFilmSite::input_mixin_pre, scratch.modulated.data(), scratch.modulated.stride,
                 condition, condition_stride);
        mixin_in = scratch.modulated.data();
        mixin_in_stride = scratch.modulated.stride;
      }
      if (active(WaveNetFilmSite::input_mixin_post)) {
        FrameBuffer& mixin = scratch.mixin;
        pointwise_set<Ops>(input_mixin_, mixin.data(), mixin.stride, mixin_in, mixin_in_stride, frames);
        modulate(WaveNetFilmSite::input_mixin_post, mixin.data(), mixin.stride, mixin.data(), mixin.stride);
        add_frames(z, z_stride, mixin.data(), mixin.stride, z_rows, frames);
      } else {
        pointwise_product<Ops>(input_mixin_, z, z_stride, mixin_in, mixin_in_stride, frames);
      }
    }
    if (active(WaveNetFilmSite::activation_pre))
      modulate(WaveNetFilmSite::activation_pre, z, z_stride, z, z_stride);

    // a = the activated bottleneck, in z's first rows.
    activate_z(z, z_stride, frames, scratch);
    if (active(WaveNetFilmSite::activation_post))
      modulate(WaveNetFilmSite::activation_post, z, z_stride, z, z_stride);

    // x += layer1x1(a). Neural Amp Modeler applies layer1x1's FiLM in blending layers only; so do we, to
    // compute what its files mean.
    if (has_layer1x1_) {
      if (gating_ == WaveNetGating::blended && active(WaveNetFilmSite::layer1x1_post)) {
        FrameBuffer& side = scratch.side;
        pointwise_set<Ops>(layer1x1_, side.data(), side.stride, z, z_stride, frames);
        modulate(WaveNetFilmSite::layer1x1_post, side.data(), side.stride, side.data(), side.stride);
        add_frames(x, x_stride, side.data(), side.stride, channels_, frames);
      } else if (!has_head1x1_) {
        // x += b and head += a in one pass, then x += W a. A register's worth of floats at a time (fixed trip
        // counts, no aliasing checks): over the padding too when that is only zeros or scratch (no gating:
        // z's padded rows are activated zeros, and the head's padding is never read).
        const float* __restrict bias = layer1x1_.bias.data();
        const int width = padded_size(channels_);
        const int head_width = gating_ == WaveNetGating::none ? padded_size(head_width_) : head_width_;
        for (int f = 0; f < frames; ++f) {
          float* __restrict x_frame = x + static_cast<std::ptrdiff_t>(f) * x_stride;
          float* __restrict head_frame = head + static_cast<std::ptrdiff_t>(f) * head_stride;
          const float* __restrict a = z + static_cast<std::ptrdiff_t>(f) * z_stride;
          for (int i0 = 0; i0 < width; i0 += kPadFloats) {
            for (int i = i0; i < i0 + kPadFloats; ++i) x_frame[i] += bias[i];
          }
          int i = 0;
          for (; i + kPadFloats <= head_width; i += kPadFloats) {
            for (int k = i; k < i + kPadFloats; ++k) head_frame[k] += a[k];
          }
          for (; i < head_width; ++i) head_frame[i] += a[i];
        }
        pointwise_product<Ops>(layer1x1_, x, x_stride, z, z_stride, frames);
        return;
      } else {
        pointwise_add<Ops>(layer1x1_, x, x_stride, z, z_stride, frames);
      }
    }

    // head += head1x1(a) (with its FiLM), or a itself.
    if (has_head1x1_) {
      FrameBuffer& side = scratch.side;
      pointwise_set<Ops>(head1x1_, side.data(), side.stride, z, z_stride, frames);
      if (active(WaveNetFilmSite::head1x1_post)) {
        modulate(WaveNetFilmSite::head1x1_post, side.data(), side.stride, side.data(), side.stride);
      }
      add_frames(head, head_stride, side.data(), side.stride, head_width_, frames);
    } else {
      add_frames(head, head_stride, z, z_stride, head_width_, frames);
    }
  }

 private:
  // The activation (gated or blended by z's second half) into z's first bottleneck rows.
  void activate_z(float* z, int z_stride, int frames, WaveNetScratch& scratch) noexcept {
    const int width = bottleneck_;
    if (gating_ == WaveNetGating::none) {
      activate_frames<Ops>(activation_, z, z_stride, width, frames);
      return;
    }
    // The second half (and, blending, the first as it was) go to scratch frames of their own, so that every
    // activation runs over whole registers; then the first half is activated in place.
    FrameBuffer& gate = scratch.gate;
    FrameBuffer& before = scratch.before;
    const bool blended = gating_ == WaveNetGating::blended;
    for (int f = 0; f < frames; ++f) {
      const float* top = z + static_cast<std::ptrdiff_t>(f) * z_stride;
      float* gate_frame = gate.data() + static_cast<std::ptrdiff_t>(f) * gate.stride;
      for (int i = 0; i < width; ++i) gate_frame[i] = top[width + i];
      if (blended) {
        float* before_frame = before.data() + static_cast<std::ptrdiff_t>(f) * before.stride;
        for (int i = 0; i < width; ++i) before_frame[i] = top[i];
      }
    }
    activate_frames<Ops>(secondary_, gate.data(), gate.stride, width, frames);
    // In place over the padded width: that overwrites the start of the second half, already copied.
    if (activation_.element_wise() && padded_size(width) == z_stride) {
      activate<Ops>(activation_, z, z, z_stride * frames);
    } else {
      const int span = activation_.element_wise() ? padded_size(width) : width;
      for (int f = 0; f < frames; ++f) {
        float* top = z + static_cast<std::ptrdiff_t>(f) * z_stride;
        activate<Ops>(activation_, top, top, span);
      }
    }
    for (int f = 0; f < frames; ++f) {
      gate_or_blend(z + static_cast<std::ptrdiff_t>(f) * z_stride,
                    gate.data() + static_cast<std::ptrdiff_t>(f) * gate.stride,
                    blended ? before.data() + static_cast<std::ptrdiff_t>(f) * before.stride : nullptr, width);
    }
  }

  int channels_;
  int bottleneck_;
  int head_width_;
  WaveNetGating gating_;
  CausalConv<Ops, N, N> conv_;
  Pointwise input_mixin_;
  Pointwise layer1x1_;
  Pointwise head1x1_;
  bool has_layer1x1_ = true;
  bool has_head1x1_ = false;
  bool mixin_first_ = false;  // z starts at the conv's bias plus the mixin, the conv accumulates onto it
  ActivationFunction activation_;
  ActivationFunction secondary_;
  std::array<Film, kWaveNetFilmSites> films_;
};

}  // namespace rtn
