// Bit-reproducibility: the same weights, state, input and block sizes give the same bits whatever the
// addresses of the input and output buffers. A host that renders the same audio twice (an offline
// bounce against the live render, a null test) must get identical output, and a SIMD loop that peels
// elements until an aligned address would break that: which elements take the scalar path, and in
// which order a sum adds them, would follow the buffer's address.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "rtn/model.hpp"
#include "rtn/registry.hpp"
#include "tools/common/test_data.hpp"

namespace rtn::testing {
namespace {

// Offsets, in floats, from a 64-byte boundary: aligned, odd, and every SIMD width's partial alignments.
constexpr int kOffsets[] = {0, 1, 3, 4, 8, 15};
constexpr int kFrames = 150;
const std::vector<int> kBlocks = {1, 5, 64, 17};

// A buffer of `count` floats starting `offset` floats after a 64-byte boundary, with NaN around it so that
// a read outside the data shows in the output.
class OffsetBuffer {
 public:
  OffsetBuffer(std::size_t count, int offset) : storage_(count + 64 + 32, kPoison), offset_(offset) {
    const auto address = reinterpret_cast<std::uintptr_t>(storage_.data());
    const std::size_t to_boundary = ((64 - address % 64) % 64) / sizeof(float);
    data_ = storage_.data() + to_boundary + 16 + offset_;
  }
  float* data() noexcept { return data_; }

 private:
  static constexpr float kPoison = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> storage_;
  int offset_;
  float* data_ = nullptr;
};

std::vector<float> run_at_offsets(Kernel& kernel, const std::vector<float>& input, int in_offset, int out_offset) {
  const std::size_t in_count = static_cast<std::size_t>(kFrames) * kernel.input_size();
  const std::size_t out_count = static_cast<std::size_t>(kernel.spec().max_output_frames(kFrames)) * kernel.output_size();
  OffsetBuffer in(in_count, in_offset);
  OffsetBuffer out(out_count, out_offset);
  std::memcpy(in.data(), input.data(), in_count * sizeof(float));
  kernel.reset();
  int first = 0;
  std::size_t written = 0;  // output frames: first, but for a decimating (strided) kernel
  for (std::size_t b = 0; first < kFrames; ++b) {
    const int count = std::min(kBlocks[b % kBlocks.size()], kFrames - first);
    const int outputs = kernel.output_frames(count);
    kernel.process(in.data() + static_cast<std::size_t>(first) * kernel.input_size(),
                   out.data() + written * kernel.output_size(), count);
    first += count;
    written += static_cast<std::size_t>(outputs);
  }
  return std::vector<float>(out.data(), out.data() + written * kernel.output_size());
}

// Bit equality (EXPECT_EQ on floats would call two NaNs different and -0 equal to +0).
bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

class AlignmentInvariance : public ::testing::TestWithParam<KernelEntry> {};

TEST_P(AlignmentInvariance, OutputBitsDoNotDependOnBufferAddresses) {
  for (const LayerSpec& spec : conformance_shapes(GetParam().kind)) {
    if (!GetParam().supports(spec)) continue;
    std::mt19937 rng(21);
    const auto kernel = GetParam().create(spec, random_weights(spec, rng));
    kernel->prepare(64);
    const std::vector<float> input = random_signal(kFrames, spec.input_size, rng);
    const std::vector<float> reference = run_at_offsets(*kernel, input, 0, 0);
    for (float value : reference) ASSERT_TRUE(std::isfinite(value)) << spec.to_string();
    for (int in_offset : kOffsets) {
      for (int out_offset : kOffsets) {
        EXPECT_TRUE(same_bits(run_at_offsets(*kernel, input, in_offset, out_offset), reference))
            << spec.to_string() << " input at +" << in_offset << " floats, output at +" << out_offset;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllKernels, AlignmentInvariance, ::testing::ValuesIn(kernel_registry()),
                         [](const auto& info) { return kernel_test_name(info.param); });

// A model of every layer kind, on each backend, through Model::process with shifted buffers.
TEST(AlignmentInvariance, WholeModelsGiveTheSameBitsAtAnyOffset) {
  std::mt19937 rng(22);
  ModelDefinition definition;
  definition.input_channels = 3;
  definition.output_channels = 5;
  for (const LayerSpec& spec : {LayerSpec::conv1d(3, 7, 3, 2), LayerSpec::batchnorm1d(7), LayerSpec::prelu(7, 7),
                                LayerSpec::gru(7, 13), LayerSpec::activation(LayerKind::softmax, 13),
                                LayerSpec::lstm(13, 9, 2), LayerSpec::elu(9), LayerSpec::dense(9, 5),
                                LayerSpec::activation(LayerKind::tanh, 5)}) {
    definition.layers.push_back({spec, random_weights(spec, rng)});
  }
  const std::vector<float> input = random_signal(kFrames, 3, rng);
  for (Implementation implementation : compiled_implementations()) {
    Model model = Model::build(definition, {implementation, {}});
    model.prepare(32);
    auto run = [&](int in_offset, int out_offset) {
      OffsetBuffer in(input.size(), in_offset);
      OffsetBuffer out(static_cast<std::size_t>(kFrames) * 5, out_offset);
      std::memcpy(in.data(), input.data(), input.size() * sizeof(float));
      model.reset();
      model.process(in.data(), out.data(), 100);  // more than max_block: in pieces
      model.process(in.data() + 100 * 3, out.data() + 100 * 5, kFrames - 100);
      return std::vector<float>(out.data(), out.data() + kFrames * 5);
    };
    const std::vector<float> reference = run(0, 0);
    for (int in_offset : kOffsets) {
      for (int out_offset : kOffsets) {
        EXPECT_TRUE(same_bits(run(in_offset, out_offset), reference))
            << implementation.name() << ": input at +" << in_offset << ", output at +" << out_offset;
      }
    }
  }
}

}  // namespace
}  // namespace rtn::testing
