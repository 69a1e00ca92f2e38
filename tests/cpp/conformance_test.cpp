// The conformance test: every registered kernel (every layer kind on every compiled-in backend) over the
// shape grid, against libtorch on the same random weights and input, per sample and in one block.
// A kernel is covered by being registered.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "rtn/registry.hpp"
#include "tools/common/test_data.hpp"
#include "torch_reference/torch_reference.hpp"

namespace rtn::testing {
namespace {

constexpr int kSteps = 1000;
// Written past each output to catch a kernel that writes outside its frames.
constexpr float kSentinel = 12345.678f;
constexpr int kGuardFloats = 64;

struct ConformanceCase {
  const KernelEntry* entry;
  LayerSpec spec;
};

std::vector<ConformanceCase> all_cases() {
  std::vector<ConformanceCase> cases;
  for (const KernelEntry& entry : kernel_registry()) {
    for (const LayerSpec& spec : conformance_shapes(entry.kind)) {
      if (entry.supports(spec)) cases.push_back({&entry, spec});
    }
  }
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<ConformanceCase>& info) {
  std::string name = test_name(info.param.entry->implementation) + "_" + info.param.spec.to_string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name + "_" + std::to_string(info.index);
}

// Runs the kernel over `input` in pieces of `block` frames, with guard sentinels after the output. A
// decimating (strided) or upsampling (transposed) kernel writes output_frames() of each piece: the output is
// their concatenation.
std::vector<float> run_kernel(Kernel& kernel, const std::vector<float>& input, int frames, int block) {
  const int in = kernel.input_size(), out = kernel.output_size();
  kernel.prepare(block);
  std::vector<float> output;
  std::vector<float> piece(static_cast<std::size_t>(kernel.spec().max_output_frames(block)) * out + kGuardFloats,
                           kSentinel);
  for (int first = 0; first < frames; first += block) {
    const int count = std::min(block, frames - first);
    const int outputs = kernel.output_frames(count);
    std::fill(piece.begin(), piece.end(), kSentinel);
    kernel.process(input.data() + static_cast<std::size_t>(first) * in, piece.data(), count);
    for (int g = outputs * out; g < outputs * out + kGuardFloats; ++g) {
      if (piece[g] != kSentinel) {
        ADD_FAILURE() << "wrote past its output (frame block of " << count << ", " << outputs << " out)";
        return output;
      }
    }
    output.insert(output.end(), piece.begin(), piece.begin() + outputs * out);
  }
  return output;
}

class Conformance : public ::testing::TestWithParam<ConformanceCase> {};

TEST_P(Conformance, MatchesLibtorch) {
  const ConformanceCase& test = GetParam();
  // The seed depends on the shape only, so every backend sees the same weights and input.
  std::mt19937 rng(static_cast<unsigned>(LayerSpecHash{}(test.spec)));
  const Weights weights = random_weights(test.spec, rng);
  const float amplitude = test.spec.kind == LayerKind::softmax || is_activation(test.spec.kind) ? 4.0f : 1.0f;
  const std::vector<float> input = random_signal(kSteps, test.spec.input_size, rng, amplitude);
  const std::vector<float> input_copy = input;
  const std::vector<float> expected = torch_reference(test.spec, weights, input, kSteps);
  // From reset(): ceil(frames / time stride) * time upsampling.
  ASSERT_EQ(expected.size(), static_cast<std::size_t>(test.spec.max_output_frames(kSteps)) * test.spec.output_size);

  const auto kernel = test.entry->create(test.spec, weights);
  ASSERT_EQ(kernel->implementation(), test.entry->implementation);
  const double bound = tolerance(test.spec.kind);
  const auto error = [&](const std::vector<float>& actual) {
    return is_recurrent(test.spec.kind) ? max_abs_error(actual, expected) : normalised_max_error(actual, expected);
  };

  const std::vector<float> per_sample = run_kernel(*kernel, input, kSteps, 1);
  EXPECT_LE(error(per_sample), bound) << "per sample, " << test.spec.to_string();

  const std::vector<float> one_block = run_kernel(*kernel, input, kSteps, kSteps);
  EXPECT_LE(error(one_block), bound) << "one block, " << test.spec.to_string();

  if (test.spec.time_stride() > 1 || test.spec.time_upsampling() > 1) {
    // A decimating kernel's phase, an upsampling one's overlapping tail across calls: blocks that are not
    // multiples of the stride.
    const std::vector<float> blocks_of_7 = run_kernel(*kernel, input, kSteps, 7);
    EXPECT_LE(error(blocks_of_7), bound) << "blocks of 7, " << test.spec.to_string();
  }

  EXPECT_EQ(input, input_copy) << "the kernel modified its input";
}

INSTANTIATE_TEST_SUITE_P(AllKernels, Conformance, ::testing::ValuesIn(all_cases()), case_name);

// The registry must hold every layer kind on every compiled-in backend.
TEST(Registry, EveryKindOnEveryCompiledBackend) {
  for (LayerKind kind : all_layer_kinds()) {
    for (Backend backend : compiled_backends()) {
      const KernelEntry* entry = find_kernel(kind, backend);
      ASSERT_NE(entry, nullptr) << layer_kind_name(kind) << " on " << backend_name(backend);
      EXPECT_EQ(entry->supports_shape, nullptr) << "a generic kernel computes every shape";
    }
  }
}

// Each variant implementation (xsimd.fixed, ...) computes some shapes; the conformance grid covers it.
TEST(Registry, EveryVariantHasConformanceCases) {
  for (const KernelEntry& entry : kernel_registry()) {
    const auto& shapes = conformance_shapes(entry.kind);
    EXPECT_TRUE(std::any_of(shapes.begin(), shapes.end(), [&](const LayerSpec& spec) { return entry.supports(spec); }))
        << kernel_test_name(entry);
  }
}

// The oracle itself must be able to disagree: a perturbed weight changes torch's answer past tolerance.
TEST(Registry, ReferenceDetectsAWrongWeight) {
  const LayerSpec spec = LayerSpec::dense(8, 8);
  std::mt19937 rng(7);
  Weights weights = random_weights(spec, rng);
  const std::vector<float> input = random_signal(100, 8, rng);
  const std::vector<float> expected = torch_reference(spec, weights, input, 100);
  auto kernel = create_kernel(spec, Backend::stl, weights);
  weights["weight"].values[3] += 1e-3f;
  const std::vector<float> perturbed = torch_reference(spec, weights, input, 100);
  EXPECT_GT(normalised_max_error(perturbed, expected), tolerance(spec.kind));
  EXPECT_LE(normalised_max_error(run_kernel(*kernel, input, 100, 100), expected), tolerance(spec.kind));
}

// The reset_after == false GRU is not PyTorch's GRU under another name: on the same weights the two differ
// far beyond tolerance (so the conformance cases of each test what they claim to).
TEST(Registry, GruResetPositionMatters) {
  LayerSpec spec = LayerSpec::gru(3, 8);
  std::mt19937 rng(11);
  const Weights weights = random_weights(spec, rng);
  const std::vector<float> input = random_signal(200, 3, rng);
  const std::vector<float> reset_after = torch_reference(spec, weights, input, 200);
  spec.reset_after = false;
  const std::vector<float> reset_before = torch_reference(spec, weights, input, 200);
  EXPECT_GT(max_abs_error(reset_before, reset_after), 100 * tolerance(spec.kind));
}

}  // namespace
}  // namespace rtn::testing
