#pragma once
// StaticModel: the compile-time API. The layers' kinds and sizes are template parameters, the backend's ops
// (StlOps, XsimdOps, EigenOps) another, and the model holds its kernels by value: no virtual call, no
// dispatch, every size a constant the compiler can unroll and inline into the caller's loop. The kernels are
// the library's own kernel templates (engine/src/layers), instantiated in the caller's translation unit, so
// there is no second copy of any layer. For embedded targets and hosts that know their model at build time:
//
//   using Amp = rtn::StaticModel<rtn::StlOps, rtn::fixed::Lstm<1, 40>, rtn::fixed::Dense<40, 1>>;
//   Amp amp(rtn::load_model_file("amp.json"));  // any format the loaders read; throws rtn::Error on a mismatch
//   amp.prepare(max_block);                     // allocates; process() and reset() never do
//   amp.process(in, out, frames);               // or amp.process_sample(x)
//
// The contract is Model's (rtn/model.hpp): prepare() allocates, reset() clears the state, process() never
// allocates, locks, throws or does I/O, flushes denormals for its call (rtn/denormals.hpp), processes a
// non-finite input sample as silence, and gives the same output for any split of a signal into blocks.
// input_gain, output_gain and input_skip of the definition are applied as Model applies them. Only layers
// that keep one output frame per input frame have a static form (no strided or transposed convolution), and
// on ops with fixed-size kernels (XsimdOps) a conv1d with In == Out has groups 1 and a GRU is PyTorch's
// (reset_after): the generic ops (StlOps, EigenOps) compute the others (each kernel's unsupported()).
//
// Which code runs: the caller's compiler flags decide the instruction set of the kernels instantiated here,
// in a namespace of their own (rtn::isa_static, see backends/isa_namespace.hpp), so the linker never
// mistakes them for the library's copies of the same templates: include this header before any ops header.
// Needs the kernel headers on the include path: link the CMake target rtn::static (an installed tree has them
// under include/rtn/kernels).
#ifndef RTN_ISA_LEVEL
#ifdef RTN_ISA_NAMESPACE
#error "include rtn/static_model.hpp before the backends' ops headers (backends/*_ops.hpp): its kernels need a namespace of their own"
#endif
#define RTN_ISA_LEVEL static
#endif

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "backends/stl_ops.hpp"
#include "input_checks.hpp"
#include "layers/activation/activation_kernel.hpp"
#include "layers/batchnorm/batchnorm_kernel.hpp"
#include "layers/conv1d/conv1d_kernel.hpp"
#include "layers/dense/dense_kernel.hpp"
#include "layers/gru/gru_kernel.hpp"
#include "layers/lstm/lstm_kernel.hpp"
#include "rtn/denormals.hpp"
#include "rtn/error.hpp"
#include "rtn/model.hpp"

