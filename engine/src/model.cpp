#include "rtn/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>

#include "aligned_buffer.hpp"
#include "input_checks.hpp"
#include "rtn/denormals.hpp"
#include "rtn/dispatcher.hpp"
#include "rtn/error.hpp"
#include "rtn/registry.hpp"

namespace rtn {

namespace {

constexpr int kDefaultMaxBlock = 4096;
// The most input values process() checks for finiteness inline (a per-sample frame, a short mono block);
// more go to process_guarded() and its wide check, so that the per-sample path stays small.
constexpr int kQuickCheckFloats = 64;

std::string layer_place(std::size_t index, const LayerSpec& spec) {
  return "layers[" + std::to_string(index) + "] (" + std::string(layer_kind_name(spec.kind)) + ")";
}

// In-place processing with more output than input (channels, or frames of an upsampling model), in several
// pieces: each piece's output would overwrite input that later pieces have not read yet. Moving the input to
// the end of the buffer (no allocation: the caller's buffer is max(in, out) channels x `buffer_frames`, at least
// frames and the most output frames) keeps every unread input frame ahead of the output written so far: after
// c input frames at most ceil(c / P) <= c + (buffer_frames - frames) frames are out, for a period P.
const float* keep_input_ahead_of_output(const float* in, float* out, int frames, int buffer_frames,
                                        int in_channels, int out_channels) noexcept {
  const std::size_t in_count = static_cast<std::size_t>(frames) * in_channels;
  const std::size_t out_count = static_cast<std::size_t>(buffer_frames) * out_channels;
  if (out_count <= in_count || !overlaps(in, in_count, out, out_count)) return in;
  float* moved = out + (static_cast<std::size_t>(buffer_frames) * std::max(in_channels, out_channels) - in_count);
  std::memmove(moved, in, in_count * sizeof(float));
  return moved;
}

// ceil(numerator / denominator) for non-negative numbers.
std::int64_t ceil_div(std::int64_t numerator, std::int64_t denominator) noexcept {
  return (numerator + denominator - 1) / denominator;
}

}  // namespace

struct Model::State {
  // What process() reads on every call, first and together (one cache line), set by build() and prepare():
  int in_channels = 1, out_channels = 1;
  // The most frames a call may have to take the direct path (the layers read the caller's input where it
  // is): chain_block, or 0 when the input is scaled (input_gain != 1) and always needs a copy.
  int direct_frames = 0;
  // The most of those that process() takes itself (kQuickCheckFloats input values at most); longer blocks
  // go through process_guarded(), whose finiteness check is wide.
  int quick_frames = 0;
  Kernel* only_kernel = nullptr;  // the model is this kernel: one layer, no skip, no output gain, no rate change
  bool rate_changes = false;  // some layer's output frames differ from its input frames: ask each kernel

  ModelDefinition definition;  // metadata only: the layers' weights are dropped once laid out
  std::vector<std::unique_ptr<Kernel>> kernels;
  std::vector<Kernel*> chain;  // the kernels in order, as process() calls them
  std::vector<std::string> reasons;
  std::vector<std::string> warnings;
  int max_block = 0;
  bool plain_input = true;   // input_gain == 1: the layers may read the caller's input where it is
  bool plain_output = true;  // no input skip, output_gain == 1: the last layer's output is the model's
  // Strided and transposed convolutions (docs/strided-convolutions.md): the output's period, reduced.
  FramePeriod period;
  int upsampling = 1;         // the product of the layers' time_upsampling()
  // The host frames since reset(), modulo period.input_frames: the phase that output_frames() counts from.
  int clock = 0;
  // An upsampling after a decimation computes frames ahead of their time (a stride-2 convolution's output
  // n at input 2n, then a transposed one's outputs 2n and 2n + 1 at once): they wait here, in order, until
  // the call whose input they belong to. Only when max_held > 0.
  int max_held = 0;  // the most frames that wait between calls
  int held_frames = 0;
  AlignedFloats held;  // (max_held + the last layer's frames of a block) x output_channels
  int chain_block = 0;  // input frames per run_chain(): max_block, or less when the layers upsample
  AlignedFloats input;     // the sanitised input block
  AlignedFloats ping, pong;
  AlignedFloats sample_in, sample_out;  // one input frame, the output of one, for process_sample()
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
  long long decimation = 1;
  // The most output frames that wait for their call, as the fraction held_numerator / held_denominator: each
  // decimation by s may have computed up to (s - 1) / s of a frame ahead, each upsampling by u multiplies it.
  long long held_numerator = 0, held_denominator = 1;
  state->warnings = selection.profile.warnings;
  if (!isa_limit().problem.empty()) state->warnings.push_back(isa_limit().problem);
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
    // Bounded so that frame counts stay ints (a file's strides are each at most kMaxKernelSpan), and the
    // frames an upsampling chain computes per input frame within scratch of a sane size.
    const int stride = layer.spec.time_stride();
    const int upsampling = layer.spec.time_upsampling();
    if (decimation * stride > (1 << 20)) throw Error(place + ": the strides so far decimate by more than 2^20");
    if (static_cast<long long>(state->upsampling) * upsampling > 4096) {
      throw Error(place + ": the transposed convolutions so far upsample by more than 4096");
    }
    decimation *= stride;
    state->upsampling *= upsampling;
    state->rate_changes = state->rate_changes || stride != 1 || upsampling != 1;
    held_numerator = (held_numerator + (stride - 1) * held_denominator) * upsampling;
    held_denominator *= stride;
    channels = layer.spec.output_size;
  }
  const long long common = std::gcd(decimation, static_cast<long long>(state->upsampling));
  state->period = {static_cast<int>(decimation / common), static_cast<int>(state->upsampling / common)};
  state->max_held = static_cast<int>(held_numerator / held_denominator);
  if (channels != definition.output_channels) {
    throw Error("output_channels is " + std::to_string(definition.output_channels) + ", but the last layer gives " +
                std::to_string(channels));
  }
  if (definition.input_skip && state->period != FramePeriod{}) {
    throw Error("input_skip adds input frame t to output frame t, but the layers give " +
                std::to_string(state->period.output_frames) + " output frames per " +
                std::to_string(state->period.input_frames) + " input frames (strided or transposed convolutions)");
  }
  for (const auto& kernel : state->kernels) state->chain.push_back(kernel.get());
  state->plain_input = definition.input_gain == 1.0f;
  state->plain_output = !definition.input_skip && definition.output_gain == 1.0f;
  state->in_channels = definition.input_channels;
  state->out_channels = definition.output_channels;
  if (state->chain.size() == 1 && state->plain_output && !state->rate_changes) state->only_kernel = state->chain[0];
  Model model(std::move(state));
  model.prepare(kDefaultMaxBlock);
  return model;
}

