#pragma once
// Model: a chain of kernels, with an optional skip from the input to the output.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rtn/backend.hpp"
#include "rtn/kernel.hpp"
#include "rtn/layer_spec.hpp"
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
  int input_channels = 1;
  int output_channels = 1;
  bool input_skip = false;  // output += input (needs input_channels == output_channels)
  // Linear gains around the network: x = input_gain * input; y = layers(x) (+ x with input_skip);
  // output = output_gain * y. 1 leaves the signal as it is.
  float input_gain = 1.0f;
  float output_gain = 1.0f;
  std::vector<LayerDefinition> layers;
};

// Which backend computes each layer. A per-layer entry wins over `all`, which wins over the default.
struct BackendSelection {
  std::optional<Backend> all;
  std::map<int, Backend> per_layer;  // layer index -> backend
};

// The backend a layer gets when nothing is forced: the fastest in our measurements on typical shapes
// among those compiled in (see docs/backends.md).
Backend default_backend(const LayerSpec& spec) noexcept;

struct LayerReport {
  LayerSpec spec;
  Backend backend;
  std::string reason;  // "default", "forced for all layers", "forced for this layer"
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
  // frames x input_channels interleaved floats in, frames x output_channels out; any frames >= 0.
  // in and out may be the same buffer. Denormals are flushed for the duration of the call.
  // Never allocates, locks, throws or does I/O.
  void process(const float* in, float* out, int frames) noexcept;
  // One frame of a mono model (per-sample use). Never allocates.
  float process_sample(float in) noexcept;

  int input_channels() const noexcept;
  int output_channels() const noexcept;
  double sample_rate() const noexcept;
  int max_block() const noexcept;
  const std::string& name() const noexcept;
  std::size_t layer_count() const noexcept;
  const Kernel& layer(std::size_t index) const noexcept;
  // Each layer, its shape, cost and backend with the reason. Allocates.
  std::vector<LayerReport> describe() const;

 private:
  struct State;
  explicit Model(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace rtn
