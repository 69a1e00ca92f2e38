#pragma once
// WaveNet (LayerKind::wavenet): a whole Neural Amp Modeler WaveNet, its layer arrays, head and condition
// network, as one kernel, written once over the backend's ops. One kernel, because every layer of every array
// reads the model input (or the condition network's output) besides its own input, which a chain of
// single-input kernels could not give it.
//
// A block is computed in chunks of up to kMaxChunk frames; within a chunk every array runs over all frames
// before the next, and every layer of an array likewise. The convolutions keep their own history
// (CausalConv), so any chunking gives the same output.
#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "layers/conv1d/causal_conv.hpp"
#include "layers/wavenet/wavenet_layer.hpp"
#include "layers/wavenet/wavenet_parts.hpp"
#include "rtn/kernel.hpp"
#include "rtn/wavenet_spec.hpp"

namespace rtn {

// N: as for WaveNetResidualLayer (0, or the fixed size of every layer).
template <typename Ops, int N = 0>
class WaveNetLayerArrayKernel {
 public:
  // Allocates. `name`: the array's weight prefix ("layer_arrays.0.").
  WaveNetLayerArrayKernel(const WaveNetLayerArray& array, const Weights& weights, const std::string& name)
      : channels_(array.channels),
        head_width_(array.head_input_size()),
        rechannel_(pointwise(weights, name + "rechannel", array.input_size, array.channels, 1, false)),
        head_rechannel_(LayerSpec::conv1d(array.head_input_size(), array.head_size, array.head_kernel_size, 1,
                                          1, array.head_bias),
                        conv_weights(weights, name + "head_rechannel", array.head_bias)) {
    for (std::size_t l = 0; l < array.layers.size(); ++l) {
      layers_.emplace_back(array, array.layers[l], weights, name + "layers." + std::to_string(l) + ".");
    }
  }

  // Allocates.
  void prepare(int max_chunk) {
    x_.allocate(channels_, max_chunk);
    head_.allocate(head_width_, max_chunk);
    for (auto& layer : layers_) layer.prepare(max_chunk);
    head_rechannel_.prepare(max_chunk);
  }
  void reset() noexcept {
    for (auto& layer : layers_) layer.reset();
    head_rechannel_.reset();
  }

  // One chunk. `head_in`: the previous array's head output (its head_size == this array's head width), or
  // null for the first array, whose accumulator starts at zero. Afterwards layer_output() and head_output()
  // hold this array's results.
  void process(const float* in, int in_stride, const float* condition, int condition_stride,
               const float* head_in, int head_in_stride, int frames, WaveNetScratch& scratch) noexcept {
    float* x = x_.data();
    pointwise_set<Ops>(rechannel_, x, x_.stride, in, in_stride, frames);
    float* head = head_.data();
    for (int f = 0; f < frames; ++f) {
      float* frame = head + static_cast<std::ptrdiff_t>(f) * head_.stride;
      // The padding too: the layers may accumulate scratch there, which must not grow chunk after chunk.
      int c = 0;
      if (head_in) {
        const float* source = head_in + static_cast<std::ptrdiff_t>(f) * head_in_stride;
        for (; c < head_width_; ++c) frame[c] = source[c];
      }
      for (; c < head_.stride; ++c) frame[c] = 0.0f;
    }
    for (auto& layer : layers_)
      layer.process(x, x_.stride, condition, condition_stride, head, head_.stride, frames, scratch);
    head_output_ = head_rechannel_.process(head, head_.stride, frames);
  }

  const float* layer_output() const noexcept { return x_.values.data(); }
  int layer_output_stride() const noexcept { return x_.stride; }
  float* head_output() const noexcept { return head_output_; }
  int head_output_stride() const noexcept { return head_rechannel_.output_stride(); }

 private:
  int channels_;
  int head_width_;
  Pointwise rechannel_;
  std::vector<WaveNetResidualLayer<Ops, N>> layers_;
  CausalConv<Ops> head_rechannel_;
  FrameBuffer x_;     // the signal through the layers (channels)
  FrameBuffer head_;  // the head accumulator (head width)
  float* head_output_ = nullptr;
};

// One WaveNet: its condition network (another WaveNet, always the generic kernel) if any, its arrays and its
// post-stack head. N: as for WaveNetResidualLayer.
template <typename Ops, int N = 0>
class WaveNetNetwork {
 public:
  // Allocates. `prefix`: "" for the model's network, "condition." for its condition network, and so on.
  WaveNetNetwork(const WaveNetSpec& spec, const Weights& weights, const std::string& prefix)
      : output_size_(spec.output_size()), head_scale_(weights.at(prefix + "head_scale").values.at(0)) {
    if (spec.condition)
      condition_ = std::make_unique<WaveNetNetwork<Ops>>(*spec.condition, weights, prefix + "condition.");
    for (std::size_t a = 0; a < spec.arrays.size(); ++a) {
      const WaveNetLayerArray& array = spec.arrays[a];
      arrays_.emplace_back(array, weights, prefix + "layer_arrays." + std::to_string(a) + ".");
      for (const WaveNetLayer& layer : array.layers) scratch_widths_.include(array, layer);
    }
    if (spec.post_head) {
      const WaveNetPostHead& head = *spec.post_head;
      int in = spec.arrays.back().head_size;
      for (std::size_t i = 0; i < head.kernel_sizes.size(); ++i) {
        const int out = i + 1 == head.kernel_sizes.size() ? head.out_channels : head.channels;
        post_head_.emplace_back(LayerSpec::conv1d(in, out, head.kernel_sizes[i], 1, 1, true),
                                conv_weights(weights, prefix + "head.layers." + std::to_string(i), true));
        post_head_widths_.push_back(in);
        in = out;
      }
      post_activation_ = activation_function(
          head.activation, *std::max_element(post_head_widths_.begin(), post_head_widths_.end()));
    }
  }