void Model::prepare(int max_block) {
  State& state = *state_;
  state.max_block = std::max(1, max_block);
  // An upsampling chain takes the block in pieces, so that its layers' frames stay near max_block.
  state.chain_block = std::max(1, state.max_block / state.upsampling);
  state.direct_frames = state.plain_input ? state.chain_block : 0;
  state.quick_frames =
      std::min(state.direct_frames, std::max(1, kQuickCheckFloats / state.definition.input_channels));
  state.input.assign(static_cast<std::size_t>(state.max_block) * state.definition.input_channels, 0.0f);
  // Each layer's scratch for the most frames it receives (a decimation's ceil rounds up, so from a piece of
  // chain_block input frames).
  std::vector<int> layer_frames;  // the most frames each layer receives in one run_chain()
  std::size_t scratch = 0;
  int frames = state.chain_block;
  for (std::size_t k = 0; k < state.kernels.size(); ++k) {
    layer_frames.push_back(frames);
    const LayerSpec& spec = state.kernels[k]->spec();
    frames = spec.max_output_frames(frames);
    if (k + 1 < state.kernels.size()) scratch = std::max(scratch, static_cast<std::size_t>(frames) * spec.output_size);
  }
  state.ping.assign(scratch, 0.0f);
  state.pong.assign(scratch, 0.0f);
  const int out_channels = state.definition.output_channels;
  state.held.assign(state.max_held > 0 ? static_cast<std::size_t>(state.max_held + frames) * out_channels : 0, 0.0f);
  state.sample_in.assign(state.definition.input_channels, 0.0f);
  state.sample_out.assign(static_cast<std::size_t>(std::max(1, max_output_frames(1))) * out_channels, 0.0f);
  for (std::size_t k = 0; k < state.kernels.size(); ++k) state.kernels[k]->prepare(layer_frames[k]);
  reset();
}

void Model::reset() noexcept {
  for (auto& kernel : state_->kernels) kernel->reset();
  state_->clock = 0;
  state_->held_frames = 0;
}

// (Inline in both callers: a call would cost what the fast path saves.)
template <bool kQuick>
[[gnu::always_inline]] inline bool Model::takes_directly(const float* in, const float* out,
                                                         int frames) const noexcept {
  const State& state = *state_;
  const int in_count = frames * state.in_channels;
  const int out_frames = state.rate_changes ? max_output_frames(frames) : frames;
  const int most_frames = kQuick ? state.quick_frames : state.direct_frames;
  return static_cast<unsigned>(frames) - 1u < static_cast<unsigned>(most_frames) &&
         !overlaps(in, static_cast<std::size_t>(in_count), out,
                   static_cast<std::size_t>(out_frames) * state.out_channels) &&
         (kQuick || in_count <= kQuickCheckFloats ? all_finite(in, in_count)
                                                  : all_finite_block(in, in_count));
}

