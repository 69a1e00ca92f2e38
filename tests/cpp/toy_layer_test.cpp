// A layer kind added through the public extension points only (toy_layer/toy_layer.hpp) is a layer kind like
// the built-in ones: named, validated, loaded from model files and suites, dispatched, built into models, and
// picked up by the registry-driven tests of this program (allocation, block sizes, bit reproducibility).
// toy_layer_conformance_test.cpp checks the conformance loop and rtn-tune.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "rtn/dispatcher.hpp"
#include "rtn/error.hpp"
#include "rtn/layer_descriptor.hpp"
#include "rtn/model.hpp"
#include "rtn/registry.hpp"
#include "tools/common/test_data.hpp"
#include "toy_layer/toy_layer.hpp"
#if defined(RTN_HAVE_JSON)
#include "rtn/model_file.hpp"
#endif

namespace rtn::testing {
namespace {

using ::testing::HasSubstr;

// Before GoogleTest expands the registry-driven test lists (at InitGoogleTest, after static initialisation).
const LayerKind kToyKind = toy_layer_kind();

// The names of the registered tests of `suite` ("AllKernels/NoAllocation") that mention the toy kind.
std::vector<std::string> toy_tests(const std::string& suite) {
  std::vector<std::string> names;
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const ::testing::TestSuite& test_suite = *unit.GetTestSuite(s);
    if (test_suite.name() != suite) continue;
    for (int t = 0; t < test_suite.total_test_count(); ++t) {
      const std::string name = test_suite.GetTestInfo(t)->name();
      if (name.find(kToyLayerName) != std::string::npos) names.push_back(name);
    }
  }
  return names;
}

TEST(ToyLayer, IsALayerKind) {
  EXPECT_EQ(parse_layer_kind(kToyLayerName), kToyKind);
  EXPECT_EQ(layer_kind_name(kToyKind), kToyLayerName);
  const std::vector<LayerKind>& kinds = all_layer_kinds();
  EXPECT_EQ(kinds.back(), kToyKind);
  EXPECT_GT(static_cast<int>(kToyKind), static_cast<int>(LayerKind::wavenet));

  const LayerSpec spec = toy_layer(3, 0.5f);
  EXPECT_EQ(spec.to_string(), "toy_scale(channels=3,gain=0.5)");
  EXPECT_EQ(spec.validate(), "");
  EXPECT_EQ(toy_layer(3, 0.0f).validate(), "a toy_scale with gain 0 outputs only its bias");
  LayerSpec resized = spec;
  resized.output_size = 4;
  EXPECT_EQ(resized.validate(), "toy_scale keeps its size: input 3 != output 4");
  EXPECT_EQ(spec.parameter_count(), 3u);
  EXPECT_EQ(spec.flops_per_frame(), 6.0);  // the default: 2 per channel
  EXPECT_EQ(expected_weights(spec).front().name, "bias");
  EXPECT_NE(LayerSpecHash{}(spec), LayerSpecHash{}(toy_layer(4, 0.5f)));
}

TEST(ToyLayer, RegisteringTwiceOrIncompleteIsAnError) {
  LayerDescriptor again = layer_descriptor(kToyKind);
  EXPECT_THROW(register_layer_kind(again), Error);
  LayerDescriptor untested;
  untested.name = "untested";
  EXPECT_THROW(register_layer_kind(untested), Error);
  EXPECT_THROW(register_kernel({kToyKind, Backend::stl, kernel_registry().front().factory}), Error);
}

TEST(ToyLayer, RunsInAModelOnEveryBackend) {
  ModelDefinition definition;
  definition.input_channels = definition.output_channels = 2;
  LayerSpec spec = toy_layer(2, 2.0f);
  definition.layers.push_back({spec, {{"bias", Tensor{{2}, {0.5f, -1.0f}}}}});
  for (Backend backend : compiled_backends()) {
    Model model = Model::build(definition, BackendSelection(backend));
    EXPECT_EQ(model.describe().front().implementation, Implementation(backend));
    model.prepare(4);
    const float input[] = {1, 2, 3, 4};
    float output[4];
    model.process(input, output, 2);
    EXPECT_THAT(output, ::testing::ElementsAre(2.5f, 3.0f, 6.5f, 7.0f)) << backend_name(backend);
  }
  // Without a profile the dispatcher's default (the kind has no rule: xsimd where compiled in).
  EXPECT_EQ(Model::build(definition).describe().front().implementation, default_implementation(spec, 1));
}

TEST(ToyLayer, PickedUpByTheAllocationAndBlockSizeLoops) {
  const std::vector<std::string> allocation = toy_tests("AllKernels/NoAllocation");
  EXPECT_EQ(allocation.size(), compiled_backends().size()) << ::testing::PrintToString(allocation);
  EXPECT_THAT(allocation, ::testing::Contains(HasSubstr("toy_scale_stl")));
}

#if defined(RTN_HAVE_JSON)
TEST(ToyLayer, ReadFromModelFiles) {
  const ModelDefinition definition = parse_model_json(R"({"format": "rtn", "version": 1, "input_channels": 2,
      "output_channels": 2, "layers": [{"type": "toy_scale", "gain": -1.5, "weights": {"bias": [0.25, 0]}}]})");
  ASSERT_EQ(definition.layers.size(), 1u);
  EXPECT_EQ(definition.layers[0].spec, toy_layer(2, -1.5f));
  EXPECT_THAT([] { parse_model_json(R"({"format": "rtn", "version": 1, "input_channels": 2, "output_channels": 2,
                                         "layers": [{"type": "toy_scale", "gian": 2, "weights": {"bias": [0, 0]}}]})",
                                    "toy.json"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("toy.json: layers[0].gian: unknown key in toy_scale")));
  EXPECT_THAT([] { parse_model_json(R"({"format": "rtn", "version": 1, "input_channels": 2, "output_channels": 2,
                                         "layers": [{"type": "toy_scale", "weights": {"bias": [0]}}]})",
                                    "toy.json"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("toy.json: layers[0].weights.bias: expected 2, got 1")));
}
#endif

}  // namespace
}  // namespace rtn::testing
