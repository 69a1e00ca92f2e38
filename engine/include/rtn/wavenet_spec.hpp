#pragma once
// The architecture of a WaveNet layer (LayerKind::wavenet): Neural Amp Modeler's WaveNet, as files of
// versions 0.5 to 0.7 describe it. A LayerSpec of kind wavenet points at one of these.
//
// A WaveNet is a chain of layer arrays. Each array mixes its input to `channels` (the 1x1 "rechannel"),
// runs its residual layers one after the other, adds what each layer sends to the head into an accumulator
// and ends with a causal "head rechannel" convolution of the accumulator. Every layer sees the condition:
// the model input, or the output of a condition network (a WaveNet of its own). Array i > 0 takes the
// previous array's layer output as its input and the previous array's head output as the start of its
// accumulator. The last array's head output, times head_scale (a weight), is the output, or the input of an
// optional post-stack head.
//
// One residual layer, with x its input (channels wide), c the condition and B the bottleneck:
//   z = film(conv(film(x))) + film(input_mixin(film(c)))   conv dilated and causal; z has 2B rows when
//   z = film(z)                                           the layer gates or blends, else B
//   a = activation(z)                                     gating none
//   a = activation(z_top) * secondary(z_bottom)           gated
//   a = s * activation(z_top) + (1 - s) * z_top           blended, s = secondary(z_bottom)
//   a = film(a)
//   x' = x + film(layer1x1(a))   (that film in blending layers only, as NAM does; x' = x without layer1x1)
//   head += film(head1x1(a))     (head += a without head1x1)
// Each film(v) is optional (WaveNetFilmSite): v * scale + shift, [scale; shift] a 1x1 convolution of c.
#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rtn/weights.hpp"

namespace rtn {

// An element-wise activation. Neural Amp Modeler's names in the comments.
struct WaveNetActivation {
  enum class Type {
    tanh,             // Tanh
    hard_tanh,        // Hardtanh
    relu,             // ReLU
    leaky_relu,       // LeakyReLU (negative_slope)
    prelu,            // PReLU (negative_slope, or negative_slopes: one per channel)
    sigmoid,          // Sigmoid
    silu,             // SiLU
    hardswish,        // Hardswish
    leaky_hard_tanh,  // LeakyHardtanh (min_val, max_val, min_slope, max_slope)
    softsign,         // Softsign
  };
  Type type = Type::tanh;
  float negative_slope = 0.01f;        // leaky_relu, and prelu when negative_slopes is empty
  std::vector<float> negative_slopes;  // prelu: one slope per channel it is applied to
  float min_val = -1.0f, max_val = 1.0f, min_slope = 0.01f, max_slope = 0.01f;  // leaky_hard_tanh

  static WaveNetActivation simple(Type type);
  // "tanh", "leaky_relu(0.2)", "prelu(0.04,0.05)", "leaky_hard_tanh(0,0.9,0,0.02)".
  std::string to_string() const;
};

enum class WaveNetGating { none, gated, blended };

// Feature-wise linear modulation by the condition: v * scale + shift (shift optional), where [scale; shift]
// is a 1x1 convolution (with bias, `groups` groups) of the condition.
struct WaveNetFilm {
  bool active = false;
  bool shift = true;
  int groups = 1;
};

// The places a layer may apply FiLM, in the order their weights come in a .nam file.
enum class WaveNetFilmSite {
  conv_pre,          // the dilated conv's input (channels)
  conv_post,         // the dilated conv's output (z rows)
  input_mixin_pre,   // the condition before the input mixin (condition_size)
  input_mixin_post,  // the input mixin's output (z rows)
  activation_pre,    // z before the activation (z rows)
  activation_post,   // the activation's output (bottleneck)
  layer1x1_post,  // layer1x1's output (channels); applied by blended layers only, as Neural Amp Modeler does
  head1x1_post,   // head1x1's output (head1x1_out)
};
constexpr int kWaveNetFilmSites = 8;
// "conv_pre", ..., as in .nam files (without the "_film" suffix).
const char* wavenet_film_site_name(WaveNetFilmSite site) noexcept;

// One residual layer of an array: what may differ from layer to layer.
struct WaveNetLayer {
  int kernel_size = 3;
  int dilation = 1;
  WaveNetActivation activation;
  WaveNetGating gating = WaveNetGating::none;
  WaveNetActivation secondary =
      WaveNetActivation::simple(WaveNetActivation::Type::sigmoid);  // gated, blended
};

struct WaveNetLayerArray {
  int input_size = 1;
  int condition_size = 1;
  int channels = 16;
  int bottleneck = 16;         // the activation's width; channels unless the file says otherwise
  int groups_input = 1;        // groups of the dilated conv
  int groups_input_mixin = 1;  // groups of the input mixin
  bool layer1x1 = true;        // the 1x1 back to channels before the residual sum
  int layer1x1_groups = 1;
  bool head1x1 = false;  // a 1x1 between the activation and the head accumulator
  int head1x1_out = 0;   // its outputs (the accumulator's width when active)
  int head1x1_groups = 1;
  std::array<WaveNetFilm, kWaveNetFilmSites> film{};  // indexed by WaveNetFilmSite
  int head_size = 1;                                  // outputs of the head rechannel
  int head_kernel_size = 1;                           // its (causal) kernel size
  bool head_bias = false;
  std::vector<WaveNetLayer> layers;  // one per dilation

  // The conv's and input mixin's outputs: 2 * bottleneck when the layer gates or blends, else bottleneck.
  int z_rows(const WaveNetLayer& layer) const noexcept;
  // What each layer adds into the head accumulator: head1x1_out with head1x1, else bottleneck.
  int head_input_size() const noexcept { return head1x1 ? head1x1_out : bottleneck; }
  const WaveNetFilm& film_at(WaveNetFilmSite site) const noexcept { return film[static_cast<int>(site)]; }
};

// Neural Amp Modeler's post-stack head: (activation, then a causal conv with bias) per entry of kernel_sizes;
// `channels` between them, out_channels at the end.
struct WaveNetPostHead {
  int channels = 1;
  int out_channels = 1;
  std::vector<int> kernel_sizes;
  WaveNetActivation activation;
};

struct WaveNetSpec {
  int input_size = 1;  // the model input's channels
  std::vector<WaveNetLayerArray> arrays;
  std::optional<WaveNetPostHead> post_head;
  // The condition network (Neural Amp Modeler's condition_dsp): run on the input, its output is every
  // layer's condition. Null: the condition is the input itself.
  std::shared_ptr<const WaveNetSpec> condition;

  // The head's output channels (the last array's head_size, or the post-stack head's out_channels).
  int output_size() const noexcept;
  // What every array's condition_size must be.
  int condition_size() const noexcept;
  // Frames of input history the network reads beyond the current one (its receptive field minus one).
  long long history_frames() const noexcept;
  // Floats of history its convolutions keep.
  long long history_floats() const noexcept;

  // A stable, readable description of everything that changes what the network computes.
  std::string to_string() const;
  // Empty when consistent; otherwise what is wrong, naming the array and layer.
  std::string validate() const;
  // Floating-point operations per frame (a multiply-add counts 2, a transcendental 1).
  double flops_per_frame() const;
  // The weight arrays, named after the modules of Neural Amp Modeler's PyTorch WaveNet and shaped as
  // PyTorch's (a 1x1 convolution's weight is [out][in/groups][1]), each name prefixed by `prefix`. The order
  // is that of a .nam file's flat weights, with the condition network's (prefix + "condition.") first.
  void append_expected_weights(std::vector<WeightShape>& shapes, const std::string& prefix = "") const;
};

}  // namespace rtn
