// RTNeural's Keras reference models against TensorFlow: the shared data (shared/data/rtneural beside the
// repository: RTNeural's models/ and test_data/, see its README.md) holds four models in RTNeural's JSON,
// as its Keras exporter writes them, with an input and the output TensorFlow computed for it from zero
// state. rtn loads each through its RTNeural reader (Keras layouts and semantics converted to rtn's) and
// must reproduce TensorFlow on every backend, sample by sample and in blocks of any size.
//
// The shared data is part of the test: when it is missing the tests fail and say where it was expected.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rtn/model.hpp"
#include "rtn/model_file.hpp"

#ifndef RTN_SHARED_DATA_DIR
#error "RTN_SHARED_DATA_DIR must name the shared data directory (tests/CMakeLists.txt defines it)"
#endif

namespace {

// TensorFlow computes in float32 too, but its kernels sum in other orders; RTNeural's own tests accept 1e-6
// in double precision. Both sides carry float32 rounding through up to 14 layers.
constexpr double kTolerance = 1e-5;

const std::string kDirectory = std::string(RTN_SHARED_DATA_DIR) + "/rtneural";

// One number per line, as numpy.savetxt writes a vector. Fails the test (and returns empty) when the file
// cannot be read.
std::vector<float> read_column(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    ADD_FAILURE() << "cannot read " << path
                  << ": the shared data is missing (RTNeural's reference models are expected in "
                  << kDirectory << ", i.e. shared/data/rtneural beside the repository)";
    return {};
  }
  std::vector<float> values;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty()) values.push_back(std::stof(line));
  }
  return values;
}

double max_abs_error(const std::vector<float>& actual, const std::vector<float>& expected) {
  if (actual.size() != expected.size()) return INFINITY;
  double worst = 0.0;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    const double difference = std::fabs(static_cast<double>(actual[i]) - expected[i]);
    if (!(difference <= worst)) worst = difference;  // NaN too
  }
  return worst;
}

struct ReferenceModel {
  std::string name;
  // The layers rtn builds from the Keras layers: the conversion as a readable list.
  std::vector<std::string> layers;
};

void PrintTo(const ReferenceModel& model, std::ostream* out) { *out << model.name; }

const std::vector<ReferenceModel>& reference_models() {
  static const std::vector<ReferenceModel> models = {
      {"dense",
       {"dense(in=1,out=8,bias=1)", "tanh(channels=8)", "dense(in=8,out=8,bias=1)", "relu(channels=8)",
        "dense(in=8,out=8,bias=1)", "elu(channels=8,alpha=1)", "dense(in=8,out=8,bias=1)",
        "softmax(channels=8)", "dense(in=8,out=1,bias=1)", "dense(in=1,out=8,bias=0)",
        "dense(in=8,out=8,bias=0)", "dense(in=8,out=1,bias=0)"}},
      {"conv",
       {"dense(in=1,out=8,bias=1)", "tanh(channels=8)",
        "conv1d(in=8,out=4,kernel=3,dilation=1,groups=1,bias=1)", "tanh(channels=4)",
        "batchnorm1d(channels=4,eps=0.01)", "prelu(channels=4,parameters=4)",
        "conv1d(in=4,out=4,kernel=1,dilation=1,groups=1,bias=1)", "tanh(channels=4)",
        "conv1d(in=4,out=6,kernel=3,dilation=2,groups=2,bias=1)", "tanh(channels=6)",
        "batchnorm1d(channels=6,eps=5)", "prelu(channels=6,parameters=1)", "dense(in=6,out=1,bias=1)",
        "sigmoid(channels=1)"}},
      {"gru",
       {"dense(in=1,out=8,bias=1)", "tanh(channels=8)", "gru(in=8,hidden=8,layers=1,bias=1)",
        "dense(in=8,out=8,bias=1)", "sigmoid(channels=8)", "dense(in=8,out=1,bias=1)"}},
      {"lstm",
       {"dense(in=1,out=8,bias=1)", "tanh(channels=8)", "lstm(in=8,hidden=8,layers=1,bias=1)",
        "dense(in=8,out=1,bias=1)"}},
  };
  return models;
}

