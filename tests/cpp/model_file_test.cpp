// Tests of the rtn JSON model loader (engine/src/io/rtn_json.cpp): every layer type parses into the
// expected LayerSpec and weights and builds into a Model; every kind of bad input gives an rtn::Error
// naming the source, the JSON path, what was expected and what was found; no input crashes it.
// Plain GoogleTest + gmock matchers; the documents are generated here, no data files are needed.
#include "rtn/model_file.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <typeinfo>
#include <vector>

#include "rtn/error.hpp"
#include "rtn/model.hpp"

namespace {

using ::testing::Not;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---------------------------------------------------------------------------------------------------
// Building documents.

// A nested JSON array of the given shape (PyTorch's tensor.tolist()); element i in row-major order is
// first + i * step, so tests can check the order the loader reads values in.
std::string array_json(const std::vector<int>& shape, float first = 0.0f, float step = 0.0f) {
  std::size_t next = 0;
  std::string text;
  auto emit = [&](auto&& self, std::size_t depth) -> void {
    if (depth == shape.size()) {
      char number[32];
      std::snprintf(number, sizeof number, "%.9g", first + step * static_cast<float>(next++));
      text += number;
      return;
    }
    text += '[';
    for (int i = 0; i < shape[depth]; ++i) {
      if (i) text += ',';
      self(self, depth + 1);
    }
    text += ']';
  };
  emit(emit, 0);
  return text;
}

struct NamedArray {
  std::string name;
  std::vector<int> shape;
};

std::string weights_json(const std::vector<NamedArray>& arrays, float value = 0.0f) {
  std::string text = "{";
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    if (i) text += ", ";
    text += "\"" + arrays[i].name + "\": " + array_json(arrays[i].shape, value);
  }
  return text + "}";
}

// A model document around the given layer objects; `extra` adds top-level members (", \"k\": v").
std::string model_json(int input_channels, int output_channels, const std::vector<std::string>& layers,
                       const std::string& extra = "") {
  std::string text =
      "{\n  \"format\": \"rtn\", \"version\": 1,\n  \"input_channels\": " + std::to_string(input_channels) +
      ", \"output_channels\": " + std::to_string(output_channels) + extra + ",\n  \"layers\": [";
  for (std::size_t i = 0; i < layers.size(); ++i) text += (i ? ",\n    " : "\n    ") + layers[i];
  return text + "\n  ]\n}\n";
}

std::string dense_json(int in, int out, bool bias = true) {
  std::vector<NamedArray> arrays = {{"weight", {out, in}}};
  if (bias) arrays.push_back({"bias", {out}});
  return "{\"type\": \"dense\", \"in_features\": " + std::to_string(in) +
         ", \"out_features\": " + std::to_string(out) + ", \"bias\": " + (bias ? "true" : "false") +
         ", \"weights\": " + weights_json(arrays, 0.5f) + "}";
}

std::vector<NamedArray> recurrent_arrays(int gates, int in, int hidden, int num_layers, bool bias) {
  std::vector<NamedArray> arrays;
  for (int layer = 0; layer < num_layers; ++layer) {
    const std::string suffix = "_l" + std::to_string(layer);
    arrays.push_back({"weight_ih" + suffix, {gates * hidden, layer == 0 ? in : hidden}});
    arrays.push_back({"weight_hh" + suffix, {gates * hidden, hidden}});
    if (bias) {
      arrays.push_back({"bias_ih" + suffix, {gates * hidden}});
      arrays.push_back({"bias_hh" + suffix, {gates * hidden}});
    }
  }
  return arrays;
}

std::string lstm_json(int in, int hidden, int num_layers = 1) {
  return "{\"type\": \"lstm\", \"input_size\": " + std::to_string(in) +
         ", \"hidden_size\": " + std::to_string(hidden) + ", \"num_layers\": " + std::to_string(num_layers) +
         ", \"weights\": " + weights_json(recurrent_arrays(4, in, hidden, num_layers, true), 0.1f) + "}";
}

