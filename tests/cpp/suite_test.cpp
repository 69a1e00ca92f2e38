// rtn-tune's suite files (tools/tune/suite.cpp): each grid point of a layer is read by the model format's own
// reader, so a suite takes every parameter a model file takes (a GRU's reset_after, a kind registered at run
// time) with the same checks and messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "rtn/error.hpp"
#include "tools/tune/bundled_suite.hpp"
#include "tools/tune/suite.hpp"
#include "toy_layer/toy_layer.hpp"

namespace rtn::tune {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The keys of the shapes a suite with these layers expands to.
std::vector<std::string> suite_keys(const std::string& layers) {
  const std::string path = ::testing::TempDir() + "rtn_suite_test.json";
  std::ofstream(path) << R"({"format": "rtn-suite", "version": 1, "layers": [)" << layers << "]}";
  Suite suite;
  add_suite(suite, path);
  std::remove(path.c_str());
  std::vector<std::string> keys;
  for (const LayerSpec& spec : suite.shapes) keys.push_back(spec.to_string());
  return keys;
}

std::string suite_error(const std::string& layers) {
  try {
    suite_keys(layers);
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

TEST(Suite, GridsAndTiedParameters) {
  EXPECT_THAT(suite_keys(R"({"type": "dense", "in_features": [8, 16], "out_features": "in_features", "bias": false})"),
              ElementsAre("dense(in=8,out=8,bias=0)", "dense(in=16,out=16,bias=0)"));
  EXPECT_THAT(suite_keys(R"({"type": "conv1d", "in_channels": 4, "out_channels": 4, "kernel_size": 3,
                             "dilation": [1, 8], "groups": 4})"),
              ElementsAre("conv1d(in=4,out=4,kernel=3,dilation=1,groups=4,bias=1)",
                          "conv1d(in=4,out=4,kernel=3,dilation=8,groups=4,bias=1)"));
  EXPECT_THAT(suite_keys(R"({"type": "leaky_relu", "channels": 8, "negative_slope": 0.2})"),
              ElementsAre("leaky_relu(channels=8,slope=0.2)"));
}

// Suites used to drop reset_after: every GRU of a suite was PyTorch's.
TEST(Suite, KeepsGruResetAfter) {
  EXPECT_THAT(suite_keys(R"({"type": "gru", "input_size": 1, "hidden_size": 8, "reset_after": [true, false]})"),
              ElementsAre("gru(in=1,hidden=8,layers=1,bias=1)", "gru(in=1,hidden=8,layers=1,bias=1,reset_after=0)"));
}

TEST(Suite, ChecksAsModelFilesDo) {
  EXPECT_THAT(suite_error(R"({"type": "gru", "input_size": 1, "hidden_size": 0})"),
              HasSubstr("rtn_suite_test.json: layers[0].hidden_size: expected an integer >= 1, got 0"));
  EXPECT_THAT(suite_error(R"({"type": "gru", "input_size": 1})"),
              HasSubstr("layers[0].hidden_size: missing (expected an integer >= 1)"));
  EXPECT_THAT(suite_error(R"({"type": "conv1d", "in_channels": 4, "out_channels": 4, "kernel_size": 3, "groups": 3})"),
              HasSubstr("layers[0]: groups (3) must divide both input channels (4) and output channels (4)"));
  EXPECT_THAT(suite_error(R"({"type": "tanh"})"), HasSubstr("layers[0].channels: missing"));
  EXPECT_THAT(suite_error(R"({"type": "gru", "input_size": 1, "hidden_size": 8, "resetafter": 1})"),
              HasSubstr("layers[0].resetafter: unknown parameter of gru"));
}

TEST(Suite, Conv2dGridsAndTheStandardSuite) {
  EXPECT_THAT(suite_keys(R"({"type": "conv2d", "in_channels": 1, "out_channels": 2, "in_features": 9,
                             "kernel_size_time": 3, "kernel_size_feature": 3, "stride": 2,
                             "same_padding": [false, true]})"),
              ElementsAre("conv2d(in=1,out=2,features=9,kernel=3,kernel_features=3,dilation=1,stride=2,same=0,"
                          "groups=1,bias=1)",
                          "conv2d(in=1,out=2,features=9,kernel=3,kernel_features=3,dilation=1,stride=2,same=1,"
                          "groups=1,bias=1)"));
  EXPECT_THAT(suite_error(R"({"type": "conv2d", "in_channels": 1, "out_channels": 2, "in_features": 9,
                              "kernel_size_time": 3, "kernel_size_feature": 3, "stride": 10})"),
              HasSubstr("layers[0]: stride (10) is larger than the frame's 9 features"));
  // The bundled standard suite tunes both spectral kinds.
  Suite standard;
  add_suite(standard, std::string(RTN_TEST_DATA_DIR) + "/../../suites/standard.json");
  int conv2d = 0, batchnorm2d = 0;
  for (const LayerSpec& spec : standard.shapes) {
    conv2d += spec.kind == LayerKind::conv2d;
    batchnorm2d += spec.kind == LayerKind::batchnorm2d;
  }
  EXPECT_EQ(conv2d, 32);
  EXPECT_EQ(batchnorm2d, 4);
}

TEST(Suite, TakesAKindRegisteredAtRunTime) {
  testing::toy_layer_kind();
  EXPECT_THAT(suite_keys(R"({"type": "toy_scale", "channels": [2, 5], "gain": 0.5})"),
              ElementsAre("toy_scale(channels=2,gain=0.5)", "toy_scale(channels=5,gain=0.5)"));
}

// An installed rtn-tune (PREFIX/bin) reads PREFIX/share/rtn/suites/default.json; without it, the source tree's.
TEST(Suite, BundledSuiteIsFoundBesideAnInstalledProgramFirst) {
  namespace fs = std::filesystem;
  const fs::path prefix = fs::temp_directory_path() / ("rtn-bundled-suite-" + std::to_string(::getpid()));
  fs::remove_all(prefix);
  fs::create_directories(prefix / "bin");
  fs::create_directories(prefix / "share/rtn/suites");
  fs::create_directories(prefix / "source/suites");
  std::ofstream(prefix / "share/rtn/suites/default.json") << "{}";
  std::ofstream(prefix / "source/suites/default.json") << "{}";
  const fs::path program = prefix / "bin/rtn-tune";
  const std::string source_suite = (prefix / "source/suites/default.json").string();
  const std::vector<fs::path> candidates =
      bundled_suite_candidates(program, "../share/rtn/suites/default.json", source_suite);
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_EQ(find_bundled_suite(candidates), prefix / "share/rtn/suites/default.json");
  fs::remove(prefix / "share/rtn/suites/default.json");
  EXPECT_EQ(find_bundled_suite(candidates), fs::path(source_suite));
  fs::remove(prefix / "source/suites/default.json");
  EXPECT_TRUE(find_bundled_suite(candidates).empty());
  // Unknown program path: only the source tree is tried.
  EXPECT_EQ(bundled_suite_candidates({}, "../share/rtn/suites/default.json", source_suite).size(), 1u);
  fs::remove_all(prefix);
  // The test program itself is found (Linux).
  EXPECT_EQ(current_executable().filename(), "rtn_unit_tests");
}

}  // namespace
}  // namespace rtn::tune
