// The toy layer kind (toy_layer/toy_layer.hpp), registered with its libtorch reference through the public
// extension points only, is picked up by the conformance loop (conformance_test.cpp's cases, built from the
// registry) and tuned by rtn-tune's own code like a built-in kind.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "rtn/profile.hpp"
#include "rtn/registry.hpp"
#include "tools/common/test_data.hpp"
#include "toy_layer/toy_layer.hpp"
#if defined(RTN_TEST_TUNE_COMMAND)
#include "tools/tune/tune_command.hpp"
#endif

namespace rtn::testing {
namespace {

using ::testing::HasSubstr;

// Before GoogleTest expands the registry-driven test lists (at InitGoogleTest, after static initialisation).
const bool kToyRegistered = (toy_layer_kind(), register_toy_layer_reference(), true);

TEST(ToyLayer, PickedUpByTheConformanceLoop) {
  ASSERT_TRUE(kToyRegistered);
  std::vector<std::string> names;
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const ::testing::TestSuite& suite = *unit.GetTestSuite(s);
    if (std::string(suite.name()) != "AllKernels/Conformance") continue;
    for (int t = 0; t < suite.total_test_count(); ++t) {
      const std::string name = suite.GetTestInfo(t)->name();
      if (name.find(kToyLayerName) != std::string::npos) names.push_back(name);
    }
  }
  // Each of its 4 conformance shapes on every compiled-in backend, checked against its torch reference.
  EXPECT_EQ(names.size(), 4 * compiled_backends().size()) << ::testing::PrintToString(names);
  EXPECT_THAT(names,
              ::testing::Contains(HasSubstr(test_name(Backend::stl) + "_toy_scale_channels_17_gain_0_5_")));
}

#if defined(RTN_TEST_TUNE_COMMAND)
// rtn-tune, run on a suite that names the toy kind: it reads the layer, checks every implementation against
// the kind's torch reference, times them and libtorch, and writes their profile entries.
TEST(ToyLayer, TunedByRtnTune) {
  const std::string directory = ::testing::TempDir();
  const std::string suite = directory + "rtn_toy_suite.json", profile = directory + "rtn_toy_profile.json";
  std::ofstream(suite) << R"({"format": "rtn-suite", "version": 1, "blocks": [1],
                              "layers": [{"type": "toy_scale", "channels": [3, 8], "gain": -2}]})";
  std::vector<std::string> arguments = {"rtn-tune", suite, "--budget", "0.5", "--output", profile, "--replace"};
  std::vector<char*> argv;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  ASSERT_EQ(tune::run_tune_command(static_cast<int>(argv.size()), argv.data()), 0);

  std::ifstream file(profile);
  std::stringstream text;
  text << file.rdbuf();
  const Profile tuned = parse_profile_json(text.str(), profile);
  std::remove(suite.c_str());
  std::remove(profile.c_str());
  for (const int channels : {3, 8}) {
    const ProfileEntry* entry = tuned.find(toy_layer(channels, -2.0f).to_string(), 1);
    ASSERT_NE(entry, nullptr) << channels;
    EXPECT_EQ(entry->backends.size(), compiled_backends().size());
    for (const BackendMeasurement& measurement : entry->backends) {
      EXPECT_TRUE(measurement.within_tolerance) << measurement.implementation;
      EXPECT_LE(measurement.max_rel_error, 1e-6) << measurement.implementation;  // the same float operations
      EXPECT_GT(measurement.ns_per_sample, 0) << measurement.implementation;
    }
    EXPECT_TRUE(entry->libtorch_ns_per_sample.has_value()) << "libtorch ran the toy kind's streaming reference";
  }
}
#endif

}  // namespace
}  // namespace rtn::testing
