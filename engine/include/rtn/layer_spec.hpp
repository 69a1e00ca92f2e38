#pragma once
// LayerSpec: what a layer computes, independent of how (the backend). It is the key that tests,
// the tuner and the profile use, so it is comparable, hashable and printable.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rtn {

struct WaveNetSpec;  // rtn/wavenet_spec.hpp

// The built-in layer kinds, each described once in engine/src/layers/<layer>/descriptor.cpp
// (rtn/layer_descriptor.hpp); register_layer_kind() adds kinds at run time, with values after these.
enum class LayerKind {
  dense,
  conv1d,
  gru,
  lstm,
  batchnorm1d,
  tanh,
  relu,
  sigmoid,
  softmax,
  elu,
  prelu,
  leaky_relu,
  wavenet,  // a whole Neural Amp Modeler WaveNet (rtn/wavenet_spec.hpp)
  conv2d,
  batchnorm2d,
  maxpool1d,  // pooling along the features of each frame
  avgpool1d,
  conv_transpose1d,  // a streaming transposed convolution: `stride` output frames per input frame
};

// Every registered kind, in LayerKind's order (those registered at run time last).
const std::vector<LayerKind>& all_layer_kinds();
// The kind's name in model files and profiles: "dense", "conv1d", "leaky_relu", ...; "unknown" for a value
// that is not registered.
std::string_view layer_kind_name(LayerKind kind) noexcept;
std::optional<LayerKind> parse_layer_kind(std::string_view name) noexcept;
// True for the element-wise (or per-frame, for softmax) activations, whose output size is their input size.
bool is_activation(LayerKind kind) noexcept;

struct LayerSpec {
  LayerKind kind = LayerKind::dense;
  int input_size = 0;   // channels per frame in
  int output_size = 0;  // channels per frame out (hidden size for an RNN)
  int kernel_size = 1;  // conv1d; pooling: the window along a frame's features
  int dilation = 1;     // conv1d, maxpool1d
  int groups = 1;       // conv1d, conv2d
  // conv2d, batchnorm2d: a frame is a grid of `features` x `in_channels`, the channels of a feature one after
  // the other (Keras' and RTNeural's [time][features][channels]); input_size is their product.
  int in_channels = 1;
  int features = 1;
  int out_channels = 1;         // conv2d: channels of each output feature
  int kernel_features = 1;      // conv2d: taps along features (kernel_size and dilation are along time)
  // conv2d, pooling: the step along a frame's features. conv1d: along time, one output frame per `stride`
  // input frames (a decimating layer); conv_transpose1d: `stride` output frames per input frame (an upsampling
  // layer): docs/strided-convolutions.md.
  int stride = 1;
  bool same_padding = false;    // conv2d: TensorFlow's "same" zero padding along features, else "valid" (none)
  int padding = 0;              // pooling: implicit padding at both ends of a frame's features
  int num_layers = 1;   // gru, lstm: a stack of this many recurrent layers
  bool bias = true;     // dense, conv1d, gru, lstm
  // gru: where the reset gate acts.
  //   true (PyTorch; Keras' default):               n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
  //   false (Keras' reset_after=False, not PyTorch): n = tanh(W_in x + b_in + b_hn + W_hn (r * h))
  bool reset_after = true;
  // lstm: the weights also hold each layer's initial state (initial_h_l{n}, initial_c_l{n}), which reset()
  // restores instead of zeros (Neural Amp Modeler's LSTM stores one).
  bool initial_state = false;
  int num_parameters = 1;       // prelu: 1 (shared) or input_size (per channel)
  float alpha = 1.0f;           // elu
  float negative_slope = 0.01f; // leaky_relu
  float epsilon = 1e-5f;        // batchnorm1d, batchnorm2d
  bool count_include_pad = true;  // avgpool1d: divide by the whole window (PyTorch's default) or by its inputs
  std::shared_ptr<const WaveNetSpec> architecture;  // wavenet: what it computes (immutable, shared by copies)