void Model::process(const float* in, float* out, int frames) noexcept {
  // The common case first, with as little per-call work as possible (per-sample hosts call this 48,000 times
  // a second): a host that flushes denormals already, and a short block that fits, unscaled (1 <= frames <=
  // quick_frames, one unsigned comparison), all finite, in a buffer apart from the output. The layers then
  // read the caller's input where it is, and with nothing to restore after them the call into a one-layer
  // model's kernel is a jump, with no registers saved around it (on AMD Zen 4, a Dense 8 model per sample
  // 8.0 -> 6.6 ns). A model that changes the rate (a strided or transposed convolution) takes the guarded
  // path: its output's size is a call away, and a call in the middle would make this one save registers.
  State& state = *state_;
  if (ScopedFlushDenormals::host_flushes() && !state.rate_changes && takes_directly<true>(in, out, frames)) {
    if (state.only_kernel != nullptr) return state.only_kernel->process(in, out, frames);
    run_chain(in, out, frames);
    return;
  }
  process_guarded(in, out, frames);
}

// process() under the denormal guard, for a host that does not flush them.
[[gnu::noinline]] void Model::process_guarded(const float* in, float* out, int frames) noexcept {
  const ScopedFlushDenormals flush_denormals;
  if (takes_directly<false>(in, out, frames)) {
    State& state = *state_;
    if (state.only_kernel != nullptr) {
      state.only_kernel->process(in, out, frames);
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
  const int buffer_frames = std::max(frames, state.rate_changes ? max_output_frames(frames) : frames);
  in = keep_input_ahead_of_output(in, out, frames, buffer_frames, in_channels, out_channels);
  while (frames > 0) {
    const int block = std::min(frames, state.chain_block);
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

// Layer after layer through the two scratch buffers, the last straight into `out` (or after the frames that
// wait). After a decimating layer the next ones get fewer frames, after an upsampling one more.
int Model::run_chain(const float* input, float* out, int block) noexcept {
  State& state = *state_;
  const int out_channels = state.definition.output_channels;
  const bool holds = state.max_held > 0;
  const int released = holds ? output_frames(block) : 0;  // known before the layers run: from the clock
  Kernel* const* kernels = state.chain.data();
  const std::size_t count = state.chain.size();
  float* last_target = holds ? state.held.data() + static_cast<std::ptrdiff_t>(state.held_frames) * out_channels : out;
  const float* source = input;
  float* target = state.ping.data();
  int frames = block;
  for (std::size_t k = 0; k < count && frames > 0; ++k) {
    float* destination = k + 1 == count ? last_target : target;
    const int outputs = state.rate_changes ? kernels[k]->output_frames(frames) : frames;
    kernels[k]->process(source, destination, frames);
    frames = outputs;
    source = destination;
    target = target == state.ping.data() ? state.pong.data() : state.ping.data();
  }
  // frames: what the last layer wrote (0 when a decimation left nothing for the layers after it).
  if (state.rate_changes) state.clock = static_cast<int>((state.clock + static_cast<std::int64_t>(block)) %
                                                         state.period.input_frames);
  if (holds) {
    // The frames that belong to this call out, the rest kept in order.
    state.held_frames += frames;
    float* held = state.held.data();
    std::copy(held, held + static_cast<std::ptrdiff_t>(released) * out_channels, out);
    std::memmove(held, held + static_cast<std::ptrdiff_t>(released) * out_channels,
                 static_cast<std::size_t>(state.held_frames - released) * out_channels * sizeof(float));
    state.held_frames -= released;
    frames = released;
  }
  const int out_count = frames * out_channels;
  if (state.definition.input_skip) {
    for (int i = 0; i < out_count; ++i) out[i] += input[i];
  }
  const float output_gain = state.definition.output_gain;
  if (output_gain != 1.0f) {
    for (int i = 0; i < out_count; ++i) out[i] *= output_gain;
  }
  return frames;
}

float Model::process_sample(float in) noexcept {
  // Per-sample use of a mono model; a multi-channel model gets `in` on its first channel only.
  State& state = *state_;
  state.sample_in[0] = in;
  process(state.sample_in.data(), state.sample_out.data(), 1);
  return state.sample_out[0];
}

Model::FramePeriod Model::frame_period() const noexcept { return state_->period; }

int Model::output_frames(int frames) const noexcept {
  if (frames <= 0) return 0;
  const FramePeriod& period = state_->period;
  if (period.input_frames == 1 && period.output_frames == 1) return frames;
  // Output frame m is due in the call that takes input frame floor(m P), P = input_frames / output_frames: those
  // with clock <= m P < clock + frames.
  const std::int64_t clock = state_->clock;
  return static_cast<int>(ceil_div((clock + frames) * period.output_frames, period.input_frames) -
                          ceil_div(clock * period.output_frames, period.input_frames));
}

int Model::max_output_frames(int frames) const noexcept {
  if (frames <= 0) return 0;
  const FramePeriod& period = state_->period;
  const std::int64_t most = ceil_div(static_cast<std::int64_t>(frames) * period.output_frames, period.input_frames);
  return static_cast<int>(std::min<std::int64_t>(most, std::numeric_limits<int>::max()));
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
