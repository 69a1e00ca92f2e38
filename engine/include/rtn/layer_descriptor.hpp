#pragma once
// One description per layer kind: its name, its parameters (as model files, suites and LayerSpec's key name
// them, with their ranges), its weights, its cost, its built-in dispatch default and the shapes it is tested
// and benchmarked on. LayerSpec, the model-file reader, rtn-tune's suites, the dispatcher and the test-data
// generator all read it, so none of them lists the layer kinds itself.
//
// A built-in kind's descriptor lives in its folder (engine/src/layers/<layer>/descriptor.cpp) and is listed
// once in engine/src/layers/layers.def. A program may add a kind at run time: register_layer_kind() with
// its descriptor, then register_kernel() (rtn/registry.hpp) for each implementation of it.
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "rtn/implementation.hpp"
#include "rtn/layer_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn {

// Limits against malformed files, shared by the loaders and the parameters' ranges.
constexpr int kMaxLayerSize = 4096;            // channels, hidden size, groups, ...
constexpr long long kMaxKernelSpan = 1 << 20;  // kernel_size * dilation of one convolution
constexpr int kMaxRecurrentLayers = 64;        // num_layers of a recurrent stack

// One parameter of a layer kind and the LayerSpec field it sets.
struct LayerParameter {
  using Field = std::variant<int LayerSpec::*, bool LayerSpec::*, float LayerSpec::*>;

  // As model files and suites spell it: PyTorch's constructor argument ("hidden_size"). Empty: loaders set it
  // from what their format says (lstm's initial_state), it is not a key of rtn's JSON.
  std::string name;
  // As LayerSpec::to_string() spells it ("hidden"); empty: not part of the key.
  std::string key;
  Field field;
  // Absent from a file: an error when required, else LayerSpec's default for the field.
  bool required = false;
  // Absent from a file: the channels the layer receives (an activation's "channels").
  bool defaults_to_input = false;
  // In the key only when it differs from LayerSpec's default (added later; older profiles' keys stay valid).
  bool key_only_when_changed = false;
  int max = kMaxLayerSize;    // integers: the largest a file may give
  int min = 1;                // integers: the smallest (a padding may be 0)
  bool non_negative = false;  // numbers: must be >= 0

  // Named builders for the three types.
  static LayerParameter integer(std::string name, std::string key, int LayerSpec::*field, bool required = false,
                                int max = kMaxLayerSize);
  static LayerParameter flag(std::string name, std::string key, bool LayerSpec::*field);
  static LayerParameter number(std::string name, std::string key, float LayerSpec::*field, bool non_negative = false);
};

// A value range for random test weights.
struct WeightRange {
  float low = -1.0f;
  float high = 1.0f;
};

struct LayerDescriptor {
  // kNewKind: the registry gives the kind a value after the others (a kind registered at run time, or a
  // built-in kind that no code names by a LayerKind value).
  static constexpr LayerKind kNewKind = static_cast<LayerKind>(-1);
  LayerKind kind = kNewKind;
  std::string name;  // in model files, profiles and keys: "lstm"
  // In the key's order. The parameter whose field is input_size names the layer's input in messages.
  std::vector<LayerParameter> parameters;
  bool keeps_size = false;  // output size = input size (activations, batchnorm1d): output_size follows input_size
  // Sets the frame sizes that no parameter gives, from the other parameters (conv2d: both, from frames of
  // features x channels; pooling: the output, from the window); nullptr: the parameters (and keeps_size) set
  // them. The loaders and LayerSpec's builders call it before validate(), which says what is wrong with them.
  void (*frame_sizes)(LayerSpec& spec) = nullptr;
  bool activation = false;  // element-wise (softmax: per frame) without state; tested on 4x larger inputs
  bool recurrent = false;   // state over time: checked within 1e-4 absolute rather than 1e-5 of the peak

  // What the parameters' ranges do not say: "" when consistent, else the problem ("groups (3) must divide ...").
  std::string (*validate)(const LayerSpec& spec) = nullptr;
  // Appends the arrays the layer needs, with PyTorch's names and shapes (nullptr: none).
  void (*weights)(const LayerSpec& spec, std::vector<WeightShape>& shapes) = nullptr;
  // Floating-point operations per frame (a multiply-add counts 2, a transcendental 1); nullptr: 2 per input.
  double (*flops_per_frame)(const LayerSpec& spec) = nullptr;
  // Frames of input history beyond the current one (conv1d: (k-1)*d); nullptr: 0.
  int (*history_frames)(const LayerSpec& spec) = nullptr;
  // Input frames per output frame, for a decimating layer (conv1d's stride); nullptr: 1. Its kernels
  // override Kernel::output_frames().
  int (*time_stride)(const LayerSpec& spec) = nullptr;
  // Output frames per input frame, for an upsampling layer (conv_transpose1d's stride); nullptr: 1. Its kernels
  // override Kernel::output_frames() too.
  int (*time_upsampling)(const LayerSpec& spec) = nullptr;
  // The key after the kind's name, when the parameters cannot say it (wavenet: its architecture).
  std::string (*key)(const LayerSpec& spec) = nullptr;

  // Model files (rtn JSON). Non-empty: this kind cannot be described by its parameters, and why.
  std::string not_in_model_files;
  // Arrays a file may carry that the layer does not use (PyTorch's BatchNorm1d num_batches_tracked).
  std::vector<std::string> ignored_weights;
  // A limit against malformed files beyond each parameter's: {parameter name, problem}, or {"", ""}.
  std::pair<std::string, std::string> (*file_limit)(const LayerSpec& spec) = nullptr;

  // The dispatcher's choice without a profile (what rtn-tune measured, docs/backends.md); nullptr: xsimd.
  // The dispatcher falls back to a compiled-in implementation that can compute the shape.
  Implementation (*default_implementation)(const LayerSpec& spec, int block) = nullptr;

  // For tests and benchmarks: the shape grid every kernel of the kind is checked on, one typical shape (the
  // block-size and allocation tests), the shapes rtn-kernel-benchmark times (nullptr: the typical shape at
  // widths 8, 16, 32 and 64), and the range of random weights (nullptr: +-1/sqrt(input_size), PyTorch's).
  std::vector<LayerSpec> (*conformance_shapes)() = nullptr;
  LayerSpec (*typical_shape)() = nullptr;
  std::vector<LayerSpec> (*benchmark_shapes)() = nullptr;
  WeightRange (*test_weight_range)(const LayerSpec& spec, const WeightShape& weight) = nullptr;
};

// The descriptor of `kind`. Throws rtn::Error for a kind that is not registered.
const LayerDescriptor& layer_descriptor(LayerKind kind);
// nullptr for a kind that is not registered. Never allocates (after the first call).
// NOLINTNEXTLINE(bugprone-exception-escape): the first call builds the table; failing to do so ends the program
const LayerDescriptor* find_layer_descriptor(LayerKind kind) noexcept;
// Every registered kind, in LayerKind's order (run-time kinds last).
const std::vector<const LayerDescriptor*>& layer_descriptors();

// Adds a layer kind at run time and returns its LayerKind (a value after the others; the descriptor's own is
// ignored). The descriptor
// needs a new name, conformance_shapes and typical_shape. Allocates. Throws rtn::Error when the name is taken
// or the descriptor is incomplete. Register before building models or enumerating kinds on other threads.
LayerKind register_layer_kind(LayerDescriptor descriptor);

// The parameter of `descriptor` that sets `field`, or nullptr.
const LayerParameter* find_parameter(const LayerDescriptor& descriptor, const LayerParameter::Field& field);

}  // namespace rtn
