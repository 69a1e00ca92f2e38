#pragma once
// The WaveNet with time in the SIMD lanes (xsimd.lanes): the network of wavenet_kernel.hpp computed on
// channel-major chunks (backends/xsimd_lane_ops.hpp), for networks narrow enough that a frame's channels fill
// a fraction of a register: Neural Amp Modeler's A2 (8 and 3 channels), its nano, feather and lite presets (2
// to 12). Each layer is two products over the chunk: z = conv(x) + mixin(condition) + bias as one product
// whose inputs are x's delayed rows and the condition's rows, and x + layer1x1(a) + bias written straight
// into the next layer's history (lane_history.hpp: no copy of x per layer); the activation and the head's sum
// run over whole rows, in one pass for tanh.
//
// It computes the networks that supports_lanes() accepts: no condition network, FiLM, grouped convolutions,
// head1x1 or post-stack head, and element-wise activations (not PReLU) - what NAM's presets and A2 use; the
// generic kernel computes the rest.
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "aligned_buffer.hpp"
#include "backends/fast_math.hpp"
#include "layers/wavenet/lane_conv.hpp"
#include "layers/wavenet/wavenet_parts.hpp"
#include "rtn/kernel.hpp"
#include "rtn/wavenet_spec.hpp"

namespace rtn {

inline namespace RTN_ISA_NAMESPACE {

// y = f(y) on `rows` rows `stride` apart, over the first `frames` frames rounded to whole registers.
template <typename Ops>
void activate_lane_rows(const ActivationFunction& function, float* y, int stride, int rows, int frames) noexcept {
  const int span = padded_size(frames);
  if (span == stride) {
    activate<Ops>(function, y, y, rows * stride);
    return;
  }
  for (int r = 0; r < rows; ++r) {
    float* row = y + static_cast<std::ptrdiff_t>(r) * stride;
    activate<Ops>(function, row, row, span);
  }
}

// y += x over n floats.
inline void add_row(float* __restrict y, const float* __restrict x, int n) noexcept {
  for (int t = 0; t < n; ++t) y[t] += x[t];
}

// a = f(z) in place on `rows` rows `z_stride` apart, and head += a (rows head_stride apart), over the first
// `frames` frames rounded to whole registers. tanh, every Neural Amp Modeler preset's, in one pass, each
// batch of a added to the head while it is in a register; the others after their activation pass.
template <typename Ops>
void activate_into_head(const ActivationFunction& function, float* z, int z_stride, float* head,
                        std::ptrdiff_t head_stride, int rows, int frames) noexcept {
  const int span = padded_size(frames);
  if (function.spec.type != WaveNetActivation::Type::tanh) {
    activate_lane_rows<Ops>(function, z, z_stride, rows, frames);
    for (int r = 0; r < rows; ++r)
      add_row(head + r * head_stride, z + static_cast<std::ptrdiff_t>(r) * z_stride, span);
    return;
  }
  using Batch = LaneOps::Batch;
  for (int r = 0; r < rows; ++r) {
    float* z_row = z + static_cast<std::ptrdiff_t>(r) * z_stride;
    float* head_row = head + r * head_stride;
    for (int t = 0; t < span; t += LaneOps::kWidth) {
      const Batch a = fast_math::tanh(Batch::load_unaligned(z_row + t));
      a.store_unaligned(z_row + t);
      (Batch::load_unaligned(head_row + t) + a).store_unaligned(head_row + t);
    }
  }
}

// Scratch the residual layers share: z (conv + mixin) and, for blending, the activation's input.
struct LaneScratch {
  LaneRows z;
  LaneRows before;
};

// One residual layer (wavenet_layer.hpp's formulas), x and the head accumulator updated in place.
template <typename Ops>
class LaneResidualLayer {
 public:
  // Allocates. `name`: the layer's weight prefix ("layer_arrays.0.layers.3.").
  LaneResidualLayer(const WaveNetLayerArray& array, const WaveNetLayer& layer, const Weights& weights,
                    const std::string& name)
      : channels_(array.channels),
        bottleneck_(array.bottleneck),
        condition_size_(array.condition_size),
        gating_(layer.gating),
        conv_(array.channels, array.z_rows(layer), layer.kernel_size, layer.dilation,
              weights.at(name + "conv.weight").values, array.condition_size),
        z_bias_(weights.at(name + "conv.bias").values),
        layer1x1_(lane_columns(weights.at(name + "layer1x1.weight").values, array.channels, array.bottleneck, 1)),
        layer1x1_bias_(weights.at(name + "layer1x1.bias").values),
        activation_(activation_function(layer.activation, array.bottleneck)),
        secondary_(activation_function(layer.secondary, array.bottleneck)),
        a_rows_(static_cast<std::size_t>(array.bottleneck)) {
    // The input mixin's columns after the taps': z = conv(x) + mixin(condition) in one product.
    const std::vector<float> mixin =
        lane_columns(weights.at(name + "input_mixin.weight").values, conv_.out(), array.condition_size, 1);
    conv_.columns().insert(conv_.columns().end(), mixin.begin(), mixin.end());
  }

  void prepare(int max_frames) { conv_.prepare(max_frames); }
  void reset() noexcept { conv_.reset(); }

  // Where the layer's input x is to be written (channels rows, input_stride() apart): in the history of its
  // convolution, which keeps it without a copy.
  float* input() noexcept { return conv_.input(); }
  std::ptrdiff_t input_stride() const noexcept { return conv_.input_stride(); }

  // The chunk of `frames` frames written at input(): head += a, and the layer's output x + W a + b to x_next.
  // condition: condition_size rows; head: bottleneck rows; x_next: channels rows; z: the scratch, `stride`
  // apart.
  void process(float* x_next, std::ptrdiff_t x_next_stride, const float* condition,
               std::ptrdiff_t condition_stride, float* head, std::ptrdiff_t head_stride, int stride,
               int frames, LaneScratch& scratch) noexcept {
    const float** mixin_inputs = conv_.append(frames);
    for (int c = 0; c < condition_size_; ++c) mixin_inputs[c] = condition + c * condition_stride;
    float* z = scratch.z.values.data();
    conv_.product(z, stride, z_bias_.data(), frames);
    activate_z(z, stride, head, head_stride, frames, scratch);
    for (int b = 0; b < bottleneck_; ++b) a_rows_[b] = z + static_cast<std::ptrdiff_t>(b) * stride;
    LaneOps::product(x_next, x_next_stride, layer1x1_.data(), channels_, layer1x1_bias_.data(),
                     a_rows_.data(), bottleneck_, channels_, frames, conv_.latest_input(),
                     conv_.input_stride());
  }

 private:
  // a = the activation of z's first bottleneck rows, gated or blended by its second half, in z's first rows;
  // head += a.
  void activate_z(float* z, int stride, float* head, std::ptrdiff_t head_stride, int frames,
                  LaneScratch& scratch) noexcept {
    if (gating_ == WaveNetGating::none) {
      activate_into_head<Ops>(activation_, z, stride, head, head_stride, bottleneck_, frames);
      return;
    }
    const std::ptrdiff_t half = static_cast<std::ptrdiff_t>(bottleneck_) * stride;
    const bool blended = gating_ == WaveNetGating::blended;
    if (blended) std::copy(z, z + half, scratch.before.values.data());
    float* gate = z + half;
    activate_lane_rows<Ops>(secondary_, gate, stride, bottleneck_, frames);
    activate_lane_rows<Ops>(activation_, z, stride, bottleneck_, frames);
    const int span = padded_size(frames);
    for (int b = 0; b < bottleneck_; ++b) {
      const std::ptrdiff_t row = static_cast<std::ptrdiff_t>(b) * stride;
      gate_or_blend(z + row, gate + row, blended ? scratch.before.values.data() + row : nullptr, span);
      add_row(head + b * head_stride, z + row, span);
    }
  }

  int channels_;
  int bottleneck_;
  int condition_size_;
  WaveNetGating gating_;
  LaneConv conv_;
  std::vector<float> z_bias_;
  std::vector<float> layer1x1_;
  std::vector<float> layer1x1_bias_;
  ActivationFunction activation_;
  ActivationFunction secondary_;
  std::vector<const float*> a_rows_;
};

// One layer array (wavenet_kernel.hpp's WaveNetLayerArrayKernel, channel-major).
template <typename Ops>
class LaneLayerArray {
 public:
  // Allocates. `name`: the array's weight prefix ("layer_arrays.0.").
  LaneLayerArray(const WaveNetLayerArray& array, const Weights& weights, const std::string& name)
      : input_size_(array.input_size),
        channels_(array.channels),
        head_width_(array.head_input_size()),
        rechannel_(lane_columns(weights.at(name + "rechannel.weight").values, array.channels, array.input_size, 1)),
        head_rechannel_(array.head_input_size(), array.head_size, array.head_kernel_size, 1,
                        weights.at(name + "head_rechannel.weight").values, 0),
        in_rows_(static_cast<std::size_t>(array.input_size)) {
    if (array.head_bias) head_bias_ = weights.at(name + "head_rechannel.bias").values;
    for (std::size_t l = 0; l < array.layers.size(); ++l) {
      layers_.emplace_back(array, array.layers[l], weights, name + "layers." + std::to_string(l) + ".");
    }
  }

  // Allocates.
  void prepare(int max_frames) {
    x_.allocate(channels_, max_frames);
    head_output_.allocate(head_rechannel_.out(), max_frames);
    for (auto& layer : layers_) layer.prepare(max_frames);
    head_rechannel_.prepare(max_frames);
  }
  void reset() noexcept {
    for (auto& layer : layers_) layer.reset();
    head_rechannel_.reset();
  }

  // One chunk. in: input_size rows; condition: condition_size rows; head_in: the previous array's head output
  // (this array's head width in rows) or null for the first array. All rows `stride` apart. The signal goes
  // from each layer's output straight into the next one's history, the head accumulates in its convolution's.
  void process(const float* in, const float* condition, const float* head_in, int stride, int frames,
               LaneScratch& scratch) noexcept {
    for (int i = 0; i < input_size_; ++i) in_rows_[i] = in + static_cast<std::ptrdiff_t>(i) * stride;
    // (An array has at least one layer: WaveNetSpec::validate.)
    LaneOps::product(layers_.front().input(), layers_.front().input_stride(), rechannel_.data(), channels_,
                     nullptr, in_rows_.data(), input_size_, channels_, frames);
    float* head = head_rechannel_.input();
    const std::ptrdiff_t head_stride = head_rechannel_.input_stride();
    const int span = padded_size(frames);
    for (int r = 0; r < head_width_; ++r) {
      float* row = head + r * head_stride;
      if (head_in) {
        std::copy(head_in + static_cast<std::ptrdiff_t>(r) * stride,
                  head_in + static_cast<std::ptrdiff_t>(r) * stride + span, row);
      } else {
        std::fill(row, row + span, 0.0f);
      }
    }
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const bool last = l + 1 == layers_.size();
      layers_[l].process(last ? x_.values.data() : layers_[l + 1].input(),
                         last ? stride : layers_[l + 1].input_stride(), condition, stride, head, head_stride,
                         stride, frames, scratch);
    }
    head_rechannel_.append(frames);
    head_rechannel_.product(head_output_.values.data(), stride,
                            head_bias_.empty() ? nullptr : head_bias_.data(), frames);
  }

  const float* layer_output() const noexcept { return x_.values.data(); }
  const float* head_output() const noexcept { return head_output_.values.data(); }

 private:
  int input_size_;
  int channels_;
  int head_width_;
  std::vector<float> rechannel_;
  std::vector<LaneResidualLayer<Ops>> layers_;
  LaneConv head_rechannel_;
  std::vector<float> head_bias_;  // empty without one
  LaneRows x_;                    // the last layer's output
  LaneRows head_output_;
  std::vector<const float*> in_rows_;
};

// The kernel: chunks of the block transposed to channel-major rows, through the arrays, the head's output
// scaled and transposed back.
template <typename Ops>
class WaveNetLanesKernel final : public Kernel {
 public:
  // Frames per chunk: whole registers of frames for the products, the rows of a layer's scratch in L1.
  static constexpr int kMaxChunk = 64;

