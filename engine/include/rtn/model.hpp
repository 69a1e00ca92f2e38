#pragma once
// Model: a chain of kernels, with an optional skip from the input to the output.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rtn/implementation.hpp"
#include "rtn/kernel.hpp"
#include "rtn/layer_spec.hpp"
#include "rtn/profile.hpp"
#include "rtn/weights.hpp"

namespace rtn {

struct LayerDefinition {
  LayerSpec spec;
  Weights weights;
};

// A model as a file describes it, before any kernel is built.
struct ModelDefinition {
  std::string name;
  double sample_rate = 48000.0;
  // False when the file does not state its rate (sample_rate is then the 48 kHz default), so that tools
  // such as `rtn process` do not insist on a rate nobody gave.
  bool sample_rate_known = true;
  int input_channels = 1;
  int output_channels = 1;
  bool input_skip = false;  // output += input (needs input_channels == output_channels)
  // Linear gains around the network: x = input_gain * input; y = layers(x) (+ x with input_skip);
  // output = output_gain * y. 1 leaves the signal as it is.
  float input_gain = 1.0f;
  float output_gain = 1.0f;
  std::vector<LayerDefinition> layers;
};

// Which implementation computes each layer. A per-layer entry wins over `all`, which wins over the tuning
// profile, which wins over the built-in defaults (see docs/profile.md for how the profile decides). An
// implementation that cannot compute a layer's shape (a fixed-size variant of other sizes) is an error
// when forced for that layer; forced for all layers, such layers get the default instead, with the reason.
struct BackendSelection {
  BackendSelection() = default;
  // Brace-initialisable as {backend, {}}, {implementation, {}} and {std::nullopt, {{layer, backend}}}.
  // NOLINTNEXTLINE(google-explicit-constructor): implicit, for that brace initialisation
  BackendSelection(std::optional<Implementation> all_layers, std::map<int, Implementation> layers = {})
      : all(all_layers), per_layer(std::move(layers)) {}
  // NOLINTNEXTLINE(google-explicit-constructor): implicit, for that brace initialisation
  BackendSelection(Backend all_layers, std::map<int, Implementation> layers = {})
      : all(Implementation(all_layers)), per_layer(std::move(layers)) {}

  std::optional<Implementation> all;
  std::map<int, Implementation> per_layer;  // layer index -> implementation
  // The tuning profile, as load_profile() found it (or accept_profile() took it). Empty: no profile.
  LoadedProfile profile;
  // The frames per process() call the host will use (1 for per-sample processing): the profile's
  // measurements at this block size decide.
  int block_size = 64;
};

// The implementation a layer gets when no profile decides: the fastest in our measurements on typical
// shapes among those compiled in and able to compute it, for blocks of `block` frames (see
// docs/backends.md). Never allocates.
Implementation default_implementation(const LayerSpec& spec, int block) noexcept;

struct LayerReport {
  LayerSpec spec;
  Implementation implementation;
  // Why this implementation: "forced for all layers", "forced for this layer", "profile: exact entry",
  // "profile: nearest shape lstm(in=1,hidden=32,layers=1,bias=1)", "default (no profile)",
  // "default (profile ignored: made on X, this CPU is Y)" (see DispatchDecision::reason).
  std::string reason;
  std::size_t parameters;
  double flops_per_frame;
};

class Model {
 public:
  // Checks the definition (channel counts chain from layer to layer, weights) and builds every kernel.
  // Allocates. Throws rtn::Error naming the layer and what is wrong; nothing is half-built.
  static Model build(const ModelDefinition& definition, const BackendSelection& selection = {});

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  // Allocates: scratch for blocks of up to max_block frames (process() takes longer blocks too, in
  // pieces). Calls reset(). build() prepares for 4096 frames already.
  void prepare(int max_block);
  // Clears all layer state. Never allocates.
  void reset() noexcept;
  // frames x input_channels interleaved floats in, output_frames(frames) x output_channels out (frames x
  // output_channels but for a model whose frame_period() is not 1); any frames >= 0.
  // in and out may be the same buffer (of max(in, out) channels x max(frames, max_output_frames(frames))
  // floats), whatever the channel counts and frames; other partial overlaps are not supported. frames == 0
  // does nothing (in and out may then be null). Denormals are flushed for the duration of the call.
  // Never allocates, locks, throws or does I/O.
  void process(const float* in, float* out, int frames) noexcept;
  // One frame of a mono model (per-sample use). A decimating model has a new output every few calls only
  // (when output_frames(1) is 1), and the calls between return the last one; an upsampling model writes
  // several frames per input frame, of which this returns the first (use process()). Never allocates.
  float process_sample(float in) noexcept;

  // Strided and transposed convolutions change the frame rate inside a model (docs/strided-convolutions.md):
  // the output has `output_frames` frames per `input_frames` input frames, a reduced fraction. Output frame m
  // is written by the call that takes input frame floor(m * input_frames / output_frames) (counting from
  // reset()). {1, 1} for a model without them, or whose strides cancel out.
  struct FramePeriod {
    int input_frames = 1;
    int output_frames = 1;
    bool operator==(const FramePeriod& other) const noexcept {
      return input_frames == other.input_frames && output_frames == other.output_frames;
    }
    bool operator!=(const FramePeriod& other) const noexcept { return !(*this == other); }
  };
  FramePeriod frame_period() const noexcept;
  // The output frames the next process() of `frames` input frames writes: `frames` for a period of {1, 1}.
  // Never allocates.
  int output_frames(int frames) const noexcept;
  // The most output_frames(frames) can be, whatever the phase: ceil(frames * output_frames / input_frames) of
  // the period, what to size an output buffer for. Never allocates.
  int max_output_frames(int frames) const noexcept;

  int input_channels() const noexcept;
  int output_channels() const noexcept;
  double sample_rate() const noexcept;
  int max_block() const noexcept;
  const std::string& name() const noexcept;
  std::size_t layer_count() const noexcept;
  const Kernel& layer(std::size_t index) const noexcept;
  // Each layer, its shape, cost and backend with the reason. Allocates.
  std::vector<LayerReport> describe() const;
  // What the user should know about how the model was built, e.g. that the tuning profile was ignored and
  // why. The library prints nothing; the rtn tool prints these to stderr. Never allocates.
  const std::vector<std::string>& warnings() const noexcept;

 private:
  struct State;
  explicit Model(std::unique_ptr<State> state);
  // One block of at most max_block() frames (fewer when the layers upsample: State::chain_block) through the
  // layers, the skip and the output gain; `input` is already scaled and finite, and apart from `out`. Returns
  // the output frames it wrote.
  int run_chain(const float* input, float* out, int block) noexcept;
  // Whether process() can run the layers on the caller's buffers as they are: a block of at most
  // max_block() frames (kQuick: at most State::quick_frames, checked inline), unscaled, all finite, the
  // input apart from the output.
  template <bool kQuick>
  bool takes_directly(const float* in, const float* out, int frames) const noexcept;
  // process() when the host does not flush denormals, for a block longer than State::quick_frames (its
  // finiteness checked wide), or a block not taken directly: under ScopedFlushDenormals.
  void process_guarded(const float* in, float* out, int frames) noexcept;
  // process() for the rest: blocks longer than max_block(), an input gain, non-finite input, or `in` and
  // `out` overlapping. Apart, so that the common case's code stays small.
  void process_copied(const float* in, float* out, int frames) noexcept;
  std::unique_ptr<State> state_;
};

}  // namespace rtn
