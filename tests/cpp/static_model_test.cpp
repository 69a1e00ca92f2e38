// The compile-time API's contract (rtn/static_model.hpp): a model file whose layers differ from the type is
// refused with the place and the difference; process, process_sample and reset never allocate; non-finite
// input is silence; in-place calls work. Its numerics are checked against libtorch in
// static_model_reference_test.cpp.
#include "rtn/static_model.hpp"  // first: its kernels get their own namespace (before any ops header)

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "support/allocation_counter.hpp"
#include "tools/common/test_data.hpp"
#if RTN_HAVE_XSIMD
#include "backends/xsimd_ops.hpp"
#endif

namespace rtn::testing {
namespace {

using namespace fixed;
using ::testing::HasSubstr;

ModelDefinition amp_model(const std::vector<LayerSpec>& specs, bool input_skip = false) {
  ModelDefinition definition = testing::random_model(specs, 3, input_skip);
  definition.name = "amp";
  return definition;
}

// The message of the rtn::Error that building a `Static` from `definition` throws, or "(no error)".
template <typename Static>
std::string static_error_of(const ModelDefinition& definition) {
  try {
    Static model(definition);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

using GuitarLstm = StaticModel<StlOps, Lstm<1, 40>, Dense<40, 1>>;

std::string error_of(const ModelDefinition& definition) { return static_error_of<GuitarLstm>(definition); }

TEST(StaticModel, RefusesAModelWhoseLayersDiffer) {
  EXPECT_THAT(error_of(amp_model({LayerSpec::lstm(1, 40)})),
              HasSubstr("this StaticModel has 2 layers, but the model 'amp' has 1"));
  EXPECT_THAT(error_of(amp_model({LayerSpec::gru(1, 40), LayerSpec::dense(40, 1)})),
              HasSubstr("layer 0: this StaticModel expects a lstm with 1 inputs and 40 outputs, but the model "
                        "file's layer is gru(in=1,hidden=40"));
  EXPECT_THAT(error_of(amp_model({LayerSpec::lstm(1, 32), LayerSpec::dense(32, 1)})),
              HasSubstr("layer 0: this StaticModel expects a lstm with 1 inputs and 40 outputs, but the model "
                        "file's layer is lstm(in=1,hidden=32"));
  EXPECT_THAT(error_of(amp_model({LayerSpec::lstm(1, 40, 2), LayerSpec::dense(40, 1)})),
              HasSubstr("layer 0: this StaticModel expects a lstm"));
  EXPECT_THAT(error_of(amp_model({LayerSpec::lstm(1, 40), LayerSpec::dense(40, 2)})),
              HasSubstr("layer 1: this StaticModel expects a dense with 40 inputs and 1 outputs"));
  EXPECT_EQ(error_of(amp_model({LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)})), "(no error)");
}

TEST(StaticModel, RefusesMissingOrMisshapenWeights) {
  ModelDefinition missing = amp_model({LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)});
  missing.layers[1].weights.erase("bias");
  EXPECT_THAT(error_of(missing), HasSubstr("layer 1: "));
  EXPECT_THAT(error_of(missing), HasSubstr("bias"));
  ModelDefinition misshapen = amp_model({LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)});
  misshapen.layers[0].weights.at("weight_hh_l0").values.pop_back();
  EXPECT_THAT(error_of(misshapen), HasSubstr("layer 0: "));
  EXPECT_THAT(error_of(misshapen), HasSubstr("weight_hh_l0"));
}

TEST(StaticModel, RefusesDecimatingLayers) {
  using Conv = StaticModel<StlOps, Conv1d<1, 4>>;
  LayerSpec strided = LayerSpec::conv1d(1, 4, 3);
  strided.stride = 2;
  try {
    Conv model(amp_model({strided}));
    FAIL() << "a strided convolution was accepted";
  } catch (const Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("layer 0: this StaticModel expects a conv1d"));
  }
}