  int output_size() const noexcept { return output_size_; }

  // Allocates: everything for chunks of up to max_chunk frames.
  void prepare(int max_chunk) {
    if (condition_) condition_->prepare(max_chunk);
    for (auto& array : arrays_) array.prepare(max_chunk);
    for (auto& conv : post_head_) conv.prepare(max_chunk);
    scratch_widths_.allocate(scratch_, max_chunk);
    output_.allocate(post_head_.empty() ? output_size_ : post_head_widths_.front(), max_chunk);
  }
  void reset() noexcept {
    if (condition_) condition_->reset();
    for (auto& array : arrays_) array.reset();
    for (auto& conv : post_head_) conv.reset();
  }

  // One chunk of `frames` frames of input (input_size channels, in_stride apart). Returns the output,
  // output_size() channels per frame, output_stride() apart; valid until the next call.
  const float* process(const float* in, int in_stride, int frames) noexcept {
    const float* condition = in;
    int condition_stride = in_stride;
    if (condition_) {
      condition = condition_->process(in, in_stride, frames);
      condition_stride = condition_->output_stride();
    }
    const float* array_in = in;
    int array_in_stride = in_stride;
    const float* head_in = nullptr;
    int head_in_stride = 0;
    for (auto& array : arrays_) {
      array.process(array_in, array_in_stride, condition, condition_stride, head_in, head_in_stride, frames,
                    scratch_);
      array_in = array.layer_output();
      array_in_stride = array.layer_output_stride();
      head_in = array.head_output();
      head_in_stride = array.head_output_stride();
    }
    // The head's output times head_scale is the output, or the post-stack head's input.
    const int width = post_head_.empty() ? output_size_ : post_head_widths_.front();
    float* scaled = output_.data();
    for (int f = 0; f < frames; ++f) {
      const float* source = head_in + static_cast<std::ptrdiff_t>(f) * head_in_stride;
      float* target = scaled + static_cast<std::ptrdiff_t>(f) * output_.stride;
      for (int c = 0; c < width; ++c) target[c] = head_scale_ * source[c];
    }
    output_stride_ = output_.stride;
    if (post_head_.empty()) return scaled;
    float* signal = scaled;
    int stride = output_.stride;
    for (std::size_t i = 0; i < post_head_.size(); ++i) {
      activate_frames<Ops>(post_activation_, signal, stride, post_head_widths_[i], frames);
      signal = post_head_[i].process(signal, stride, frames);
      stride = post_head_[i].output_stride();
    }
    output_stride_ = stride;
    return signal;
  }

  int output_stride() const noexcept { return output_stride_; }

 private:
  int output_size_;
  float head_scale_;
  std::unique_ptr<WaveNetNetwork<Ops>> condition_;
  std::vector<WaveNetLayerArrayKernel<Ops, N>> arrays_;
  std::vector<CausalConv<Ops>> post_head_;
  std::vector<int> post_head_widths_;  // the input width of each post-head conv
  ActivationFunction post_activation_;
  WaveNetScratchWidths scratch_widths_;
  WaveNetScratch scratch_;
  FrameBuffer output_;  // the scaled head output
  int output_stride_ = 0;
};

// N > 0: the fixed-size kernel (xsimd.fixed) of a network for which supports_fixed_size(N) holds.
// Whether every residual layer of the network (not its condition network's) has `channels` channels and z
// rows, in one group: what a fixed-size kernel of that size computes.
inline bool supports_fixed_size(const WaveNetSpec& spec, int channels) noexcept {
  for (const WaveNetLayerArray& array : spec.arrays) {
    if (array.channels != channels || array.groups_input != 1) return false;
    for (const WaveNetLayer& layer : array.layers) {
      if (array.z_rows(layer) != channels) return false;
    }
  }
  return true;
}

template <typename Ops, int N = 0>
class WaveNetKernel final : public Kernel {
 public:
  // Frames per pass: bounds the scratch and the convolutions' rings whatever the block size, while keeping
  // the matrix products long enough to run at full speed.
  static constexpr int kMaxChunk = 64;

  WaveNetKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Ops::backend), network_(*spec.architecture, weights, "") {}

  void prepare(int max_block) override {
    chunk_ = std::clamp(max_block, 1, kMaxChunk);
    network_.prepare(chunk_);
    reset();
  }
  void reset() noexcept override { network_.reset(); }

  void process(const float* in, float* out, int frames) noexcept override {
    const int in_channels = input_size(), out_channels = output_size();
    while (frames > 0) {
      const int count = std::min(frames, chunk_);
      const float* result = network_.process(in, in_channels, count);
      copy_frames(out, out_channels, result, network_.output_stride(), count);
      in += static_cast<std::ptrdiff_t>(count) * in_channels;
      out += static_cast<std::ptrdiff_t>(count) * out_channels;
      frames -= count;
    }
  }

 private:
  WaveNetNetwork<Ops, N> network_;
  int chunk_ = 1;
};

}  // namespace rtn
