// Block-size invariance: every kernel, and a model, give the same output whatever the block sizes.
#include <gtest/gtest.h>

#include <random>

#include "rtn/registry.hpp"
#include "tools/common/test_data.hpp"

namespace rtn::testing {
namespace {

constexpr int kFrames = 3000;
constexpr int kMaxBlock = 512;

// A strided or transposed kernel writes output_frames() of each block: the output is their concatenation.
std::vector<float> run_in_blocks(Kernel& kernel, const std::vector<float>& input, const std::vector<int>& blocks) {
  std::vector<float> output(static_cast<std::size_t>(kernel.spec().max_output_frames(kFrames)) * kernel.output_size());
  kernel.reset();
  int first = 0;
  std::size_t written = 0;
  for (std::size_t b = 0; first < kFrames; ++b) {
    const int count = std::min(blocks[b % blocks.size()], kFrames - first);
    const int outputs = kernel.output_frames(count);
    kernel.process(input.data() + static_cast<std::size_t>(first) * kernel.input_size(),
                   output.data() + written * kernel.output_size(), count);
    first += count;
    written += static_cast<std::size_t>(outputs);
  }
  return output;
}

class BlockSize : public ::testing::TestWithParam<KernelEntry> {};

TEST_P(BlockSize, AnyBlockSizesGiveTheSameOutput) {
  const LayerSpec spec = typical_shape(GetParam());
  std::mt19937 rng(11);
  const auto kernel = GetParam().create(spec, random_weights(spec, rng));
  kernel->prepare(kMaxBlock);
  const std::vector<float> input = random_signal(kFrames, spec.input_size, rng);
  const std::vector<float> reference = run_in_blocks(*kernel, input, {kMaxBlock});

  std::vector<int> random_blocks;
  std::uniform_int_distribution<int> size(1, kMaxBlock);
  for (int i = 0; i < 50; ++i) random_blocks.push_back(size(rng));
  for (const std::vector<int>& blocks : {std::vector<int>{1}, {7}, {64}, {256}, {kMaxBlock - 1}, random_blocks}) {
    const double error = normalised_max_error(run_in_blocks(*kernel, input, blocks), reference);
    // Different block sizes may sum in a different order (a matrix product vs matrix-vector products):
    // the outputs agree to float rounding, far inside the tolerance against libtorch.
    EXPECT_LE(error, 2e-6) << spec.to_string() << " blocks of " << blocks.front()
                           << (blocks.size() > 1 ? " (random sizes)" : "");
  }
}

TEST_P(BlockSize, ResetRestartsFromZeroState) {
  const LayerSpec spec = typical_shape(GetParam());
  std::mt19937 rng(12);
  const auto kernel = GetParam().create(spec, random_weights(spec, rng));
  kernel->prepare(64);
  const std::vector<float> input = random_signal(kFrames, spec.input_size, rng);
  const std::vector<float> first = run_in_blocks(*kernel, input, {64});
  const std::vector<float> second = run_in_blocks(*kernel, input, {64});  // run_in_blocks resets first
  EXPECT_EQ(first, second);
}

// A per-sample call reads the newest frames through the history's window, which copies the ring's first
// frames after its end: mixed calls (blocks, whose frames land there too, then single frames reading them
// across the ring's end) over dilations whose history is many frames long, for every implementation.
TEST(BlockSizeConv1d, SingleFramesBetweenBlocksReadTheHistoryTheBlocksWrote) {
  std::mt19937 rng(13);
  std::vector<int> blocks;
  std::uniform_int_distribution<int> size(1, 64);
  std::bernoulli_distribution single(0.6);
  for (int i = 0; i < 200; ++i) blocks.push_back(single(rng) ? 1 : size(rng));
  for (const LayerSpec& spec : {LayerSpec::conv1d(8, 8, 3, 1), LayerSpec::conv1d(8, 8, 3, 16),
                                LayerSpec::conv1d(16, 16, 2, 40), LayerSpec::conv1d(8, 8, 5, 9),
                                LayerSpec::conv1d(8, 8, 3, 40) /* a history longer than the blocks */}) {
    for (const Implementation implementation : implementations_for(spec)) {
      const auto kernel = find_kernel(spec, implementation)->create(spec, random_weights(spec, rng));
      kernel->prepare(64);
      const std::vector<float> input = random_signal(kFrames, spec.input_size, rng);
      const std::vector<float> reference = run_in_blocks(*kernel, input, {64});
      EXPECT_LE(normalised_max_error(run_in_blocks(*kernel, input, blocks), reference), 2e-6)
          << spec.to_string() << " on " << implementation.name();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, BlockSize, ::testing::ValuesIn(kernel_registry()), [](const auto& info) {
  return kernel_test_name(info.param);
});

}  // namespace
}  // namespace rtn::testing
