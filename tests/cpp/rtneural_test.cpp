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

#include <nlohmann/json.hpp>

#include "rtn/error.hpp"
#include "rtn/model.hpp"
#include "rtn/model_file.hpp"
#include "tools/common/test_data.hpp"

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

using rtn::testing::max_abs_error;  // tools/common/test_data.hpp

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

// ---------------------------------------------------------------------------------------------------
// A spectral model (Conv2D and BatchNormalization on [time, features, filters]) in RTNeural's JSON with
// TensorFlow's output, made by tests/data/make_rtneural_conv2d.py (its docstring says how rtn's causal
// frames align with Keras'): rtn must reproduce it on every backend, frame by frame and in blocks.

const std::string kConv2dModel = std::string(RTN_TEST_DATA_DIR) + "/rtneural-conv2d";

// Comma-separated rows of floats; a first line "# from frame N" sets *first_frame. Fails the test (and
// returns empty) when the file cannot be read.
std::vector<std::vector<float>> read_rows(const std::string& path, int* first_frame = nullptr) {
  std::ifstream file(path);
  if (!file) {
    ADD_FAILURE() << "cannot read " << path << " (tests/data/make_rtneural_conv2d.py writes it)";
    return {};
  }
  std::vector<std::vector<float>> rows;
  for (std::string line; std::getline(file, line);) {
    if (line.rfind("# from frame ", 0) == 0) {
      if (first_frame) *first_frame = std::stoi(line.substr(13));
      continue;
    }
    std::vector<float> row;
    for (std::size_t start = 0; start < line.size();) {
      std::size_t end = line.find(',', start);
      if (end == std::string::npos) end = line.size();
      row.push_back(std::stof(line.substr(start, end - start)));
      start = end + 1;
    }
    if (!row.empty()) rows.push_back(std::move(row));
  }
  return rows;
}

TEST(RtneuralConv2d, LoadsAsConv2dAndBatchnorm2dLayers) {
  const rtn::ModelDefinition definition = rtn::load_model_file(kConv2dModel + ".json");
  std::vector<std::string> layers;
  for (const rtn::LayerDefinition& layer : definition.layers) layers.push_back(layer.spec.to_string());
  const std::vector<std::string> expected = {
      "conv2d(in=2,out=3,features=17,kernel=3,kernel_features=4,dilation=2,stride=1,same=0,groups=1,bias=1)",
      "batchnorm2d(channels=3,features=14,eps=0.5)",
      "relu(channels=42)",
      "conv2d(in=3,out=4,features=14,kernel=2,kernel_features=3,dilation=1,stride=3,same=1,groups=1,bias=1)",
      "tanh(channels=20)",
      "batchnorm2d(channels=4,features=5,eps=0.01)",
      "conv2d(in=4,out=2,features=5,kernel=1,kernel_features=2,dilation=1,stride=2,same=0,groups=1,bias=1)",
      "conv2d(in=2,out=1,features=2,kernel=4,kernel_features=1,dilation=3,stride=1,same=1,groups=1,bias=1)"};
  EXPECT_EQ(layers, expected);
  EXPECT_EQ(definition.input_channels, 17 * 2);
  EXPECT_EQ(definition.output_channels, 2);
}

