// The real-time contract: process() and reset() never touch the heap, on every kernel and on models;
// denormals are flushed inside Model::process and the caller's floating-point mode is restored.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "rtn/denormals.hpp"
#include "rtn/model.hpp"
#include "rtn/registry.hpp"
#include "support/allocation_counter.hpp"
#include "tools/common/test_data.hpp"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace rtn::testing {
namespace {

TEST(AllocationCounter, SeesEveryWayToTheHeap) {
  // Through the functions, not new-expressions, which the compiler may elide.
  CountAllocations counter;
  ::operator delete(::operator new(16));
  ::operator delete(::operator new(16, std::align_val_t{64}), std::align_val_t{64});
  void* volatile raw = std::malloc(16);
  std::free(raw);
  EXPECT_EQ(counter.count(), 3u);
}

class NoAllocation : public ::testing::TestWithParam<KernelEntry> {};

TEST_P(NoAllocation, ProcessAndResetNeverAllocate) {
  const LayerSpec spec = typical_shape(GetParam());
  std::mt19937 rng(5);
  const auto kernel = GetParam().create(spec, random_weights(spec, rng));
  kernel->prepare(256);
  const std::vector<float> input = random_signal(256, spec.input_size, rng);
  std::vector<float> output(static_cast<std::size_t>(spec.max_output_frames(256)) * spec.output_size);
  CountAllocations counter;
  for (int frames : {1, 1, 7, 64, 256, 3}) kernel->process(input.data(), output.data(), frames);
  kernel->reset();
  kernel->process(input.data(), output.data(), 1);
  EXPECT_EQ(counter.count(), 0u) << spec.to_string() << " on " << GetParam().implementation.name();
}

// Wide and deep layers: where a library's matrix product would switch to heap-allocated packing buffers.
TEST(NoAllocation, LargeLayersOnEveryBackend) {
  for (const LayerSpec& spec : {LayerSpec::conv1d(128, 128, 5, 2), LayerSpec::dense(256, 256), LayerSpec::lstm(64, 128),
                                LayerSpec::lstm(64, 64, 2), LayerSpec::dense(64, 64),
                                LayerSpec::conv2d(8, 16, 64, 3, 5, 4, 2, true),
                                LayerSpec::conv_transpose1d(128, 96, 6, 3, 2, 2)}) {
    for (Implementation backend : implementations_for(spec)) {
      std::mt19937 rng(6);
      const auto kernel = create_kernel(spec, backend, random_weights(spec, rng));
      kernel->prepare(512);
      const std::vector<float> input = random_signal(512, spec.input_size, rng);
      std::vector<float> output(static_cast<std::size_t>(spec.max_output_frames(512)) * spec.output_size);
      CountAllocations counter;
      for (int frames : {1, 33, 512}) kernel->process(input.data(), output.data(), frames);
      EXPECT_EQ(counter.count(), 0u) << spec.to_string() << " on " << backend.name();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, NoAllocation, ::testing::ValuesIn(kernel_registry()), [](const auto& info) {
  return kernel_test_name(info.param);
});

ModelDefinition every_layer_model() {
  std::mt19937 rng(9);
  ModelDefinition definition;
  definition.input_channels = 2;
  definition.output_channels = 2;
  definition.input_skip = true;
  for (const LayerSpec& spec : {LayerSpec::conv1d(2, 8, 3, 2), LayerSpec::batchnorm1d(8), LayerSpec::prelu(8, 1),
                                LayerSpec::gru(8, 16), LayerSpec::activation(LayerKind::softmax, 16),
                                LayerSpec::lstm(16, 12, 2), LayerSpec::elu(12), LayerSpec::dense(12, 2),
                                LayerSpec::activation(LayerKind::tanh, 2)}) {
    definition.layers.push_back({spec, random_weights(spec, rng)});
  }
  return definition;
}

TEST(NoAllocation, ModelProcessResetAndPerSampleNeverAllocate) {
  for (Implementation backend : compiled_implementations()) {
    Model model = Model::build(every_layer_model(), {backend, {}});
    model.prepare(128);
    std::mt19937 rng(4);
    std::vector<float> buffer = random_signal(1000, 2, rng);
    CountAllocations counter;
    model.process(buffer.data(), buffer.data(), 1000);  // longer than max_block, in place
    model.reset();
    model.process(buffer.data(), buffer.data(), 17);
    (void)model.process_sample(0.25f);
    EXPECT_EQ(counter.count(), 0u) << backend.name();
  }
}

// On every implementation, a model whose frame rate changes: a call longer than max_block in place, then blocks
// that are not multiples of its period, per-sample calls and reset() allocate nothing.
void expect_rate_changing_model_never_allocates(const ModelDefinition& definition, std::mt19937& rng) {
  for (Implementation backend : compiled_implementations()) {
    Model model = Model::build(definition, {backend, {}});
    model.prepare(128);
    // In place: the buffer holds the input and the output.
    std::vector<float> buffer = random_signal(std::max(1000, model.max_output_frames(1000)), 1, rng);
    CountAllocations counter;
    model.process(buffer.data(), buffer.data(), 1000);  // longer than max_block, in place
    (void)model.output_frames(17);
    model.process(buffer.data(), buffer.data(), 17);
    for (int i = 0; i < 7; ++i) (void)model.process_sample(0.25f);
    model.reset();
    EXPECT_EQ(counter.count(), 0u) << backend.name();
  }
}

ModelDefinition model_of(const std::vector<LayerSpec>& specs, std::mt19937& rng) {
  ModelDefinition definition;
  for (const LayerSpec& spec : specs) definition.layers.push_back({spec, random_weights(spec, rng)});
  return definition;
}

// A decimating model (strided conv1d).
TEST(NoAllocation, DecimatingModelNeverAllocates) {
  std::mt19937 rng(5);
  expect_rate_changing_model_never_allocates(
      model_of({LayerSpec::conv1d(1, 8, 3, 1, 1, true, 2), LayerSpec::activation(LayerKind::tanh, 8),
                LayerSpec::conv1d(8, 8, 2, 2, 8, true, 3), LayerSpec::dense(8, 1)},
               rng),
      rng);
}

// Transposed convolutions: an upsampler (period 1/3) and a stride-2 encoder with a stride-2 decoder (period 1,
// frames waiting between calls).
TEST(NoAllocation, TransposedModelsNeverAllocate) {
  std::mt19937 rng(6);
  expect_rate_changing_model_never_allocates(
      model_of({LayerSpec::conv_transpose1d(1, 8, 5, 3, 2), LayerSpec::gru(8, 8),
                LayerSpec::conv_transpose1d(8, 1, 3, 1, 1)},
               rng),
      rng);
  expect_rate_changing_model_never_allocates(
      model_of({LayerSpec::conv1d(1, 8, 4, 1, 1, true, 2), LayerSpec::lstm(8, 8),
                LayerSpec::conv_transpose1d(8, 4, 4, 2, 1, 4), LayerSpec::dense(4, 1)},
               rng),
      rng);
}

TEST(Denormals, ModelProcessFlushesThemAndRestoresTheCallersMode) {
  if (!denormal_flushing_supported()) GTEST_SKIP() << "this CPU architecture has no flush-to-zero mode";
  ModelDefinition identity;
  identity.layers.push_back({LayerSpec::dense(1, 1, false), {{"weight", {{1, 1}, {1.0f}}}}});
  Model model = Model::build(identity, {Backend::stl, {}});
  const float denormal = std::numeric_limits<float>::denorm_min() * 1000.0f;
  ASSERT_EQ(std::fpclassify(denormal), FP_SUBNORMAL);
#if defined(__SSE__)
  const unsigned mode_before = _mm_getcsr();
#endif
  float out = 1.0f;
  model.process(&denormal, &out, 1);
  // With denormals-are-zero the input reads as 0 (and any denormal result is flushed).
  EXPECT_EQ(out, 0.0f);
#if defined(__SSE__)
  // The mode, not the sticky exception flags (0x3f) that any float operation may set.
  EXPECT_EQ(_mm_getcsr() & ~0x3fu, mode_before & ~0x3fu);
#endif
}

#if defined(__SSE__)
// The guard tells the host's mode by the modes' effects, not by reading MXCSR: whatever of flush-to-zero and
// denormals-are-zero the host has on, both are on inside the guard and the host's mode is back after it.
TEST(Denormals, GuardSwitchesBothModesOnFromEveryHostModeAndRestoresIt) {
  constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
  constexpr unsigned kExceptionFlags = 0x003f;  // sticky status, not mode: any float operation may set them
  const unsigned original = _mm_getcsr();
  for (const unsigned host : {0u, kFlushToZero, kDenormalsAreZero, kFlushToZero | kDenormalsAreZero}) {
    const unsigned host_mode = (original & ~(kFlushToZero | kDenormalsAreZero)) | host;
    _mm_setcsr(host_mode);
    {
      const ScopedFlushDenormals guard;
      EXPECT_EQ(_mm_getcsr() & (kFlushToZero | kDenormalsAreZero), kFlushToZero | kDenormalsAreZero)
          << "host mode " << std::hex << host;
    }
    EXPECT_EQ(_mm_getcsr() & ~kExceptionFlags, host_mode & ~kExceptionFlags) << "host mode " << std::hex << host;
  }
  _mm_setcsr(original);
}

// A host that flushes already takes process()'s shortest path (no guard, the kernel called last): the same
// output as a host that does not, per sample, in blocks and with a non-finite sample, and its mode kept.
TEST(Denormals, AFlushingHostGetsTheSameOutputAndKeepsItsMode) {
  constexpr unsigned kFlushBoth = 0x8000 | 0x0040, kExceptionFlags = 0x003f;
  std::mt19937 rng(9);
  ModelDefinition one_layer = model_of({LayerSpec::conv1d(8, 8, 3, 2)}, rng);
  one_layer.input_channels = one_layer.output_channels = 8;
  const ModelDefinition chain = model_of({LayerSpec::gru(1, 8), LayerSpec::dense(8, 1)}, rng);
  // A model that changes the rate takes the guarded path whatever the host does.
  const ModelDefinition decimating =
      model_of({LayerSpec::conv1d(1, 4, 3, 1, 1, true, /*stride=*/2), LayerSpec::dense(4, 1)}, rng);
  for (const ModelDefinition* definition : {&std::as_const(one_layer), &chain, &decimating}) {
    for (const int block : {1, 64}) {
      std::vector<float> input = random_signal(512, definition->input_channels, rng);
      input[100] = std::numeric_limits<float>::quiet_NaN();  // processed as silence on either path
      const auto render = [&](bool host_flushes) {
        Model model = Model::build(*definition, {Backend::xsimd, {}});
        model.prepare(block);
        std::vector<float> output(input.size() / definition->input_channels * definition->output_channels);
        const unsigned original = _mm_getcsr();
        const unsigned host_mode = host_flushes ? original | kFlushBoth : original & ~kFlushBoth;
        _mm_setcsr(host_mode);
        const int frames = static_cast<int>(input.size()) / definition->input_channels;
        for (int first = 0, written = 0; first < frames; first += block) {
          const int count = std::min(block, frames - first);
          const int outputs = model.output_frames(count);
          model.process(input.data() + first * definition->input_channels,
                        output.data() + written * definition->output_channels, count);
          written += outputs;
        }
        EXPECT_EQ(_mm_getcsr() & ~kExceptionFlags, host_mode & ~kExceptionFlags);
        _mm_setcsr(original);
        return output;
      };
      EXPECT_EQ(render(true), render(false)) << "blocks of " << block;
    }
  }
}
#endif

TEST(Denormals, RecurrentStateDecayingToSilenceStaysNormalOrZero) {
  std::mt19937 rng(8);
  ModelDefinition definition;
  definition.layers.push_back({LayerSpec::lstm(1, 16), random_weights(LayerSpec::lstm(1, 16), rng)});
  definition.layers.push_back({LayerSpec::dense(16, 1), random_weights(LayerSpec::dense(16, 1), rng)});
  for (Implementation backend : compiled_implementations()) {
    Model model = Model::build(definition, {backend, {}});
    std::vector<float> signal = random_signal(200, 1, rng);
    signal.resize(20000, 0.0f);  // a burst, then a long silence
    model.process(signal.data(), signal.data(), static_cast<int>(signal.size()));
    for (float value : signal) ASSERT_NE(std::fpclassify(value), FP_SUBNORMAL) << backend.name();
  }
}

}  // namespace
}  // namespace rtn::testing