// The message of the rtn::Error that parsing `text` throws (a test failure if it throws nothing).
std::string error_of(const std::string& text, const std::string& source = "model.json") {
  try {
    rtn::parse_model_json(text, source);
  } catch (const rtn::Error& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected an rtn::Error for:\n" << text.substr(0, 2000);
  return "";
}

// A small model that uses most of the format: the fuzz and truncation tests start from it.
std::string reference_model_json() {
  const std::string conv =
      "{\"type\": \"conv1d\", \"in_channels\": 2, \"out_channels\": 2, \"kernel_size\": 3, "
      "\"dilation\": 2, \"groups\": 1, \"bias\": true, \"weights\": {\"weight\": " +
      array_json({2, 2, 3}, 0.25f, 0.01f) + ", \"bias\": [0.1, -0.1]}}";
  return model_json(
      1, 1,
      {dense_json(1, 2), "{\"type\": \"tanh\"}", conv, lstm_json(2, 3),
       "{\"type\": \"leaky_relu\", \"channels\": 3, \"negative_slope\": 0.2}", dense_json(3, 1)},
      ",\n  \"name\": \"reference\", \"sample_rate\": 44100, \"input_skip\": true,\n"
      "  \"metadata\": {\"exported_by\": \"test\", \"epochs\": [1, 2, {\"x\": null}]}");
}

std::string write_temp_file(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// Builds the model on every compiled-in backend and runs a block through it: what the loader accepts
// must build.
void expect_builds_and_runs(const rtn::ModelDefinition& definition) {
  for (rtn::Implementation backend : rtn::compiled_implementations()) {
    SCOPED_TRACE("backend " + std::string(backend.name()));
    rtn::BackendSelection selection;
    selection.all = backend;
    rtn::Model model = rtn::Model::build(definition, selection);
    const int frames = 16;
    std::vector<float> in(static_cast<std::size_t>(frames) * definition.input_channels, 0.25f);
    // A strided layer writes fewer frames, a transposed one more.
    std::vector<float> out(static_cast<std::size_t>(model.output_frames(frames)) * definition.output_channels, -1.0f);
    model.process(in.data(), out.data(), frames);
    for (float value : out) EXPECT_TRUE(std::isfinite(value));
  }
}

// ---------------------------------------------------------------------------------------------------
// Good files: every layer type.

struct GoodLayerCase {
  std::string label;
  std::string layer;  // the layer object
  int channels_in;
  rtn::LayerSpec spec;
  std::vector<NamedArray> weights;
};

std::vector<GoodLayerCase> good_layer_cases() {
  using rtn::LayerKind;
  using rtn::LayerSpec;
  const std::vector<NamedArray> conv_weights = {{"weight", {6, 2, 3}}, {"bias", {6}}};
  const std::vector<NamedArray> norm_weights = {
      {"weight", {3}}, {"bias", {3}}, {"running_mean", {3}}, {"running_var", {3}}};
  return {
      {"dense", dense_json(3, 4), 3, LayerSpec::dense(3, 4, true), {{"weight", {4, 3}}, {"bias", {4}}}},
      {"dense without bias", dense_json(3, 4, false), 3, LayerSpec::dense(3, 4, false), {{"weight", {4, 3}}}},
      {"conv1d",
       "{\"type\": \"conv1d\", \"in_channels\": 4, \"out_channels\": 6, \"kernel_size\": 3, \"dilation\": 2, "
       "\"groups\": 2, \"bias\": true, \"weights\": " +
           weights_json(conv_weights) + "}",
       4, LayerSpec::conv1d(4, 6, 3, 2, 2, true), conv_weights},
      {"conv1d with a stride (decimating)",
       "{\"type\": \"conv1d\", \"in_channels\": 4, \"out_channels\": 6, \"kernel_size\": 3, \"dilation\": 2, "
       "\"groups\": 2, \"stride\": 3, \"weights\": " +
           weights_json(conv_weights) + "}",
       4, LayerSpec::conv1d(4, 6, 3, 2, 2, true, 3), conv_weights},
      {"conv_transpose1d (upsampling), PyTorch's weight layout [in][out/groups][k]",
       "{\"type\": \"conv_transpose1d\", \"in_channels\": 4, \"out_channels\": 6, \"kernel_size\": 3, "
       "\"stride\": 2, \"dilation\": 2, \"groups\": 2, \"padding\": 0, \"weights\": " +
           weights_json({{"weight", {4, 3, 3}}, {"bias", {6}}}) + "}",
       4, LayerSpec::conv_transpose1d(4, 6, 3, 2, 2, 2, true), {{"weight", {4, 3, 3}}, {"bias", {6}}}},
      {"conv1d with defaults",
       "{\"type\": \"conv1d\", \"in_channels\": 2, \"out_channels\": 1, \"kernel_size\": 1, \"weights\": " +
           weights_json({{"weight", {1, 2, 1}}, {"bias", {1}}}) + "}",
       2,
       LayerSpec::conv1d(2, 1, 1),
       {{"weight", {1, 2, 1}}, {"bias", {1}}}},
      {"gru, two layers",
       "{\"type\": \"gru\", \"input_size\": 2, \"hidden_size\": 5, \"num_layers\": 2, \"bias\": true, "
       "\"weights\": " +
           weights_json(recurrent_arrays(3, 2, 5, 2, true)) + "}",
       2, LayerSpec::gru(2, 5, 2, true), recurrent_arrays(3, 2, 5, 2, true)},
      {"gru without bias",
       "{\"type\": \"gru\", \"input_size\": 1, \"hidden_size\": 3, \"bias\": false, \"weights\": " +
           weights_json(recurrent_arrays(3, 1, 3, 1, false)) + "}",
       1, LayerSpec::gru(1, 3, 1, false), recurrent_arrays(3, 1, 3, 1, false)},
      {"gru with Keras' reset_after=False",
       "{\"type\": \"gru\", \"input_size\": 1, \"hidden_size\": 3, \"reset_after\": false, \"weights\": " +
           weights_json(recurrent_arrays(3, 1, 3, 1, true)) + "}",
       1,
       [] {
         LayerSpec spec = LayerSpec::gru(1, 3);
         spec.reset_after = false;
         return spec;
       }(),
       recurrent_arrays(3, 1, 3, 1, true)},
      {"lstm", lstm_json(1, 8), 1, LayerSpec::lstm(1, 8, 1, true), recurrent_arrays(4, 1, 8, 1, true)},
      {"batchnorm1d",
       "{\"type\": \"batchnorm1d\", \"num_features\": 3, \"eps\": 0.001, \"weights\": " +
           weights_json(norm_weights, 1.0f) + "}",
       3, LayerSpec::batchnorm1d(3, 1e-3f), norm_weights},
      {"batchnorm1d with PyTorch's num_batches_tracked",
       "{\"type\": \"batchnorm1d\", \"num_features\": 3, \"weights\": {\"weight\": [1,1,1], \"bias\": "
       "[0,0,0], "
       "\"running_mean\": [0,0,0], \"running_var\": [1,1,1], \"num_batches_tracked\": 1200}}",
       3, LayerSpec::batchnorm1d(3), norm_weights},
      {"tanh", "{\"type\": \"tanh\"}", 5, LayerSpec::activation(LayerKind::tanh, 5), {}},
      {"relu", "{\"type\": \"relu\", \"channels\": 2}", 2, LayerSpec::activation(LayerKind::relu, 2), {}},
      {"sigmoid",
       "{\"type\": \"sigmoid\", \"weights\": {}}",
       1,
       LayerSpec::activation(LayerKind::sigmoid, 1),
       {}},
      {"softmax", "{\"type\": \"softmax\"}", 4, LayerSpec::activation(LayerKind::softmax, 4), {}},
      {"elu", "{\"type\": \"elu\", \"alpha\": 0.5}", 3, LayerSpec::elu(3, 0.5f), {}},
      {"elu with default alpha", "{\"type\": \"elu\"}", 3, LayerSpec::elu(3, 1.0f), {}},
      {"leaky_relu",
       "{\"type\": \"leaky_relu\", \"negative_slope\": 0.2}",
       2,
       LayerSpec::leaky_relu(2, 0.2f),
       {}},
      {"leaky_relu with default slope", "{\"type\": \"leaky_relu\"}", 2, LayerSpec::leaky_relu(2, 0.01f), {}},
      {"prelu, one parameter",
       "{\"type\": \"prelu\", \"weights\": {\"weight\": [0.25]}}",
       3,
       LayerSpec::prelu(3, 1),
       {{"weight", {1}}}},
      {"maxpool1d",
       "{\"type\": \"maxpool1d\", \"kernel_size\": 3, \"stride\": 2, \"padding\": 1, \"dilation\": 2}",
       13,
       LayerSpec::maxpool1d(13, 3, 2, 1, 2),
       {}},
      {"avgpool1d with defaults",
       "{\"type\": \"avgpool1d\", \"in_features\": 8, \"kernel_size\": 2, \"stride\": 2}",
       8,
       LayerSpec::avgpool1d(8, 2, 2),
       {}},
      {"avgpool1d without the padding in the divisor",
       "{\"type\": \"avgpool1d\", \"kernel_size\": 4, \"stride\": 3, \"padding\": 2, "
       "\"count_include_pad\": false}",
       7,
       LayerSpec::avgpool1d(7, 4, 3, 2, false),
       {}},
      {"prelu, per channel",
       "{\"type\": \"prelu\", \"num_parameters\": 3, \"weights\": {\"weight\": [0.1,0.2,0.3]}}",
       3,
       LayerSpec::prelu(3, 3),
       {{"weight", {3}}}},
      {"conv2d: frames of 5 features x 2 channels, stride 2, same padding",
       "{\"type\": \"conv2d\", \"in_channels\": 2, \"out_channels\": 4, \"in_features\": 5, "
       "\"kernel_size_time\": 2, \"kernel_size_feature\": 3, \"dilation\": 3, \"stride\": 2, "
       "\"same_padding\": true, \"groups\": 2, \"weights\": " +
           weights_json({{"weight", {4, 1, 2, 3}}, {"bias", {4}}}) + "}",
       10, LayerSpec::conv2d(2, 4, 5, 2, 3, 3, 2, true, 2), {{"weight", {4, 1, 2, 3}}, {"bias", {4}}}},
      {"conv2d with defaults: valid, stride 1",
       "{\"type\": \"conv2d\", \"in_channels\": 1, \"out_channels\": 1, \"in_features\": 4, "
       "\"kernel_size_time\": 1, \"kernel_size_feature\": 2, \"bias\": false, \"weights\": " +
           weights_json({{"weight", {1, 1, 1, 2}}}) + "}",
       4, LayerSpec::conv2d(1, 1, 4, 1, 2, 1, 1, false, 1, false), {{"weight", {1, 1, 1, 2}}}},
      {"batchnorm2d",
       "{\"type\": \"batchnorm2d\", \"num_features\": 3, \"in_features\": 4, \"eps\": 0.001, \"weights\": " +
           weights_json(norm_weights, 1.0f) + "}",
       12, LayerSpec::batchnorm2d(3, 4, 1e-3f), norm_weights},
  };
}

TEST(ModelFile, ParsesEveryLayerType) {
  for (const GoodLayerCase& test : good_layer_cases()) {
    SCOPED_TRACE(test.label);
    const int channels_out = test.spec.output_size;
    const std::string text = model_json(test.channels_in, channels_out, {test.layer});
    rtn::ModelDefinition definition;
    ASSERT_NO_THROW(definition = rtn::parse_model_json(text, "model.json")) << error_of(text);
    ASSERT_EQ(definition.layers.size(), 1u);
    const rtn::LayerDefinition& layer = definition.layers[0];
    EXPECT_EQ(layer.spec, test.spec) << layer.spec.to_string() << " vs " << test.spec.to_string();
    // Fields that to_string() (and so operator==) may not show.
    EXPECT_EQ(layer.spec.kind, test.spec.kind);
    EXPECT_EQ(layer.spec.input_size, test.spec.input_size);
    EXPECT_EQ(layer.spec.output_size, test.spec.output_size);
    EXPECT_FLOAT_EQ(layer.spec.alpha, test.spec.alpha);
    EXPECT_FLOAT_EQ(layer.spec.negative_slope, test.spec.negative_slope);
    EXPECT_FLOAT_EQ(layer.spec.epsilon, test.spec.epsilon);
    ASSERT_EQ(layer.weights.size(), test.weights.size());
    for (const NamedArray& want : test.weights) {
      SCOPED_TRACE(want.name);
      const auto found = layer.weights.find(want.name);
      ASSERT_NE(found, layer.weights.end());
      EXPECT_EQ(found->second.shape, want.shape);
      std::size_t count = 1;
      for (int extent : want.shape) count *= static_cast<std::size_t>(extent);
      EXPECT_EQ(found->second.values.size(), count);
    }
    expect_builds_and_runs(definition);
  }
}

TEST(ModelFile, ReadsValuesInRowMajorOrder) {
  const std::string layer =
      "{\"type\": \"conv1d\", \"in_channels\": 2, \"out_channels\": 3, \"kernel_size\": 2, "
      "\"weights\": {\"weight\": " +
      array_json({3, 2, 2}, 1.0f, 1.0f) + ", \"bias\": [-1, 0.5, 2e-3]}}";
  const rtn::ModelDefinition definition = rtn::parse_model_json(model_json(2, 3, {layer}));
  const rtn::Weights& weights = definition.layers[0].weights;
  const std::vector<float> expected = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  EXPECT_EQ(weights.at("weight").values, expected);
  EXPECT_EQ(weights.at("bias").values, (std::vector<float>{-1.0f, 0.5f, 2e-3f}));
}

TEST(ModelFile, IntegersMayBeWrittenAsWholeNumbers) {
  // JSON Schema's "integer" accepts 4.0 and 4e0; so does the loader (4.5 is refused below).
  const std::string text =
      "{\"format\": \"rtn\", \"version\": 1.0, \"input_channels\": 1e0, \"output_channels\": 1, "
      "\"layers\": [{\"type\": \"dense\", \"in_features\": 1.0, \"out_features\": 1, "
      "\"weights\": {\"weight\": [[1]], \"bias\": [0]}}]}";
  const rtn::ModelDefinition definition = rtn::parse_model_json(text);
  EXPECT_EQ(definition.input_channels, 1);
  EXPECT_EQ(definition.layers[0].spec, rtn::LayerSpec::dense(1, 1));
}

TEST(ModelFile, FillsModelFields) {
  const std::string text = reference_model_json();
  const rtn::ModelDefinition definition = rtn::parse_model_json(text, "reference.json");
  EXPECT_EQ(definition.name, "reference");
  EXPECT_EQ(definition.sample_rate, 44100.0);
  EXPECT_EQ(definition.input_channels, 1);
  EXPECT_EQ(definition.output_channels, 1);
  EXPECT_TRUE(definition.input_skip);
  ASSERT_EQ(definition.layers.size(), 6u);
  EXPECT_EQ(definition.layers[1].spec, rtn::LayerSpec::activation(rtn::LayerKind::tanh, 2));
  EXPECT_EQ(definition.layers[2].spec, rtn::LayerSpec::conv1d(2, 2, 3, 2, 1, true));
  EXPECT_EQ(definition.layers[3].spec, rtn::LayerSpec::lstm(2, 3, 1, true));
  EXPECT_EQ(definition.layers[4].spec, rtn::LayerSpec::leaky_relu(3, 0.2f));
  expect_builds_and_runs(definition);
}

TEST(ModelFile, Defaults) {
  // No name, sample_rate or input_skip: the name is the file's stem, the rate 48 kHz, no skip.
  const std::string path = write_temp_file("guitar-amp.json", model_json(1, 1, {dense_json(1, 1)}));
  const rtn::ModelDefinition definition = rtn::load_model_file(path);
  EXPECT_EQ(definition.name, "guitar-amp");
  EXPECT_EQ(definition.sample_rate, 48000.0);
  EXPECT_FALSE(definition.input_skip);
  std::remove(path.c_str());
}

TEST(ModelFile, LoadsAFileAndNamesItInErrors) {
  const std::string good = write_temp_file("model_file_test_good.json", reference_model_json());
  EXPECT_EQ(rtn::load_model_file(good).layers.size(), 6u);
  std::remove(good.c_str());

  const std::string bad = write_temp_file("model_file_test_bad.json", model_json(1, 2, {dense_json(1, 1)}));
  try {
    rtn::load_model_file(bad);
    ADD_FAILURE() << "no error";
  } catch (const rtn::Error& error) {
    EXPECT_THAT(error.what(), StartsWith(bad + ": output_channels: is 2, but the last layer"));
  }
  std::remove(bad.c_str());
}

#ifdef RTN_TEST_DATA_DIR
TEST(ModelFile, ExampleFileInTestData) {
  const rtn::ModelDefinition definition = rtn::load_model_file(RTN_TEST_DATA_DIR "/tiny-lstm.json");
  EXPECT_EQ(definition.name, "tiny-lstm");
  ASSERT_EQ(definition.layers.size(), 2u);
  EXPECT_EQ(definition.layers[0].spec, rtn::LayerSpec::lstm(1, 4));
  expect_builds_and_runs(definition);
}
#endif

// ---------------------------------------------------------------------------------------------------
// Files that cannot be read.

TEST(ModelFileErrors, MissingFile) {
  try {
    rtn::load_model_file("/nonexistent-dir/missing.json");
    ADD_FAILURE() << "no error";
  } catch (const rtn::Error& error) {
    EXPECT_STREQ(error.what(),
                 "cannot open model file '/nonexistent-dir/missing.json': No such file or directory");
  }
  try {
    rtn::load_model_file(::testing::TempDir());
    ADD_FAILURE() << "no error";
  } catch (const rtn::Error& error) {
    EXPECT_THAT(error.what(), HasSubstr("cannot open model file"));
    EXPECT_THAT(error.what(), HasSubstr("Is a directory"));
  }
}

TEST(ModelFileErrors, MalformedJson) {
  const std::string syntax = "{\"format\": \"rtn\",\n  \"version\": 1,\n  x: 2}";
  EXPECT_THAT(error_of(syntax), StartsWith("model.json: not valid JSON: "));
  EXPECT_THAT(error_of(syntax), HasSubstr("at line 3, column 3"));

  EXPECT_THAT(error_of(""), StartsWith("model.json: not valid JSON: "));
  EXPECT_THAT(error_of("{\"format\": \"rtn\"} trailing"), StartsWith("model.json: not valid JSON: "));
  EXPECT_THAT(error_of("{\"a\": 1,}"), StartsWith("model.json: not valid JSON: "));
  EXPECT_THAT(error_of(std::string("{\"a\"\0: 1}", 9)), StartsWith("model.json: not valid JSON: "));
  EXPECT_THAT(error_of("{\"a\": \"\xff\xfe\"}"), StartsWith("model.json: not valid JSON: "));
  // Python's json.dump writes NaN unless told not to; the message says why it is refused.
  const std::string with_nan = model_json(1, 1, {"{\"type\": \"prelu\", \"weights\": {\"weight\": [NaN]}}"});
  EXPECT_THAT(error_of(with_nan), HasSubstr("JSON has no NaN or Infinity"));
  EXPECT_THAT(error_of("[1,", "<memory>"), StartsWith("<memory>: not valid JSON"));
}

TEST(ModelFileErrors, EveryTruncationThrows) {
  const std::string text = reference_model_json();
  // The document ends in "}\n": every prefix shorter than text.size() - 1 is incomplete.
  for (std::size_t length = 0; length + 1 < text.size(); ++length) {
    try {
      rtn::parse_model_json(std::string_view(text).substr(0, length), "cut.json");
      ADD_FAILURE() << "a prefix of " << length << " bytes parsed";
    } catch (const rtn::Error& error) {
      EXPECT_THAT(error.what(), StartsWith("cut.json: not valid JSON: ")) << length;
    }
  }
}

TEST(ModelFileErrors, DeepNestingIsRefusedNotACrash) {
  const std::string deep(200000, '[');
  EXPECT_THAT(error_of(deep), HasSubstr("nested deeper than"));
  const std::string deep_metadata =
      "{\"format\": \"rtn\", \"version\": 1, \"metadata\": " + std::string(100, '[') + std::string(100, ']') +
      "}";
  EXPECT_THAT(error_of(deep_metadata), HasSubstr("model.json: metadata"));
  EXPECT_THAT(error_of(deep_metadata), HasSubstr("nested deeper than 64 levels"));
}

// ---------------------------------------------------------------------------------------------------
// The top level.

TEST(ModelFileErrors, TopLevel) {
  EXPECT_EQ(error_of("[1, 2]"), "model.json: expected a JSON object at the top level, got an array");
  EXPECT_EQ(error_of("{\"version\": 1}"), "model.json: format: missing (expected \"rtn\")");
  // Detected by its content and read as RTNeural's format (compat_formats_test.cpp tests that reader).
  EXPECT_THAT(error_of("{\"in_shape\": [null, null, 1], \"layers\": []}"),
              HasSubstr("model.json (RTNeural format): layers: a model needs at least one layer"));
  EXPECT_EQ(error_of("{\"format\": \"nam\", \"version\": 1}"),
            "model.json: format: expected \"rtn\", got \"nam\"");
  EXPECT_EQ(error_of("{\"format\": \"rtn\"}"), "model.json: version: missing (expected 1)");
  EXPECT_EQ(error_of("{\"format\": \"rtn\", \"version\": \"1\"}"),
            "model.json: version: expected 1, got \"1\"");
  EXPECT_EQ(error_of("{\"format\": \"rtn\", \"version\": 0}"), "model.json: version: expected 1, got 0");
  EXPECT_EQ(error_of("{\"format\": \"rtn\", \"version\": -3}"), "model.json: version: expected 1, got -3");
}

TEST(ModelFileErrors, VersionTooNew) {
  // Checked before anything else, so a newer file with new keys still gets this message.
  const std::string text = "{\"format\": \"rtn\", \"version\": 2, \"new_feature\": {}, \"layers\": []}";
  EXPECT_EQ(error_of(text),
            "model.json: version: written by a newer rtn (format version 2); this build reads version 1");
}

TEST(ModelFileErrors, TopLevelFields) {
  const std::string layer = dense_json(1, 1);
  EXPECT_EQ(error_of(model_json(1, 1, {layer}, ", \"sample_rate\": 0")),
            "model.json: sample_rate: expected a number > 0 (Hz), got 0");
  EXPECT_EQ(error_of(model_json(1, 1, {layer}, ", \"sample_rate\": \"48k\"")),
            "model.json: sample_rate: expected a number > 0 (Hz), got \"48k\"");
  EXPECT_EQ(error_of(model_json(1, 1, {layer}, ", \"name\": 3")),
            "model.json: name: expected a string, got 3");
  EXPECT_EQ(error_of(model_json(1, 1, {layer}, ", \"input_skip\": 1")),
            "model.json: input_skip: expected true or false, got 1");
  EXPECT_EQ(error_of(model_json(0, 1, {layer})),
            "model.json: input_channels: expected an integer >= 1, got 0");
  EXPECT_EQ(error_of(model_json(1, 1, {layer}, ", \"metadata\": [1]")),
            "model.json: metadata: expected an object (free-form, ignored by rtn), got an array");
  EXPECT_THAT(
      error_of(model_json(1, 1, {layer}, ", \"sample_rte\": 44100")),
      StartsWith("model.json: sample_rte: unknown key in the top level (did you mean \"sample_rate\"?)"));

  const std::string no_layers =
      "{\"format\": \"rtn\", \"version\": 1, \"input_channels\": 1, \"output_channels\": 1}";
  EXPECT_EQ(error_of(no_layers), "model.json: layers: missing (expected an array of layers)");
  EXPECT_EQ(error_of(model_json(1, 1, {})),
            "model.json: layers: a model needs at least one layer, got an empty array");
  const std::string missing_output =
      "{\"format\": \"rtn\", \"version\": 1, \"input_channels\": 1, \"layers\": [" + layer + "]}";
  EXPECT_EQ(error_of(missing_output), "model.json: output_channels: missing (expected an integer >= 1)");
}

TEST(ModelFileErrors, ChannelMismatches) {
  EXPECT_EQ(error_of(model_json(1, 1, {dense_json(1, 8), lstm_json(4, 2), dense_json(2, 1)})),
            "model.json: layers[1].input_size: lstm takes 4 input channels, but layers[0] (dense) outputs 8");
  EXPECT_EQ(
      error_of(model_json(2, 1, {dense_json(1, 1)})),
      "model.json: layers[0].in_features: dense takes 1 input channels, but the model's input_channels is 2");
  EXPECT_EQ(error_of(model_json(1, 4, {dense_json(1, 4), "{\"type\": \"relu\", \"channels\": 3}"})),
            "model.json: layers[1].channels: is 3, but layers[0] (dense) outputs 4");
  EXPECT_EQ(error_of(model_json(1, 2, {dense_json(1, 4)})),
            "model.json: output_channels: is 2, but the last layer, layers[0] (dense), outputs 4");
  EXPECT_EQ(error_of(model_json(1, 2, {dense_json(1, 2)}, ", \"input_skip\": true")),
            "model.json: input_skip: adds the input to the output, so input_channels (1) must equal "
            "output_channels (2)");
}

// ---------------------------------------------------------------------------------------------------
// Layers.

TEST(ModelFileErrors, Conv2dFrames) {
  const std::string conv2d =
      "{\"type\": \"conv2d\", \"in_channels\": 2, \"out_channels\": 1, \"in_features\": 5, "
      "\"kernel_size_time\": 1, \"kernel_size_feature\": 3, \"stride\": 2, \"weights\": " +
      weights_json({{"weight", {1, 2, 1, 3}}, {"bias", {1}}}) + "}";
  // 5 features x 2 channels = 10 floats a frame; "valid" with stride 2 leaves 2 features x 1 channel.
  EXPECT_NO_THROW(rtn::parse_model_json(model_json(10, 2, {conv2d}), "model.json"));
  EXPECT_EQ(error_of(model_json(5, 2, {conv2d})),
            "model.json: layers[0]: conv2d takes frames of 10 floats, but the model's input_channels is 5");
  const auto with = [&](const std::string& from, const std::string& to) {
    std::string layer = conv2d;
    layer.replace(layer.find(from), from.size(), to);
    return error_of(model_json(10, 2, {layer}));
  };
  EXPECT_EQ(with("\"stride\": 2", "\"stride\": 6"),
            "model.json: layers[0]: stride (6) is larger than the frame's 5 features");
  EXPECT_EQ(with("\"kernel_size_feature\": 3", "\"kernel_size_feature\": 6"),
            "model.json: layers[0]: kernel_size_feature (6) is wider than the frame's 5 features, which "
            "\"valid\" padding does not pad");
  EXPECT_EQ(with("\"stride\": 2", "\"stride\": 2, \"groups\": 2"),
            "model.json: layers[0]: groups (2) must divide both in_channels (2) and out_channels (1)");
  EXPECT_THAT(with("\"stride\": 2", "\"stride\": 2, \"padding\": \"same\""),
              StartsWith("model.json: layers[0].padding: unknown key in conv2d"));
  EXPECT_EQ(with("[[[[0,0,0]],[[0,0,0]]]]", "[[[0,0,0]],[[0,0,0]]]"),
            "model.json: layers[0].weights.weight: expected 1x2x1x3, got 2x1x3");
}

TEST(ModelFileErrors, LayerType) {
  EXPECT_EQ(error_of(model_json(1, 1, {"[1]"})),
            "model.json: layers[0]: expected an object describing a layer, "
            "got an array");
  const std::string unknown = error_of(model_json(1, 1, {"{\"type\": \"lsmt\"}"}));
  EXPECT_THAT(unknown,
              StartsWith("model.json: layers[0].type: unknown layer type \"lsmt\" (did you mean \"lstm\"?)"));
  EXPECT_THAT(unknown,
              HasSubstr("known: dense, conv1d, gru, lstm, batchnorm1d, tanh, relu, sigmoid, softmax, elu, "
                        "prelu, leaky_relu"));
  EXPECT_THAT(error_of(model_json(1, 1, {"{\"in_features\": 1}"})),
              StartsWith("model.json: layers[0].type: missing (expected one of: dense, conv1d"));
  EXPECT_EQ(error_of(model_json(1, 1, {"{\"type\": 7}"})),
            "model.json: layers[0].type: expected a string naming the layer type, got 7");
  EXPECT_EQ(error_of(model_json(1, 1, {"{\"type\": \"wavenet\"}"})),
            "model.json: layers[0].type: a wavenet cannot be described in rtn JSON v1; load the Neural Amp "
            "Modeler .nam file itself");
  EXPECT_THAT(unknown, Not(HasSubstr("wavenet")));
}

TEST(ModelFileErrors, UnknownAndDuplicateKeys) {
  const std::string typo = "{\"type\": \"lstm\", \"input_size\": 1, \"hiden_size\": 4}";
  EXPECT_EQ(
      error_of(model_json(1, 4, {typo})),
      "model.json: layers[0].hiden_size: unknown key in lstm (did you mean \"hidden_size\"?) (allowed: type, "
      "input_size, hidden_size, num_layers, bias, weights)");
  EXPECT_THAT(error_of(model_json(1, 1, {"{\"type\": \"tanh\", \"alpha\": 1}"})),
              StartsWith("model.json: layers[0].alpha: unknown key in tanh"));
  const std::string duplicate =
      "{\"type\": \"lstm\", \"input_size\": 1, \"hidden_size\": 4, \"hidden_size\": 5}";
  EXPECT_EQ(error_of(model_json(1, 4, {duplicate})),
            "model.json: layers[0].hidden_size: duplicate key (a key may appear only once in an object)");
  EXPECT_THAT(error_of(model_json(1, 1, {"{\"type\": \"tanh\", \"a b\": 1}"})),
              StartsWith("model.json: layers[0].\"a b\": unknown key in tanh"));
}

TEST(ModelFileErrors, WrongFieldTypes) {
  const auto conv = [](const std::string& fields) {
    return model_json(2, 2,
                      {"{\"type\": \"conv1d\", \"in_channels\": 2, \"out_channels\": 2, " + fields + "}"});
  };
  EXPECT_EQ(error_of(conv("\"kernel_size\": \"3\"")),
            "model.json: layers[0].kernel_size: expected an integer >= 1, got \"3\"");
  EXPECT_EQ(error_of(conv("\"kernel_size\": 2.5")),
            "model.json: layers[0].kernel_size: expected an integer >= 1, "
            "got 2.5");
  EXPECT_EQ(error_of(conv("\"kernel_size\": 0")),
            "model.json: layers[0].kernel_size: expected an integer >= 1, got 0");
  EXPECT_EQ(error_of(conv("\"kernel_size\": null")),
            "model.json: layers[0].kernel_size: expected an integer >= 1, got null");
  EXPECT_EQ(error_of(conv("\"kernel_size\": 1, \"bias\": \"yes\"")),
            "model.json: layers[0].bias: expected true or false, got \"yes\"");
  EXPECT_EQ(error_of(conv("\"kernel_size\": 1, \"groups\": [2]")),
            "model.json: layers[0].groups: expected an integer >= 1, got an array");
  EXPECT_EQ(error_of(conv("\"dilation\": 1")),
            "model.json: layers[0].kernel_size: missing (expected an integer >= 1)");
  EXPECT_EQ(error_of(model_json(1, 1, {"{\"type\": \"elu\", \"alpha\": \"1\"}"})),
            "model.json: layers[0].alpha: expected a number, got \"1\"");
  EXPECT_EQ(error_of(model_json(1, 1, {"{\"type\": \"elu\", \"alpha\": 1e39}"})),
            "model.json: layers[0].alpha: expected a number in the range of a float, got 1e+39");
  EXPECT_EQ(error_of(model_json(2, 2, {"{\"type\": \"batchnorm1d\", \"num_features\": 2, \"eps\": -1}"})),
            "model.json: layers[0].eps: expected a number >= 0, got -1");
  EXPECT_EQ(error_of(model_json(1, 1,
                                {"{\"type\": \"dense\", \"in_features\": 1, \"out_features\": 1, "
                                 "\"weights\": [[1]]}"})),
            "model.json: layers[0].weights: expected an object of named weight arrays, got an array");
}

TEST(ModelFileErrors, InconsistentSpecs) {
  const std::string conv =
      "{\"type\": \"conv1d\", \"in_channels\": 4, \"out_channels\": 4, \"kernel_size\": 1, "
      "\"groups\": 3}";
  EXPECT_EQ(error_of(model_json(4, 4, {conv})),
            "model.json: layers[0]: groups (3) must divide both input channels (4) and output channels (4)");
  EXPECT_THAT(
      error_of(model_json(3, 3, {"{\"type\": \"prelu\", \"num_parameters\": 2}"})),
      StartsWith("model.json: layers[0]: prelu num_parameters must be 1 or the channel count (3), got 2"));
}

// What a streaming transposed convolution cannot do, with the reason; what it does not know, named.
TEST(ModelFileErrors, TransposedConvolution) {
  const std::string layer = "{\"type\": \"conv_transpose1d\", \"in_channels\": 2, \"out_channels\": 2, "
                            "\"kernel_size\": 3, \"stride\": 2, ";
  EXPECT_EQ(error_of(model_json(2, 2, {layer + "\"padding\": 1}"})),
            "model.json: layers[0]: padding (1) must be 0: a transposed convolution's padding crops the first output "
            "frames, so the stream's first frame would need input that has not arrived (a look-ahead a causal stream "
            "cannot have)");
  EXPECT_THAT(error_of(model_json(2, 2, {layer + "\"output_padding\": 1}"})),
              StartsWith("model.json: layers[0].output_padding: unknown key in conv_transpose1d"));
  EXPECT_EQ(error_of(model_json(2, 2, {"{\"type\": \"conv_transpose1d\", \"in_channels\": 2, \"out_channels\": 2, "
                                        "\"kernel_size\": 3, \"stride\": 0}"})),
            "model.json: layers[0].stride: expected an integer >= 1, got 0");
}

// Pooling windows that PyTorch refuses or that leave a frame without output, each with its numbers.
TEST(ModelFileErrors, PoolingGeometry) {
  const auto pool = [](const std::string& kind, const std::string& parameters) {
    return "{\"type\": \"" + kind + "\", " + parameters + "}";
  };
  EXPECT_EQ(error_of(model_json(4, 1, {pool("maxpool1d", "\"kernel_size\": 5, \"stride\": 1")})),
            "model.json: layers[0]: the window (kernel_size 5: 5 features) is larger than the padded frame (4 "
            "features + 2 * padding 0 = 4)");
  EXPECT_EQ(error_of(model_json(4, 1, {pool("maxpool1d", "\"kernel_size\": 2, \"stride\": 1, \"dilation\": 4")})),
            "model.json: layers[0]: the window (kernel_size 2, dilation 4: 5 features) is larger than the padded "
            "frame (4 features + 2 * padding 0 = 4)");
  EXPECT_EQ(error_of(model_json(4, 1, {pool("avgpool1d", "\"kernel_size\": 2, \"stride\": 5")})),
            "model.json: layers[0]: stride (5) is larger than the padded frame (4 features + 2 * padding 0 = 4)");
  EXPECT_EQ(error_of(model_json(2, 1, {pool("maxpool1d", "\"kernel_size\": 2, \"stride\": 1, \"padding\": 1, "
                                                       "\"dilation\": 3")})),
            "model.json: layers[0]: the window of output 0 (kernel_size 2, dilation 3) holds only padding: its "
            "maximum would be -inf");
  EXPECT_EQ(error_of(model_json(8, 1, {pool("avgpool1d", "\"kernel_size\": 3, \"stride\": 1, \"padding\": 2")})),
            "model.json: layers[0]: padding (2) must be at most half of kernel_size (3), as in PyTorch");
  EXPECT_EQ(error_of(model_json(8, 1, {pool("avgpool1d", "\"kernel_size\": 3, \"stride\": 0")})),
            "model.json: layers[0].stride: expected an integer >= 1, got 0");
  EXPECT_EQ(error_of(model_json(8, 1, {pool("maxpool1d", "\"kernel_size\": 3, \"stride\": 1, \"padding\": -1")})),
            "model.json: layers[0].padding: expected an integer >= 0, got -1");
  EXPECT_EQ(error_of(model_json(8, 4, {pool("maxpool1d", "\"kernel_size\": 2")})),
            "model.json: layers[0].stride: missing (expected an integer >= 1)");
  EXPECT_THAT(error_of(model_json(8, 4, {pool("maxpool", "\"kernel_size\": 2, \"stride\": 2")})),
              StartsWith("model.json: layers[0].type: unknown layer type \"maxpool\" (did you mean \"maxpool1d\"?)"));
  EXPECT_THAT(error_of(model_json(8, 4, {pool("avgpool1d", "\"kernel_size\": 2, \"stride\": 2, \"ceil_mode\": true")})),
              StartsWith("model.json: layers[0].ceil_mode: unknown key in avgpool1d"));
  // The output size follows from the window: the next layer must take it.
  EXPECT_EQ(error_of(model_json(8, 1, {pool("maxpool1d", "\"kernel_size\": 2, \"stride\": 2"), dense_json(8, 1)})),
            "model.json: layers[1].in_features: dense takes 8 input channels, but layers[0] (maxpool1d) outputs 4");
}

TEST(ModelFileErrors, Limits) {
  EXPECT_EQ(error_of(model_json(1, 1, {"{\"type\": \"lstm\", \"input_size\": 1, \"hidden_size\": 100000}"})),
            "model.json: layers[0].hidden_size: must be at most 4096 (a limit against malformed files), got "
            "100000");
  EXPECT_THAT(error_of(model_json(
                  1, 1, {"{\"type\": \"lstm\", \"input_size\": 1, \"hidden_size\": 18446744073709551615}"})),
              HasSubstr("layers[0].hidden_size: must be at most 4096"));
  EXPECT_THAT(error_of(model_json(1, 1,
                                  {"{\"type\": \"gru\", \"input_size\": 1, \"hidden_size\": 4, "
                                   "\"num_layers\": 65}"})),
              HasSubstr("layers[0].num_layers: must be at most 64"));
  EXPECT_THAT(
      error_of(model_json(1, 1,
                          {"{\"type\": \"conv1d\", \"in_channels\": 1, \"out_channels\": 1, "
                           "\"kernel_size\": 3, \"dilation\": 1000000}"})),
      HasSubstr("layers[0].dilation: kernel_size * dilation is 3 * 1000000, more than the limit of 1048576"));
  // Shape parameters that would need terabytes are refused before any weight is read.
  EXPECT_THAT(error_of(model_json(1, 1,
                                  {"{\"type\": \"lstm\", \"input_size\": 1, \"hidden_size\": 4096, "
                                   "\"num_layers\": 64}"})),
              HasSubstr("layers[0]: the model would hold more than 268435456 weights"));
  EXPECT_THAT(error_of(model_json(4096, 1,
                                  {"{\"type\": \"conv1d\", \"in_channels\": 4096, \"out_channels\": 1, "
                                   "\"kernel_size\": 2, \"dilation\": 524288}"})),
              HasSubstr("layers[0]: the convolutions would keep more than 67108864 floats of history"));
}

// ---------------------------------------------------------------------------------------------------
// Weights.

std::string dense_with_weights(const std::string& weights) {
  return model_json(
      3, 4, {"{\"type\": \"dense\", \"in_features\": 3, \"out_features\": 4, \"weights\": " + weights + "}"});
}

TEST(ModelFileErrors, WrongShapes) {
  EXPECT_EQ(error_of(dense_with_weights(weights_json({{"weight", {4, 2}}, {"bias", {4}}}))),
            "model.json: layers[0].weights.weight: expected 4x3, got 4x2");
  EXPECT_EQ(error_of(dense_with_weights(weights_json({{"weight", {3, 4}}, {"bias", {4}}}))),
            "model.json: layers[0].weights.weight: expected 4x3, got 3x4");
  EXPECT_EQ(error_of(dense_with_weights(weights_json({{"weight", {4, 3}}, {"bias", {4, 1}}}))),
            "model.json: layers[0].weights.bias: expected 4, got 4x1");
  EXPECT_EQ(error_of(dense_with_weights("{\"weight\": " + array_json({4, 3}) + ", \"bias\": 0}")),
            "model.json: layers[0].weights.bias: expected 4, got scalar");
  EXPECT_EQ(error_of(dense_with_weights("{\"weight\": [], \"bias\": [0,0,0,0]}")),
            "model.json: layers[0].weights.weight: expected 4x3, got 0");

  // The example of the format's documentation: an LSTM's recurrent matrix one column short.
  std::vector<NamedArray> arrays = recurrent_arrays(4, 40, 40, 1, true);
  arrays[1].shape = {160, 39};
  const std::string lstm =
      "{\"type\": \"lstm\", \"input_size\": 40, \"hidden_size\": 40, \"weights\": " + weights_json(arrays) +
      "}";
  EXPECT_EQ(error_of(model_json(1, 40, {dense_json(1, 40), "{\"type\": \"tanh\"}", lstm})),
            "model.json: layers[2].weights.weight_hh_l0: expected 160x40, got 160x39");
}

TEST(ModelFileErrors, MissingAndExtraWeights) {
  EXPECT_EQ(error_of(dense_with_weights(weights_json({{"weight", {4, 3}}}))),
            "model.json: layers[0].weights.bias: missing (expected 4)");
  EXPECT_EQ(error_of(model_json(3, 4, {"{\"type\": \"dense\", \"in_features\": 3, \"out_features\": 4}"})),
            "model.json: layers[0].weights.weight: missing (expected 4x3)");
  EXPECT_EQ(
      error_of(dense_with_weights(weights_json({{"weight", {4, 3}}, {"bias", {4}}, {"weight_ih", {4}}}))),
      "model.json: layers[0].weights.weight_ih: not a weight of dense (expected: weight, bias)");
  EXPECT_EQ(error_of(model_json(3, 4,
                                {"{\"type\": \"dense\", \"in_features\": 3, \"out_features\": 4, "
                                 "\"bias\": false, \"weights\": " +
                                 weights_json({{"weight", {4, 3}}, {"bias", {4}}}) + "}"})),
            "model.json: layers[0].weights.bias: not a weight of dense (expected: weight)");
  EXPECT_EQ(error_of(model_json(1, 1, {"{\"type\": \"tanh\", \"weights\": {\"weight\": [1]}}"})),
            "model.json: layers[0].weights.weight: not a weight of tanh (expected: none)");
}

TEST(ModelFileErrors, BadValues) {
  const std::string row = array_json({3});
  const auto with_second_row = [&](const std::string& second) {
    return dense_with_weights("{\"weight\": [" + row + ", " + second + ", " + row + ", " + row +
                              "], \"bias\": [0,0,0,0]}");
  };
  EXPECT_EQ(error_of(with_second_row("[0, 0, \"nan\"]")),
            "model.json: layers[0].weights.weight[1][2]: expected a number, got \"nan\"");
  EXPECT_EQ(error_of(with_second_row("[0, \"Infinity\", 0]")),
            "model.json: layers[0].weights.weight[1][1]: expected a number, got \"Infinity\"");
  EXPECT_EQ(error_of(with_second_row("[0, null, 0]")),
            "model.json: layers[0].weights.weight[1][1]: expected a number, got null");
  EXPECT_EQ(error_of(with_second_row("[true, 0, 0]")),
            "model.json: layers[0].weights.weight[1][0]: expected a number, got true");
  EXPECT_EQ(
      error_of(with_second_row("[0, 0, 1e39]")),
      "model.json: layers[0].weights.weight[1][2]: 1e+39 is outside the range of a float (weights must be "
      "finite floats)");
  EXPECT_EQ(error_of(with_second_row("[0, 0, -1e400]")),
            "model.json: not valid JSON: number overflow parsing '-1e400' at line 5, column 104");
  EXPECT_EQ(
      error_of(with_second_row("[0, 0]")),
      "model.json: layers[0].weights.weight[1]: expected an array of 3 like the first one at this depth, got "
      "an array of 2 (a weight array must not be ragged)");
  EXPECT_EQ(
      error_of(with_second_row("0")),
      "model.json: layers[0].weights.weight[1]: expected an array of 3 like the first one at this depth, got "
      "0 (a weight array must not be ragged)");
  EXPECT_EQ(error_of(with_second_row("[0, [0], 0]")),
            "model.json: layers[0].weights.weight[1][1]: expected a number, got an array");
  EXPECT_EQ(
      error_of(dense_with_weights("{\"weight\": [[[[[0]]]]], \"bias\": [0,0,0,0]}")),
      "model.json: layers[0].weights.weight: arrays nested deeper than 4 levels (a weight has at most 4 "
      "dimensions)");
  EXPECT_EQ(error_of(dense_with_weights("{\"weight\": \"zeros\", \"bias\": [0,0,0,0]}")),
            "model.json: layers[0].weights.weight: expected a number, got \"zeros\"");
}

// ---------------------------------------------------------------------------------------------------
// Robustness: random damage to a valid document either still parses or gives an rtn::Error.

TEST(ModelFileFuzz, MutationsParseOrThrowRtnError) {
  const std::string original = reference_model_json();
  const std::string alphabet = "{}[],:\"0123456789-+.eEtrufalsn \\/x";
  std::mt19937 random(20240611);
  auto pick = [&random](std::size_t count) {
    return static_cast<std::size_t>(std::uniform_int_distribution<std::size_t>(0, count - 1)(random));
  };
  int parsed = 0;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::string text = original;
    const int mutations = 1 + static_cast<int>(pick(3));
    for (int m = 0; m < mutations && !text.empty(); ++m) {
      const std::size_t at = pick(text.size());
      switch (pick(6)) {
        case 0:  // any byte
          text[at] = static_cast<char>(pick(256));
          break;
        case 1:  // a byte that means something in JSON
          text[at] = alphabet[pick(alphabet.size())];
          break;
        case 2:  // delete a run
          text.erase(at, 1 + pick(8));
          break;
        case 3:  // insert a byte
          text.insert(at, 1, alphabet[pick(alphabet.size())]);
          break;
        case 4:  // truncate
          text.resize(at);
          break;
        default:  // copy a span elsewhere
          text.insert(at, text.substr(pick(text.size()), 1 + pick(16)));
          break;
      }
    }
    try {
      const rtn::ModelDefinition definition = rtn::parse_model_json(text, "fuzz.json");
      ++parsed;
      // What the loader accepts must build.
      EXPECT_NO_THROW(rtn::Model::build(definition)) << text;
    } catch (const rtn::Error& error) {
      EXPECT_THAT(error.what(), StartsWith("fuzz.json: ")) << text;
    } catch (const std::exception& error) {
      ADD_FAILURE() << "a " << typeid(error).name() << " escaped: " << error.what() << "\n" << text;
    } catch (...) {
      ADD_FAILURE() << "a non-standard exception escaped\n" << text;
    }
  }
  // Some mutations are harmless (a changed digit); the loop must have exercised the success path too.
  EXPECT_GT(parsed, 0);
}

TEST(ModelFileFuzz, ValueSwapsParseOrThrowRtnError) {
  // Byte damage mostly breaks the JSON syntax; this replaces whole values (numbers, booleans, strings)
  // so that the checks behind the parser get exercised: sizes, shapes, types, limits.
  const std::string original = reference_model_json();
  std::vector<std::pair<std::size_t, std::size_t>> values;  // [begin, end) of each scalar and key
  for (std::size_t i = 0; i < original.size();) {
    const char c = original[i];
    std::size_t end;
    if (c == '"') {
      end = original.find('"', i + 1) + 1;
    } else if ((c >= '0' && c <= '9') || c == '-' || c == 't' || c == 'f' || c == 'n') {
      end = original.find_first_of(",]}\n ", i);
    } else {
      ++i;
      continue;
    }
    values.emplace_back(i, end);
    i = end;
  }
  const std::vector<std::string> replacements = {"0",
                                                 "1",
                                                 "2",
                                                 "3",
                                                 "4",
                                                 "-1",
                                                 "2.5",
                                                 "1e39",
                                                 "-0",
                                                 "65536",
                                                 "65537",
                                                 "1048577",
                                                 "9223372036854775808",
                                                 "true",
                                                 "false",
                                                 "null",
                                                 "\"x\"",
                                                 "\"\"",
                                                 "[]",
                                                 "{}",
                                                 "[0]",
                                                 "[[0]]",
                                                 "\"lstm\"",
                                                 "\"gru\"",
                                                 "\"dense\"",
                                                 "\"conv1d\"",
                                                 "\"prelu\"",
                                                 "\"softmax\"",
                                                 "\"batchnorm1d\"",
                                                 "\"channels\"",
                                                 "\"weights\"",
                                                 "\"bias\"",
                                                 "\"groups\"",
                                                 "\"weight\""};
  std::mt19937 random(7);
  auto pick = [&random](std::size_t count) {
    return static_cast<std::size_t>(std::uniform_int_distribution<std::size_t>(0, count - 1)(random));
  };
  int parsed = 0;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::string text = original;
    std::vector<std::size_t> chosen = {pick(values.size())};
    if (pick(2)) chosen.push_back(pick(values.size()));
    // Replace from the back so that the earlier offsets stay valid.
    std::sort(chosen.rbegin(), chosen.rend());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    for (std::size_t index : chosen) {
      const auto [begin, end] = values[index];
      text.replace(begin, end - begin, replacements[pick(replacements.size())]);
    }
    try {
      const rtn::ModelDefinition definition = rtn::parse_model_json(text, "swap.json");
      ++parsed;
      EXPECT_NO_THROW(rtn::Model::build(definition)) << text;
    } catch (const rtn::Error& error) {
      EXPECT_THAT(error.what(), StartsWith("swap.json: ")) << text;
    } catch (const std::exception& error) {
      ADD_FAILURE() << "a " << typeid(error).name() << " escaped: " << error.what() << "\n" << text;
    } catch (...) {
      ADD_FAILURE() << "a non-standard exception escaped\n" << text;
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