namespace rtn {

// The layer types of a StaticModel: a kind and its sizes. Each names its kernel template for a backend's
// ops (Kernel<Ops>) and checks that a model file's layer is that layer (matches()); what of it that kernel
// cannot compute, the kernel template says (Kernel::unsupported(): a reason, or null), as it does for the
// library's registry. The sizes reach the kernels as compile-time constants where the backend has
// fixed-size code paths (xsimd), else the generic kernels run with them.
namespace fixed {

namespace detail {
// Whether Ops has the per-frame products of the fixed-size kernels (XsimdOps::affine_frame).
template <typename Ops, typename = void>
struct HasFixedSizes : std::false_type {};
template <typename Ops>
struct HasFixedSizes<Ops, std::void_t<decltype(&Ops::template affine_frame<16, 1, 1, const float**>)>>
    : std::true_type {};
template <typename Ops>
constexpr bool kHasFixedSizes = HasFixedSizes<Ops>::value;
}  // namespace detail

template <int In, int Out>
struct Dense {
  static constexpr LayerKind kKind = LayerKind::dense;
  static constexpr int kInputs = In, kOutputs = Out;
  template <typename Ops>
  using Kernel = std::conditional_t<detail::kHasFixedSizes<Ops>, DenseKernel<Ops, In, Out>, DenseKernel<Ops>>;
  static bool matches(const LayerSpec& spec) { return spec.kind == LayerKind::dense; }
};

// Any kernel size and dilation (read from the file), one output frame per input frame.
template <int In, int Out>
struct Conv1d {
  static constexpr LayerKind kKind = LayerKind::conv1d;
  static constexpr int kInputs = In, kOutputs = Out;
  template <typename Ops>
  using Kernel = std::conditional_t<detail::kHasFixedSizes<Ops> && In == Out, Conv1dKernel<Ops, In, Out>,
                                    Conv1dKernel<Ops>>;
  static bool matches(const LayerSpec& spec) { return spec.kind == LayerKind::conv1d && spec.stride == 1; }
};

// A stack of `Layers` recurrent layers (PyTorch's num_layers), hidden size Hidden: Gru and Lstm below.
// RecurrentKernelOf is the layer's kernel template (GruKernel, LstmKernel); a Hidden of 0 is its generic kernel.
template <LayerKind Kind, template <typename, int> class RecurrentKernelOf, int In, int Hidden, int Layers>
struct Recurrent {
  static constexpr LayerKind kKind = Kind;
  static constexpr int kInputs = In, kOutputs = Hidden;
  template <typename Ops>
  using Kernel = RecurrentKernelOf<Ops, detail::kHasFixedSizes<Ops> ? Hidden : 0>;
  static bool matches(const LayerSpec& spec) { return spec.kind == Kind && spec.num_layers == Layers; }
};
template <int In, int Hidden, int Layers = 1>
using Gru = Recurrent<LayerKind::gru, GruKernel, In, Hidden, Layers>;
template <int In, int Hidden, int Layers = 1>
using Lstm = Recurrent<LayerKind::lstm, LstmKernel, In, Hidden, Layers>;

// An element-wise activation of kind Kind (tanh, relu, sigmoid, elu, leaky_relu, prelu, softmax, ...) over
// N channels; its parameters (alpha, slopes) come from the file.
template <LayerKind Kind, int N>
struct Activation {
  static constexpr LayerKind kKind = Kind;
  static constexpr int kInputs = N, kOutputs = N;
  template <typename Ops>
  using Kernel = ActivationKernel<Ops>;
  static bool matches(const LayerSpec& spec) { return spec.kind == Kind; }
};
template <int N>
using Tanh = Activation<LayerKind::tanh, N>;
template <int N>
using Relu = Activation<LayerKind::relu, N>;
template <int N>
using Sigmoid = Activation<LayerKind::sigmoid, N>;

template <int N>
struct BatchNorm1d {
  static constexpr LayerKind kKind = LayerKind::batchnorm1d;
  static constexpr int kInputs = N, kOutputs = N;
  template <typename Ops>
  using Kernel = BatchNormKernel<Ops>;
  static bool matches(const LayerSpec& spec) { return spec.kind == LayerKind::batchnorm1d; }
};

}  // namespace fixed

template <typename Ops, typename... Layers>
class StaticModel {
  static_assert(sizeof...(Layers) > 0, "a StaticModel needs at least one layer");
  using LayerList = std::tuple<Layers...>;
  template <std::size_t I>
  using LayerAt = std::tuple_element_t<I, LayerList>;

 public:
  static constexpr int kInputChannels = LayerAt<0>::kInputs;
  static constexpr int kOutputChannels = LayerAt<sizeof...(Layers) - 1>::kOutputs;
  static constexpr int kMaxWidth = std::max({Layers::kOutputs...});

  // The kernels built from `definition`'s weights. Throws rtn::Error naming the first layer whose kind or
  // sizes differ from this type's, or when the layer count or the model's channels do.
  explicit StaticModel(const ModelDefinition& definition)
      : around_(checked(definition)), kernels_(definition) {
    prepare(kDefaultMaxBlock);
  }
  StaticModel(const StaticModel&) = delete;
  StaticModel& operator=(const StaticModel&) = delete;