class RtneuralReference : public ::testing::TestWithParam<ReferenceModel> {};

TEST_P(RtneuralReference, LoadsAsKerasLayers) {
  const ReferenceModel& reference = GetParam();
  const std::string path = kDirectory + "/" + reference.name + ".json";
  ASSERT_TRUE(std::filesystem::exists(path))
      << path << " is missing: the shared data (RTNeural's reference models) is expected in " << kDirectory;
  const rtn::ModelDefinition definition = rtn::load_model_file(path);
  std::vector<std::string> layers;
  for (const rtn::LayerDefinition& layer : definition.layers) layers.push_back(layer.spec.to_string());
  EXPECT_EQ(layers, reference.layers);
  EXPECT_EQ(definition.input_channels, 1);
  EXPECT_EQ(definition.output_channels, 1);
  EXPECT_FALSE(definition.input_skip);
  EXPECT_FALSE(definition.sample_rate_known);  // RTNeural's format does not record a sample rate
  EXPECT_EQ(definition.name, reference.name);
}

TEST_P(RtneuralReference, MatchesTensorflowOnEveryBackend) {
  const ReferenceModel& reference = GetParam();
  const std::string path = kDirectory + "/" + reference.name + ".json";
  ASSERT_TRUE(std::filesystem::exists(path))
      << path << " is missing: the shared data (RTNeural's reference models) is expected in " << kDirectory;
  const rtn::ModelDefinition definition = rtn::load_model_file(path);
  const std::vector<float> input = read_column(kDirectory + "/" + reference.name + "_x.csv");
  const std::vector<float> expected = read_column(kDirectory + "/" + reference.name + "_y.csv");
  ASSERT_FALSE(input.empty());
  ASSERT_EQ(input.size(), expected.size());
  const int frames = static_cast<int>(input.size());

  for (rtn::Implementation backend : rtn::compiled_implementations()) {
    SCOPED_TRACE(std::string("backend ") + std::string(backend.name()));
    rtn::BackendSelection selection;
    selection.all = backend;
    rtn::Model model = rtn::Model::build(definition, selection);

    // Sample by sample from a fresh reset, as a real-time callback of one frame would.
    std::vector<float> per_sample(input.size());
    model.reset();
    for (int i = 0; i < frames; ++i) per_sample[i] = model.process_sample(input[i]);
    const double sample_error = max_abs_error(per_sample, expected);
    EXPECT_LE(sample_error, kTolerance) << reference.name << ", sample by sample";

    // One block, and blocks of changing sizes: state carries across calls.
    std::vector<float> whole(input.size());
    model.reset();
    model.process(input.data(), whole.data(), frames);
    EXPECT_LE(max_abs_error(whole, expected), kTolerance) << reference.name << ", one block";

    std::vector<float> pieces(input.size());
    model.reset();
    const int sizes[] = {1, 7, 32, 3, 64, 13};
    for (int first = 0, turn = 0; first < frames; ++turn) {
      const int count = std::min(sizes[turn % 6], frames - first);
      model.process(input.data() + first, pieces.data() + first, count);
      first += count;
    }
    EXPECT_LE(max_abs_error(pieces, expected), kTolerance)
        << reference.name << ", blocks of 1, 7, 32, 3, 64, 13";
    // Recorded with the test result (ctest's XML, --gtest_output) for the report on errors against
    // TensorFlow.
    RecordProperty(reference.name + "_" + std::string(backend.name()) + "_max_abs_error",
                   std::to_string(sample_error));
    std::printf("[ rtneural ] %-5s %-5s max |rtn - TensorFlow| = %.3g\n", reference.name.c_str(),
                std::string(backend.name()).c_str(), sample_error);
  }
}

INSTANTIATE_TEST_SUITE_P(SharedData, RtneuralReference, ::testing::ValuesIn(reference_models()),
                         [](const ::testing::TestParamInfo<ReferenceModel>& info) {
                           return info.param.name;
                         });

}  // namespace