TEST(RtneuralConv2d, MatchesTensorflowOnEveryBackend) {
  const rtn::ModelDefinition definition = rtn::load_model_file(kConv2dModel + ".json");
  int first = -1;
  const std::vector<std::vector<float>> input_rows = read_rows(kConv2dModel + ".in.csv");
  const std::vector<std::vector<float>> expected_rows = read_rows(kConv2dModel + ".out.csv", &first);
  ASSERT_FALSE(input_rows.empty());
  ASSERT_GE(first, 0) << "no \"# from frame N\" line";
  const int frames = static_cast<int>(input_rows.size());
  const int in = definition.input_channels, out = definition.output_channels;
  std::vector<float> input;
  for (const auto& row : input_rows) input.insert(input.end(), row.begin(), row.end());
  ASSERT_EQ(input.size(), static_cast<std::size_t>(frames) * in);
  std::vector<float> expected;
  for (const auto& row : expected_rows) expected.insert(expected.end(), row.begin(), row.end());
  ASSERT_GT(expected.size(), std::size_t{0});
  // rtn's frames from `first` on, as many as TensorFlow has.
  const auto aligned = [&](const std::vector<float>& output) {
    const auto begin = output.begin() + static_cast<std::ptrdiff_t>(first) * out;
    return std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(expected.size()));
  };

  for (rtn::Implementation backend : rtn::compiled_implementations()) {
    SCOPED_TRACE(std::string("backend ") + std::string(backend.name()));
    rtn::BackendSelection selection;
    selection.all = backend;
    rtn::Model model = rtn::Model::build(definition, selection);

    std::vector<float> per_frame(static_cast<std::size_t>(frames) * out);
    model.reset();
    for (int f = 0; f < frames; ++f) model.process(&input[f * in], &per_frame[f * out], 1);
    const double frame_error = max_abs_error(aligned(per_frame), expected);
    EXPECT_LE(frame_error, kTolerance) << "frame by frame";

    std::vector<float> pieces(per_frame.size());
    model.reset();
    const int sizes[] = {1, 7, 32, 3, 64, 13};
    for (int done = 0, turn = 0; done < frames; ++turn) {
      const int count = std::min(sizes[turn % 6], frames - done);
      model.process(&input[done * in], &pieces[done * out], count);
      done += count;
    }
    EXPECT_LE(max_abs_error(aligned(pieces), expected), kTolerance) << "blocks of 1, 7, 32, 3, 64, 13";
    std::printf("[ rtneural ] conv2d %-5s max |rtn - TensorFlow| = %.3g\n", std::string(backend.name()).c_str(),
                frame_error);
  }
}

// The model's JSON with one change to layers[0] (a conv2d), and the error loading it gives.
std::string conv2d_error(const std::string& key, const nlohmann::json& value) {
  std::ifstream file(kConv2dModel + ".json");
  nlohmann::json document = nlohmann::json::parse(file);
  if (key == "in_shape") {
    document["in_shape"] = value;
  } else {
    document["layers"][0][key] = value;
  }
  try {
    rtn::parse_model_json(document.dump(), "conv2d.json");
  } catch (const rtn::Error& error) {
    return error.what();
  }
  return "(loaded)";
}

TEST(RtneuralConv2d, BadShapesStridesAndPaddingsGetSpecificErrors) {
  EXPECT_EQ(conv2d_error("padding", "causal"),
            "conv2d.json (RTNeural format): layers[0].padding: unknown padding \"causal\" (known: valid, same)");
  EXPECT_EQ(conv2d_error("padding", 1),
            "conv2d.json (RTNeural format): layers[0].padding: unknown padding 1 (known: valid, same)");
  EXPECT_EQ(conv2d_error("strides", 18),
            "conv2d.json (RTNeural format): layers[0].strides: is 18, larger than the frame's 17 features "
            "(num_features_in)");
  EXPECT_EQ(conv2d_error("num_features_in", 16),
            "conv2d.json (RTNeural format): layers[0]: num_features_in x num_filters_in is 16 x 2, but the layer "
            "receives 34 channels (in_shape)");
  EXPECT_EQ(conv2d_error("in_shape", nlohmann::json::parse("[null, 60, 17, 3]")),
            "conv2d.json (RTNeural format): layers[0]: num_features_in x num_filters_in is 17 x 2, but the layer "
            "receives 51 channels (in_shape)");
  EXPECT_EQ(conv2d_error("kernel_size_feature", 3),
            "conv2d.json (RTNeural format): layers[0].weights[0]: expected 3x3x2x3 (kernel_size_time x "
            "kernel_size_feature x num_filters_in x num_filters_out), got 3x4x2x3");
  EXPECT_EQ(conv2d_error("kernel_size_feature", 18),
            "conv2d.json (RTNeural format): layers[0]: kernel_size_feature (18) is wider than the frame's 17 "
            "features, which \"valid\" padding does not pad");
  EXPECT_EQ(conv2d_error("shape", nlohmann::json::parse("[null, 56, 8, 3]")),
            "conv2d.json (RTNeural format): layers[0].shape: says 24 channels, but the convolution outputs 14 "
            "features x 3 filters");
  EXPECT_EQ(conv2d_error("num_filters_out", nullptr),
            "conv2d.json (RTNeural format): layers[0].num_filters_out: expected an integer >= 1, got null");
}

INSTANTIATE_TEST_SUITE_P(SharedData, RtneuralReference, ::testing::ValuesIn(reference_models()),
                         [](const ::testing::TestParamInfo<ReferenceModel>& info) {
                           return info.param.name;
                         });

}  // namespace
