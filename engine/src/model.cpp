#include "rtn/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "aligned_buffer.hpp"
#include "rtn/denormals.hpp"
#include "rtn/dispatcher.hpp"
#include "rtn/error.hpp"
#include "rtn/registry.hpp"

namespace rtn {

namespace {

constexpr int kDefaultMaxBlock = 4096;

std::string layer_place(std::size_t index, const LayerSpec& spec) {
  return "layers[" + std::to_string(index) + "] (" + std::string(layer_kind_name(spec.kind)) + ")";
}

bool overlaps(const float* a, std::size_t a_count, const float* b, std::size_t b_count) noexcept {
  const auto a_begin = reinterpret_cast<std::uintptr_t>(a);
  const auto b_begin = reinterpret_cast<std::uintptr_t>(b);
  return a_begin < b_begin + b_count * sizeof(float) && b_begin < a_begin + a_count * sizeof(float);
}

// Whether every value is finite, by the exponent bits (integer operations: a float test could not be
// reordered without -ffast-math). Four at a time with SSE2 (every x86-64 has it, so the portable build too),
// then one at a time: a per-sample call checks a frame of a few values, and GCC's own vectorised loop for a
// run-time count (wide registers, a prologue and an epilogue) made the whole of process() set up a larger
// stack frame, while its scalar loop took about as long as a Dense 16 kernel.
bool all_finite(const float* values, int count) noexcept {
  constexpr std::uint32_t kExponent = 0x7f800000u;  // all ones: infinity or NaN
  int i = 0;
  bool any = false;
#if defined(__SSE2__)
  const __m128i exponent = _mm_set1_epi32(static_cast<int>(kExponent));
  __m128i non_finite = _mm_setzero_si128();
  for (; i + 4 <= count; i += 4) {
    const __m128i bits = _mm_and_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(values + i)), exponent);
    non_finite = _mm_or_si128(non_finite, _mm_cmpeq_epi32(bits, exponent));
  }
  any = _mm_movemask_epi8(non_finite) != 0;
#endif
  for (; i < count; ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, values + i, sizeof bits);
    any |= (bits & kExponent) == kExponent;
  }
  return !any;
}

// In-place processing with more output than input channels, in several pieces: each piece's output
// would overwrite input that later pieces have not read yet. Moving the input to the end of the output
// buffer (no allocation: the buffer is that large) keeps every unread input frame ahead of the output
// written so far, as frame t's output ends at (t + 1) * out <= frames * (out - in) + (t + 1) * in.
const float* keep_input_ahead_of_output(const float* in, float* out, int frames, int in_channels,
                                        int out_channels) noexcept {
  const std::size_t in_count = static_cast<std::size_t>(frames) * in_channels;
  const std::size_t out_count = static_cast<std::size_t>(frames) * out_channels;
  if (out_channels <= in_channels || !overlaps(in, in_count, out, out_count)) return in;
  float* moved = out + (out_count - in_count);
  std::memmove(moved, in, in_count * sizeof(float));
  return moved;
}

}  // namespace

struct Model::State {
  ModelDefinition definition;  // metadata only: the layers' weights are dropped once laid out
  std::vector<std::unique_ptr<Kernel>> kernels;
  std::vector<Kernel*> chain;  // the kernels in order, as process() calls them
  std::vector<std::string> reasons;
  std::vector<std::string> warnings;
  int max_block = 0;
  bool plain_input = true;   // input_gain == 1: the layers may read the caller's input where it is
  bool plain_output = true;  // no input skip, output_gain == 1: the last layer's output is the model's
  int frame_period = 1;  // input frames per output frame: the product of the layers' time strides
  int widest = 0;  // the most channels any frame has between layers
  AlignedFloats input;     // the sanitised input block
  AlignedFloats ping, pong;
  AlignedFloats sample_in, sample_out;  // one frame each, for process_sample()
};