  // Allocates.
  WaveNetLanesKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend), head_scale_(weights.at("head_scale").values.at(0)) {
    const WaveNetSpec& network = *spec.architecture;
    for (std::size_t a = 0; a < network.arrays.size(); ++a) {
      const WaveNetLayerArray& array = network.arrays[a];
      arrays_.emplace_back(array, weights, "layer_arrays." + std::to_string(a) + ".");
      for (const WaveNetLayer& layer : array.layers) {
        z_rows_ = std::max(z_rows_, array.z_rows(layer));
        if (layer.gating == WaveNetGating::blended) before_rows_ = std::max(before_rows_, array.bottleneck);
      }
    }
  }

  void prepare(int max_block) override {
    chunk_ = std::clamp(max_block, 1, kMaxChunk);
    input_.allocate(input_size(), chunk_);
    scratch_.z.allocate(z_rows_, chunk_);
    scratch_.before.allocate(before_rows_, chunk_);
    for (auto& array : arrays_) array.prepare(chunk_);
    reset();
  }
  void reset() noexcept override {
    for (auto& array : arrays_) array.reset();
  }

  void process(const float* in, float* out, int frames) noexcept override {
    const int in_channels = input_size(), out_channels = output_size();
    const int stride = input_.stride;
    while (frames > 0) {
      const int count = std::min(frames, chunk_);
      // The input's rows, zero past the chunk (the products read whole registers).
      std::fill(input_.values.begin(), input_.values.end(), 0.0f);
      for (int f = 0; f < count; ++f) {
        for (int c = 0; c < in_channels; ++c) input_.row(c)[f] = in[static_cast<std::ptrdiff_t>(f) * in_channels + c];
      }
      const float* array_in = input_.values.data();
      const float* head_in = nullptr;
      for (auto& array : arrays_) {
        array.process(array_in, input_.values.data(), head_in, stride, count, scratch_);
        array_in = array.layer_output();
        head_in = array.head_output();
      }
      for (int f = 0; f < count; ++f) {
        for (int c = 0; c < out_channels; ++c) {
          out[static_cast<std::ptrdiff_t>(f) * out_channels + c] =
              head_scale_ * head_in[static_cast<std::ptrdiff_t>(c) * stride + f];
        }
      }
      in += static_cast<std::ptrdiff_t>(count) * in_channels;
      out += static_cast<std::ptrdiff_t>(count) * out_channels;
      frames -= count;
    }
  }

 private:
  float head_scale_;
  std::vector<LaneLayerArray<Ops>> arrays_;
  int z_rows_ = 1;
  int before_rows_ = 0;
  LaneRows input_;
  LaneScratch scratch_;
  int chunk_ = 1;
};

}  // namespace RTN_ISA_NAMESPACE
}  // namespace rtn