// What the fixed-size kernels do not compute: a Keras GRU with reset_after=False and a grouped or depthwise
// conv1d. The generic kernels compute them (ComputesWhatModelComputes); the fixed-size ones refuse them by
// name (they once read past the weights).
TEST(StaticModel, FixedSizeOpsRefuseWhatTheirKernelsDoNotCompute) {
  LayerSpec keras = LayerSpec::gru(1, 8);
  keras.reset_after = false;
  const ModelDefinition keras_gru = amp_model({keras, LayerSpec::dense(8, 1)});
  const ModelDefinition depthwise = amp_model({LayerSpec::conv1d(8, 8, 3, 1, 8)});
  const ModelDefinition grouped = amp_model({LayerSpec::conv1d(8, 8, 3, 1, 2)});
  using StlGru = StaticModel<StlOps, Gru<1, 8>, Dense<8, 1>>;
  using StlConv = StaticModel<StlOps, Conv1d<8, 8>>;
  EXPECT_EQ(static_error_of<StlGru>(keras_gru), "(no error)");
  EXPECT_EQ(static_error_of<StlConv>(depthwise), "(no error)");
#if RTN_HAVE_XSIMD
  using XsimdGru = StaticModel<XsimdOps, Gru<1, 8>, Dense<8, 1>>;
  using XsimdConv = StaticModel<XsimdOps, Conv1d<8, 8>>;
  using XsimdNarrowingConv = StaticModel<XsimdOps, Conv1d<8, 4>>;
  EXPECT_THAT(static_error_of<XsimdGru>(keras_gru),
              HasSubstr("layer 0: a GRU with reset_after=False (Keras) has no fixed-size kernel; use StlOps"));
  EXPECT_THAT(static_error_of<XsimdConv>(depthwise),
              HasSubstr("layer 0: a grouped or depthwise conv1d (groups > 1) has no fixed-size kernel"));
  EXPECT_THAT(static_error_of<XsimdConv>(grouped), HasSubstr("groups > 1"));
  // In != Out takes the generic convolution, which computes groups
  EXPECT_EQ(static_error_of<XsimdNarrowingConv>(amp_model({LayerSpec::conv1d(8, 4, 3, 1, 4)})), "(no error)");
#endif
}

template <typename Model>
void expect_no_allocation(Model& model, int channels) {
  model.prepare(64);
  std::vector<float> buffer(static_cast<std::size_t>(200) * channels, 0.25f);
  CountAllocations allocations;
  for (int frames : {1, 64, 7, 200}) model.process(buffer.data(), buffer.data(), frames);  // in place, and > max block
  if constexpr (Model::kInputChannels == 1) {
    for (int i = 0; i < 100; ++i) model.process_sample(0.1f * static_cast<float>(i % 7));
  }
  model.reset();
  EXPECT_EQ(allocations.count(), 0u);
}

TEST(StaticModel, ProcessAndResetNeverAllocate) {
  const ModelDefinition guitar = amp_model({LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)}, true);
  GuitarLstm stl(guitar);
  expect_no_allocation(stl, 1);
#if RTN_HAVE_XSIMD
  StaticModel<XsimdOps, Lstm<1, 40>, Dense<40, 1>> simd(guitar);
  expect_no_allocation(simd, 1);
  StaticModel<XsimdOps, Conv1d<2, 8>, Tanh<8>, Gru<8, 12>, Dense<12, 2>> stereo(amp_model(
      {LayerSpec::conv1d(2, 8, 3, 2), LayerSpec::activation(LayerKind::tanh, 8), LayerSpec::gru(8, 12),
       LayerSpec::dense(12, 2)}));
  expect_no_allocation(stereo, 2);
#endif
}