Model::Model(std::unique_ptr<State> state) : state_(std::move(state)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::build(const ModelDefinition& definition, const BackendSelection& selection) {
  if (definition.input_channels < 1) throw Error("input_channels must be at least 1");
  if (definition.output_channels < 1) throw Error("output_channels must be at least 1");
  if (definition.layers.empty()) throw Error("layers: a model needs at least one layer");
  if (!(definition.sample_rate > 0)) throw Error("sample_rate must be positive");
  if (!std::isfinite(definition.input_gain) || !std::isfinite(definition.output_gain)) {
    throw Error("input_gain and output_gain must be finite numbers");
  }
  if (definition.input_skip && definition.input_channels != definition.output_channels) {
    throw Error("input_skip needs as many output channels as input channels (" +
                std::to_string(definition.input_channels) + " in, " +
                std::to_string(definition.output_channels) + " out)");
  }
  for (const auto& [index, implementation] : selection.per_layer) {
    if (index < 0 || static_cast<std::size_t>(index) >= definition.layers.size()) {
      throw Error("backend selection names layer " + std::to_string(index) + ", but the model has " +
                  std::to_string(definition.layers.size()) + " layers");
    }
  }

  auto state = std::make_unique<State>();
  state->definition = definition;
  state->definition.layers.clear();
  int channels = definition.input_channels;
  state->widest = channels;
  state->warnings = selection.profile.warnings;
  const Dispatcher dispatcher(selection.profile);
  for (std::size_t index = 0; index < definition.layers.size(); ++index) {
    const LayerDefinition& layer = definition.layers[index];
    const std::string place = layer_place(index, layer.spec);
    if (layer.spec.input_size != channels) {
      throw Error(place + ": expects " + std::to_string(layer.spec.input_size) + " input channels, but " +
                  (index == 0 ? "the model input has " : "the previous layer gives ") + std::to_string(channels));
    }
    Implementation implementation;
    std::string reason;
    if (auto forced = selection.per_layer.find(static_cast<int>(index)); forced != selection.per_layer.end()) {
      implementation = forced->second;
      reason = "forced for this layer";
    } else if (selection.all) {
      implementation = *selection.all;
      reason = "forced for all layers";
      // A variant forced for every layer computes the layers it can; the others take its backend's generic
      // kernels. (A generic backend computes every kind, or create_kernel() says it is not compiled in.)
      const Implementation generic(implementation.backend());
      if (implementation != generic && !find_kernel(layer.spec, implementation)) {
        implementation = generic;
        reason = "forced for all layers (" + std::string(selection.all->name()) + " has no kernel for this shape)";
      }
    } else {
      DispatchDecision decision = dispatcher.choose(layer.spec, selection.block_size);
      implementation = decision.implementation;
      reason = std::move(decision.reason);
    }
    try {
      state->kernels.push_back(create_kernel(layer.spec, implementation, layer.weights));
    } catch (const Error& error) {
      throw Error(place + ": " + error.what());
    }
    state->reasons.push_back(reason);
    // Bounded so that frame counts stay ints (a file's strides are each at most kMaxKernelSpan).
    if (static_cast<long long>(state->frame_period) * layer.spec.time_stride() > (1 << 20)) {
      throw Error(place + ": the strides so far decimate by more than 2^20");
    }
    state->frame_period *= layer.spec.time_stride();
    channels = layer.spec.output_size;
    state->widest = std::max(state->widest, channels);
  }
  if (channels != definition.output_channels) {
    throw Error("output_channels is " + std::to_string(definition.output_channels) + ", but the last layer gives " +
                std::to_string(channels));
  }
  if (definition.input_skip && state->frame_period != 1) {
    throw Error("input_skip adds input frame t to output frame t, but the layers decimate by " +
                std::to_string(state->frame_period) + " (strided conv1d)");
  }
  for (const auto& kernel : state->kernels) state->chain.push_back(kernel.get());
  state->plain_input = definition.input_gain == 1.0f;
  state->plain_output = !definition.input_skip && definition.output_gain == 1.0f;
  Model model(std::move(state));
  model.prepare(kDefaultMaxBlock);
  return model;
}

void Model::prepare(int max_block) {
  State& state = *state_;
  state.max_block = std::max(1, max_block);
  const std::size_t frames = static_cast<std::size_t>(state.max_block);
  state.input.assign(frames * state.definition.input_channels, 0.0f);
  state.ping.assign(frames * state.widest, 0.0f);
  state.pong.assign(frames * state.widest, 0.0f);
  state.sample_in.assign(state.definition.input_channels, 0.0f);
  state.sample_out.assign(state.definition.output_channels, 0.0f);
  for (auto& kernel : state.kernels) kernel->prepare(state.max_block);
  reset();
}

void Model::reset() noexcept {
  for (auto& kernel : state_->kernels) kernel->reset();
}

void Model::process(const float* in, float* out, int frames) noexcept {
  State& state = *state_;
  const ScopedFlushDenormals flush_denormals;  // writes the FPU mode only if the host does not flush already
  const int in_count = frames * state.definition.input_channels;
  // The common case first, with as little per-call work as possible (per-sample hosts call this 48,000 times
  // a second): a block that fits, unscaled, all finite, in a buffer apart from the output. The layers read
  // the caller's input where it is.
  if (frames > 0 && frames <= state.max_block && state.plain_input &&
      !overlaps(in, static_cast<std::size_t>(in_count), out,
                static_cast<std::size_t>(frames) * state.definition.output_channels) &&
      all_finite(in, in_count)) {
    if (state.chain.size() == 1 && state.plain_output) {
      state.chain[0]->process(in, out, frames);  // one layer: the model is its kernel
    } else {
      run_chain(in, out, frames);
    }
    return;
  }
  if (frames > 0) process_copied(in, out, frames);
}

// (Not inlined into process(): its buffers and loops would make every call set up a larger stack frame.)
[[gnu::noinline]] void Model::process_copied(const float* in, float* out, int frames) noexcept {
  State& state = *state_;
  const int in_channels = state.definition.input_channels;
  const int out_channels = state.definition.output_channels;
  const float input_gain = state.definition.input_gain;
  in = keep_input_ahead_of_output(in, out, frames, in_channels, out_channels);
  while (frames > 0) {
    const int block = std::min(frames, state.max_block);
    const int in_count = block * in_channels;
    // A copy, scaled, apart from `out` (which may be `in`): a non-finite input sample would poison recurrent
    // state for good, so it is processed as silence.
    float* input = state.input.data();
    for (int i = 0; i < in_count; ++i) input[i] = std::isfinite(in[i]) ? in[i] * input_gain : 0.0f;
    const int outputs = run_chain(input, out, block);
    in += in_count;
    out += outputs * out_channels;
    frames -= block;
  }
}

// Layer after layer through the two scratch buffers, the last straight into `out`. After a decimating layer
// the next ones get fewer frames.
int Model::run_chain(const float* input, float* out, int block) noexcept {
  State& state = *state_;
  Kernel* const* kernels = state.chain.data();
  const std::size_t last = state.chain.size() - 1;
  const float* source = input;
  float* target = state.ping.data();
  for (std::size_t k = 0; k < last; ++k) {
    const int outputs = state.frame_period == 1 ? block : kernels[k]->output_frames(block);
    kernels[k]->process(source, target, block);
    block = outputs;
    if (block == 0) return 0;
    source = target;
    target = target == state.ping.data() ? state.pong.data() : state.ping.data();
  }
  const int outputs = state.frame_period == 1 ? block : kernels[last]->output_frames(block);
  kernels[last]->process(source, out, block);
  const int out_count = outputs * state.definition.output_channels;
  if (state.definition.input_skip) {
    for (int i = 0; i < out_count; ++i) out[i] += input[i];
  }
  const float output_gain = state.definition.output_gain;
  if (output_gain != 1.0f) {
    for (int i = 0; i < out_count; ++i) out[i] *= output_gain;
  }
  return outputs;
}

float Model::process_sample(float in) noexcept {
  // Per-sample use of a mono model; a multi-channel model gets `in` on its first channel only.
  State& state = *state_;
  state.sample_in[0] = in;
  process(state.sample_in.data(), state.sample_out.data(), 1);
  return state.sample_out[0];
}

int Model::frame_period() const noexcept { return state_->frame_period; }

int Model::output_frames(int frames) const noexcept {
  if (frames <= 0) return 0;
  if (state_->frame_period == 1) return frames;
  for (const Kernel* kernel : state_->chain) frames = kernel->output_frames(frames);
  return frames;
}

int Model::max_output_frames(int frames) const noexcept {
  return frames <= 0 ? 0 : (frames + state_->frame_period - 1) / state_->frame_period;
}

int Model::input_channels() const noexcept { return state_->definition.input_channels; }
int Model::output_channels() const noexcept { return state_->definition.output_channels; }
double Model::sample_rate() const noexcept { return state_->definition.sample_rate; }
int Model::max_block() const noexcept { return state_->max_block; }
const std::string& Model::name() const noexcept { return state_->definition.name; }
std::size_t Model::layer_count() const noexcept { return state_->kernels.size(); }
const Kernel& Model::layer(std::size_t index) const noexcept { return *state_->kernels[index]; }

const std::vector<std::string>& Model::warnings() const noexcept { return state_->warnings; }

std::vector<LayerReport> Model::describe() const {
  std::vector<LayerReport> reports;
  for (std::size_t i = 0; i < state_->kernels.size(); ++i) {
    const Kernel& kernel = *state_->kernels[i];
    reports.push_back({kernel.spec(), kernel.implementation(), state_->reasons[i], kernel.spec().parameter_count(),
                       kernel.spec().flops_per_frame()});
  }
  return reports;
}

}  // namespace rtn