  // Allocates: scratch for blocks of up to max_block frames; then reset()s. Longer process() calls are
  // taken in pieces of max_block.
  void prepare(int max_block) {
    max_block_ = std::max(1, max_block);
    input_.assign(static_cast<std::size_t>(max_block_) * kInputChannels, 0.0f);
    ping_.assign(static_cast<std::size_t>(max_block_) * kMaxWidth, 0.0f);
    pong_.assign(static_cast<std::size_t>(max_block_) * kMaxWidth, 0.0f);
    for_each_kernel([&](auto& kernel) { kernel.prepare(max_block_); }, std::index_sequence_for<Layers...>{});
    reset();
  }

  void reset() noexcept {
    for_each_kernel([](auto& kernel) { kernel.reset(); }, std::index_sequence_for<Layers...>{});
  }

  // frames x input channels in, frames x output channels out (interleaved); in and out may be the same buffer.
  void process(const float* in, float* out, int frames) noexcept {
    const ScopedFlushDenormals flush_denormals;
    // The common case as Model takes it: a block that fits, unscaled, all finite, apart from the output; the
    // layers read the caller's input where it is.
    const int in_count = frames * kInputChannels;
    if (frames > 0 && frames <= max_block_ && around_.input_gain == 1.0f &&
        !overlaps(in, static_cast<std::size_t>(in_count), out, static_cast<std::size_t>(frames) * kOutputChannels) &&
        all_finite(in, in_count)) {
      run_layers<0>(in, out, frames);
      finish(in, out, frames);
      return;
    }
    while (frames > 0) {
      const int block = std::min(frames, max_block_);
      // A copy apart from `out` (which may be `in`), scaled, non-finite samples as silence (as Model does).
      const int count = block * kInputChannels;
      float* input = input_.data();
      const float gain = around_.input_gain;
      for (int i = 0; i < count; ++i) input[i] = std::isfinite(in[i]) ? in[i] * gain : 0.0f;
      run_layers<0>(input, out, block);
      finish(input, out, block);
      in += count;
      out += static_cast<std::ptrdiff_t>(block) * kOutputChannels;
      frames -= block;
    }
  }

  // One frame of a model with one input channel; the first output channel.
  float process_sample(float in) noexcept {
    static_assert(kInputChannels == 1, "process_sample is for models with one input channel");
    const ScopedFlushDenormals flush_denormals;
    float input = all_finite(&in, 1) ? in * around_.input_gain : 0.0f;
    float output[kOutputChannels];
    run_layers<0>(&input, output, 1);
    finish(&input, output, 1);
    return output[0];
  }

  int max_block() const noexcept { return max_block_; }

 private:
  static constexpr int kDefaultMaxBlock = 512;

  template <typename Layer>
  static std::string describe_expected() {
    return std::string(layer_kind_name(Layer::kKind)) + " with " + std::to_string(Layer::kInputs) + " inputs and " +
           std::to_string(Layer::kOutputs) + " outputs";
  }

  template <std::size_t... I>
  static void check_layers(const ModelDefinition& definition, std::index_sequence<I...>) {
    (check_layer<LayerAt<I>>(definition.layers[I], I), ...);
  }
  template <typename Layer>
  static void check_layer(const LayerDefinition& layer, std::size_t index) {
    const LayerSpec& spec = layer.spec;
    if (!Layer::matches(spec) || spec.input_size != Layer::kInputs || spec.output_size != Layer::kOutputs ||
        spec.time_stride() != 1 || spec.time_upsampling() != 1) {
      throw Error("layer " + std::to_string(index) + ": this StaticModel expects a " +
                  describe_expected<Layer>() +
                  ", but the model file's layer is " + spec.to_string());
    }
    // What the file asks that this type's kernel cannot compute (a fixed-size kernel's limits).
    if (const char* limit = Layer::template Kernel<Ops>::unsupported(spec)) {
      throw Error("layer " + std::to_string(index) + ": " + limit +
                  "; use StlOps or EigenOps for this model, or the run-time Model");
    }
    // What Model checks before building a kernel (KernelEntry::create): a definition made by hand has not been
    // through the loaders.
    if (const std::string problem = spec.validate(); !problem.empty()) {
      throw Error("layer " + std::to_string(index) + ": " + problem);
    }
    try {
      check_weights(spec, layer.weights);
    } catch (const Error& error) {
      throw Error("layer " + std::to_string(index) + ": " + error.what());
    }
  }