TEST(StaticModel, NonFiniteInputIsSilenceAndInPlaceMatchesApart) {
  const ModelDefinition guitar = amp_model({LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)});
  GuitarLstm apart(guitar), in_place(guitar), silent(guitar);
  std::mt19937 rng(9);
  std::vector<float> input = random_signal(300, 1, rng, 0.5f);
  std::vector<float> with_nan = input;
  with_nan[10] = std::numeric_limits<float>::quiet_NaN();
  with_nan[20] = std::numeric_limits<float>::infinity();
  std::vector<float> zeroed = input;
  zeroed[10] = zeroed[20] = 0.0f;
  std::vector<float> expected(300), actual = with_nan;
  apart.process(zeroed.data(), expected.data(), 300);
  in_place.process(actual.data(), actual.data(), 300);
  EXPECT_EQ(actual, expected);  // the same kernels on the same values: bit for bit
  for (float value : actual) ASSERT_TRUE(std::isfinite(value));
}

// The same layers as the run-time Model computes them with the same backend (whose kernels the conformance
// tests check against libtorch, and the unit tests on aarch64 against NAM's and TensorFlow's outputs): equal up
// to rounding (the fixed-size kernels and the caller's compiler flags may order the sums differently).
template <typename Static>
void expect_same_as_model(const ModelDefinition& definition, Backend backend) {
  Static fixed_model(definition);
  Model model = Model::build(definition, {Implementation(backend), {}});
  std::mt19937 rng(4);
  const int frames = 700;
  const std::vector<float> input = random_signal(frames, definition.input_channels, rng, 0.8f);
  std::vector<float> expected(static_cast<std::size_t>(frames) * definition.output_channels);
  std::vector<float> actual(expected.size());
  model.process(input.data(), expected.data(), frames);
  fixed_model.process(input.data(), actual.data(), frames);
  EXPECT_LE(max_abs_error(actual, expected), 1e-5) << definition.name << " on " << backend_name(backend);
}

TEST(StaticModel, ComputesWhatModelComputes) {
  const ModelDefinition guitar = amp_model({LayerSpec::lstm(1, 40), LayerSpec::dense(40, 1)}, true);
  const ModelDefinition convs = amp_model({LayerSpec::conv1d(1, 8, 3), LayerSpec::activation(LayerKind::tanh, 8),
                                              LayerSpec::conv1d(8, 8, 2, 4), LayerSpec::gru(8, 12, 2),
                                              LayerSpec::dense(12, 1)});
  LayerSpec keras_gru = LayerSpec::gru(1, 8);
  keras_gru.reset_after = false;
  const ModelDefinition keras = amp_model({keras_gru, LayerSpec::dense(8, 1)});
  expect_same_as_model<GuitarLstm>(guitar, Backend::stl);
  expect_same_as_model<StaticModel<StlOps, Gru<1, 8>, Dense<8, 1>>>(keras, Backend::stl);
  expect_same_as_model<StaticModel<StlOps, Conv1d<8, 8>>>(amp_model({LayerSpec::conv1d(8, 8, 3, 1, 8)}),
                                                          Backend::stl);
#if RTN_HAVE_XSIMD
  expect_same_as_model<StaticModel<XsimdOps, Conv1d<8, 4>>>(amp_model({LayerSpec::conv1d(8, 4, 3, 1, 4)}),
                                                            Backend::xsimd);
#endif
  expect_same_as_model<StaticModel<StlOps, Conv1d<1, 8>, Tanh<8>, Conv1d<8, 8>, Gru<8, 12, 2>, Dense<12, 1>>>(convs, Backend::stl);
#if RTN_HAVE_XSIMD
  expect_same_as_model<StaticModel<XsimdOps, Lstm<1, 40>, Dense<40, 1>>>(guitar, Backend::xsimd);
  expect_same_as_model<StaticModel<XsimdOps, Conv1d<1, 8>, Tanh<8>, Conv1d<8, 8>, Gru<8, 12, 2>, Dense<12, 1>>>(
      convs, Backend::xsimd);
#endif
}

}  // namespace
}  // namespace rtn::testing