  // Builders that fill in what each kind needs.
  static LayerSpec dense(int in, int out, bool bias = true);
  static LayerSpec conv1d(int in, int out, int kernel_size, int dilation = 1, int groups = 1, bool bias = true,
                          int stride = 1);
  // PyTorch ConvTranspose1d(in, out, kernel_size, stride, dilation=dilation, groups=groups, bias=bias), streaming:
  // `stride` output frames per input frame (docs/strided-convolutions.md).
  static LayerSpec conv_transpose1d(int in, int out, int kernel_size, int stride, int dilation = 1, int groups = 1,
                                    bool bias = true);
  static LayerSpec gru(int in, int hidden, int num_layers = 1, bool bias = true);  // reset_after = true
  static LayerSpec lstm(int in, int hidden, int num_layers = 1, bool bias = true);
  static LayerSpec batchnorm1d(int channels, float epsilon = 1e-5f);
  // Frames of `features` x `in_channels` in; output sizes from conv2d_output_features().
  static LayerSpec conv2d(int in_channels, int out_channels, int features, int kernel_time, int kernel_features,
                          int dilation = 1, int stride = 1, bool same_padding = false, int groups = 1,
                          bool bias = true);
  static LayerSpec batchnorm2d(int channels, int features, float epsilon = 1e-5f);
  static LayerSpec activation(LayerKind kind, int channels);  // tanh, relu, sigmoid, softmax
  static LayerSpec elu(int channels, float alpha = 1.0f);
  static LayerSpec prelu(int channels, int num_parameters);
  static LayerSpec leaky_relu(int channels, float negative_slope = 0.01f);
  // Pooling over each frame's `features` (PyTorch MaxPool1d / AvgPool1d on a [batch, 1, features] view):
  // output size floor((features + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1.
  static LayerSpec maxpool1d(int features, int kernel_size, int stride, int padding = 0, int dilation = 1);
  static LayerSpec avgpool1d(int features, int kernel_size, int stride, int padding = 0, bool count_include_pad = true);
  // Sizes from the architecture: its input_size in, its output_size() out.
  static LayerSpec wavenet(std::shared_ptr<const WaveNetSpec> architecture);

  // A stable, readable key naming only the fields that matter for this kind,
  // e.g. "lstm(in=1,hidden=40,layers=1,bias=1)". A gru with reset_after == false adds ",reset_after=0"
  // (and only then, so the keys of PyTorch-style GRUs in existing profiles stay valid).
  std::string to_string() const;
  // Empty when the spec is consistent; otherwise what is wrong ("groups (3) must divide input_size (8)").
  std::string validate() const;

  // What the kind's descriptor says (rtn/layer_descriptor.hpp). Trainable numbers the layer holds (its
  // weights' sizes). Allocates.
  std::size_t parameter_count() const;
  // Floating-point operations per frame (a multiply-add counts 2), transcendental functions count 1.
  double flops_per_frame() const;
  // Frames of input history the layer needs beyond the current frame (conv1d: (k-1)*d).
  int history_frames() const;
  // Input frames per output frame: 1, but for a decimating layer (conv1d's stride). From reset(), L input
  // frames give ceil(L / time_stride()) output frames.
  int time_stride() const;
  // Output frames per input frame: 1, but for an upsampling layer (conv_transpose1d's stride).
  int time_upsampling() const;
  // The most output frames a process() of `frames` input frames writes, whatever the layer's phase, and what
  // `frames` input frames from reset() give: ceil(frames / time_stride()) * time_upsampling().
  int max_output_frames(int frames) const;

  bool operator==(const LayerSpec& other) const;
  bool operator!=(const LayerSpec& other) const { return !(*this == other); }
};

// The output features of a conv2d: ceil(features / stride) with "same" padding, else
// floor((features - kernel_features) / stride) + 1 (0 when the kernel is wider than the frame), as TensorFlow's.
int conv2d_output_features(const LayerSpec& spec) noexcept;
// The zeros a conv2d with "same" padding puts before the features (the rest go after): TensorFlow's split.
int conv2d_padding_before(const LayerSpec& spec) noexcept;

struct LayerSpecHash {
  std::size_t operator()(const LayerSpec& spec) const noexcept;
};

}  // namespace rtn