  // What the model does around its layers (ModelDefinition's gains and skip).
  struct Around {
    float input_gain = 1.0f;
    float output_gain = 1.0f;
    bool input_skip = false;
  };

  static Around checked(const ModelDefinition& definition) {
    if (definition.layers.size() != sizeof...(Layers)) {
      throw Error("this StaticModel has " + std::to_string(sizeof...(Layers)) + " layers, but the model '" +
                  definition.name + "' has " + std::to_string(definition.layers.size()));
    }
    check_layers(definition, std::index_sequence_for<Layers...>{});
    if (definition.input_channels != kInputChannels || definition.output_channels != kOutputChannels) {
      throw Error("this StaticModel takes " + std::to_string(kInputChannels) + " input and gives " +
                  std::to_string(kOutputChannels) + " output channels, but the model '" + definition.name +
                  "' has " + std::to_string(definition.input_channels) + " and " +
                  std::to_string(definition.output_channels));
    }
    return {definition.input_gain, definition.output_gain, definition.input_skip};
  }

  // The kernels, each constructed in place from its layer's definition (a kernel cannot be copied or moved).
  template <std::size_t I, typename Kernel>
  struct KernelSlot {
    explicit KernelSlot(const ModelDefinition& definition)
        : kernel(definition.layers[I].spec, definition.layers[I].weights) {}
    Kernel kernel;
  };
  template <typename Indices>
  struct KernelSlots;
  template <std::size_t... I>
  struct KernelSlots<std::index_sequence<I...>> : KernelSlot<I, typename LayerAt<I>::template Kernel<Ops>>... {
    explicit KernelSlots(const ModelDefinition& definition)
        : KernelSlot<I, typename LayerAt<I>::template Kernel<Ops>>(definition)... {}
  };
  using Kernels = KernelSlots<std::index_sequence_for<Layers...>>;
  template <std::size_t I>
  auto& kernel() noexcept {
    return static_cast<KernelSlot<I, typename LayerAt<I>::template Kernel<Ops>>&>(kernels_).kernel;
  }
  template <typename Op, std::size_t... I>
  void for_each_kernel(Op op, std::index_sequence<I...>) {
    (op(kernel<I>()), ...);
  }

  // Layer I from `source` to the next scratch buffer, the last one to `out`. Direct calls of the kernels'
  // final process(): the compiler sees every one and may inline it.
  template <std::size_t I>
  void run_layers(const float* source, float* out, int frames) noexcept {
    constexpr bool kLast = I + 1 == sizeof...(Layers);
    float* target = kLast ? out : (I % 2 == 0 ? ping_.data() : pong_.data());
    if constexpr (kLast) {
      if (frames == 1) {  // per sample: through a frame on the stack, never beside `out`
        float frame[kOutputChannels];
        kernel<I>().process(source, frame, 1);
        std::copy(frame, frame + kOutputChannels, out);
        return;
      }
    }
    kernel<I>().process(source, target, frames);
    if constexpr (!kLast) run_layers<I + 1>(target, out, frames);
  }

  // input_skip and output_gain on the layers' output.
  void finish(const float* input, float* out, int frames) const noexcept {
    const int count = frames * kOutputChannels;
    if (around_.input_skip) {
      for (int i = 0; i < count; ++i) out[i] += input[i];
    }
    const float gain = around_.output_gain;
    if (gain != 1.0f) {
      for (int i = 0; i < count; ++i) out[i] *= gain;
    }
  }

  Around around_;
  Kernels kernels_;
  int max_block_ = 1;
  std::vector<float> input_, ping_, pong_;
};

}  // namespace rtn
