// The readers of other tools' model files (engine/src/io/rtneural_json.cpp, guitarml_json.cpp) and the
// format detection (engine/src/io/model_file.cpp):
//  - files written as GuitarML and AIDA-X write them, and a Keras GRU with reset_after=False, reproduce the
//    output PyTorch computed for them (tests/data/make_compat_models.py writes both) on every backend;
//  - every kind of bad input gives an rtn::Error naming the file, the format and the exact JSON path;
//  - no input crashes a reader: random damage to valid documents, at the byte level and the tree level,
//    either loads (and then builds and runs) or gives such an error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "rtn/error.hpp"
#include "rtn/model.hpp"
#include "rtn/model_file.hpp"
#include "tools/common/test_data.hpp"

#ifndef RTN_TEST_DATA_DIR
#error "RTN_TEST_DATA_DIR must name tests/data (tests/CMakeLists.txt defines it)"
#endif

namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using Json = nlohmann::json;

const std::string kData = RTN_TEST_DATA_DIR;

std::string read_text(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) ADD_FAILURE() << "cannot read " << path;
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

struct Reference {
  std::vector<float> input, output;
};

// NAME.io.csv: a header, then "input,output" per sample.
Reference read_reference(const std::string& path) {
  std::istringstream text(read_text(path));
  Reference reference;
  std::string line;
  std::getline(text, line);
  while (std::getline(text, line)) {
    const std::size_t comma = line.find(',');
    if (comma == std::string::npos) continue;
    reference.input.push_back(std::stof(line.substr(0, comma)));
    reference.output.push_back(std::stof(line.substr(comma + 1)));
  }
  return reference;
}

using rtn::testing::max_abs_error;  // tools/common/test_data.hpp

// Recurrent models over 1000 steps: rtn's stated bound against PyTorch in float32.
constexpr double kTolerance = 1e-4;

// On every backend, sample by sample and in blocks, from a fresh reset.
void expect_reproduces(const rtn::ModelDefinition& definition, const Reference& reference) {
  ASSERT_FALSE(reference.input.empty());
  const int frames = static_cast<int>(reference.input.size());
  for (rtn::Implementation backend : rtn::compiled_implementations()) {
    SCOPED_TRACE(std::string("backend ") + std::string(backend.name()));
    rtn::BackendSelection selection;
    selection.all = backend;
    rtn::Model model = rtn::Model::build(definition, selection);
    std::vector<float> per_sample(reference.input.size());
    for (int i = 0; i < frames; ++i) per_sample[i] = model.process_sample(reference.input[i]);
    EXPECT_LE(max_abs_error(per_sample, reference.output), kTolerance) << "sample by sample";
    std::vector<float> blocks(reference.input.size());
    model.reset();
    for (int first = 0, size = 1; first < frames; size = size * 3 % 257 + 1) {
      const int count = std::min(size, frames - first);
      model.process(reference.input.data() + first, blocks.data() + first, count);
      first += count;
    }
    EXPECT_LE(max_abs_error(blocks, reference.output), kTolerance) << "in blocks";
  }
}

std::vector<std::string> layer_keys(const rtn::ModelDefinition& definition) {
  std::vector<std::string> keys;
  for (const rtn::LayerDefinition& layer : definition.layers) keys.push_back(layer.spec.to_string());
  return keys;
}

std::string write_temp_file(const std::string& name, const std::string& contents) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

// ---------------------------------------------------------------------------------------------------
// Files as the other tools write them, against PyTorch.

TEST(GuitarmlFormat, LstmWithSkip) {
  const rtn::ModelDefinition definition = rtn::load_model_file(kData + "/guitarml-lstm.json");
  EXPECT_EQ(layer_keys(definition),
            (std::vector<std::string>{"lstm(in=1,hidden=8,layers=1,bias=1)", "dense(in=8,out=1,bias=1)"}));
  EXPECT_TRUE(definition.input_skip);
  EXPECT_EQ(definition.input_gain, 1.0f);
  EXPECT_FALSE(definition.sample_rate_known);
  EXPECT_EQ(definition.name, "guitarml-lstm");
  expect_reproduces(definition, read_reference(kData + "/guitarml-lstm.io.csv"));
}

TEST(GuitarmlFormat, TwoLayerGruWithoutSkipOrLinearBias) {
  const rtn::ModelDefinition definition = rtn::load_model_file(kData + "/guitarml-gru.json");
  EXPECT_EQ(layer_keys(definition),
            (std::vector<std::string>{"gru(in=1,hidden=6,layers=2,bias=1)", "dense(in=6,out=1,bias=0)"}));
  EXPECT_FALSE(definition.input_skip);
  expect_reproduces(definition, read_reference(kData + "/guitarml-gru.io.csv"));
}

TEST(AidaxFormat, LstmWithSkipAndGains) {
  const rtn::ModelDefinition definition = rtn::load_model_file(kData + "/aidax-lstm.aidax");
  EXPECT_EQ(layer_keys(definition),
            (std::vector<std::string>{"lstm(in=1,hidden=8,layers=1,bias=1)", "dense(in=8,out=1,bias=1)"}));
  EXPECT_TRUE(definition.input_skip);
  // in_gain -3 dB, out_gain +6 dB, as factors.
  EXPECT_NEAR(definition.input_gain, std::pow(10.0, -3.0 / 20.0), 1e-6);
  EXPECT_NEAR(definition.output_gain, std::pow(10.0, 6.0 / 20.0), 1e-6);
  // "samplerate": "44100", a string as older AIDA-X exporters write it.
  EXPECT_EQ(definition.sample_rate, 44100.0);
  EXPECT_TRUE(definition.sample_rate_known);
  EXPECT_EQ(definition.name, "aidax-lstm");  // metadata.name
  expect_reproduces(definition, read_reference(kData + "/aidax-lstm.io.csv"));
}

TEST(AidaxFormat, GruGatesFromKerasOrder) {
  // AIDA-X's exporter reorders PyTorch's r, z, n into Keras' z, r, h; the reader reorders them back.
  const rtn::ModelDefinition definition = rtn::load_model_file(kData + "/aidax-gru.aidax");
  EXPECT_EQ(layer_keys(definition),
            (std::vector<std::string>{"gru(in=1,hidden=7,layers=1,bias=1)", "dense(in=7,out=1,bias=1)"}));
  EXPECT_NEAR(definition.output_gain, std::pow(10.0, -1.5 / 20.0), 1e-6);
  expect_reproduces(definition, read_reference(kData + "/aidax-gru.io.csv"));
}

TEST(RtneuralFormat, KerasGruResetAfterFalse) {
  // A one-row bias is Keras' reset_after=False: r scales h before the recurrent product of the candidate.
  const rtn::ModelDefinition definition = rtn::load_model_file(kData + "/rtneural-gru-reset-before.json");
  EXPECT_EQ(layer_keys(definition),
            (std::vector<std::string>{"dense(in=1,out=4,bias=1)", "tanh(channels=4)",
                                      "gru(in=4,hidden=5,layers=1,bias=1,reset_after=0)",
                                      "dense(in=5,out=1,bias=1)"}));
  expect_reproduces(definition, read_reference(kData + "/rtneural-gru-reset-before.io.csv"));
}

// ---------------------------------------------------------------------------------------------------
// Building documents for the error tests.

// Values first, first + step, ... in row-major order, as nested arrays of `shape`.
Json array(const std::vector<int>& shape, float first = 0.1f, float step = 0.01f) {
  std::size_t next = 0;
  const std::function<Json(std::size_t)> build = [&](std::size_t depth) -> Json {
    if (depth == shape.size()) return first + step * static_cast<float>(next++ % 50);
    Json level = Json::array();
    for (int i = 0; i < shape[depth]; ++i) level.push_back(build(depth + 1));
    return level;
  };
  return build(0);
}

Json keras_layer(const std::string& type, const std::string& activation, int units,
                 std::vector<Json> weights) {
  return {
      {"type", type}, {"activation", activation}, {"shape", {nullptr, nullptr, units}}, {"weights", weights}};
}

// A Keras model that uses every layer type the RTNeural reader knows, on 2 input channels.
Json keras_model() {
  Json conv = keras_layer("conv1d", "relu", 4, {array({3, 2, 4}), array({4})});
  conv["kernel_size"] = {3};
  conv["dilation"] = {2};
  conv["groups"] = 2;
  Json norm = keras_layer("batchnorm", "", 4, {array({4}), array({4}), array({4}), array({4}, 1.0f)});
  norm["epsilon"] = 0.001;
  return {{"in_shape", {nullptr, nullptr, 2}},
          {"layers",
           {keras_layer("dense", "tanh", 4, {array({2, 4}), array({4})}), conv, norm,
            keras_layer("prelu", "", 4, {array({1, 4})}),
            keras_layer("gru", "tanh", 3, {array({4, 9}), array({3, 9}), array({2, 9})}),
            keras_layer("lstm", "tanh", 2, {array({3, 8}), array({2, 8}), array({8})}),
            keras_layer("activation", "sigmoid", 2, {}), keras_layer("dense", "", 2, {array({2, 2})})}}};
}

Json aidax_model() {
  Json model = {{"in_shape", {nullptr, nullptr, 1}},
                {"layers",
                 {keras_layer("lstm", "", 3, {array({1, 12}), array({3, 12}), array({12})}),
                  keras_layer("dense", "", 1, {array({3, 1}), array({1})})}},
                {"in_skip", 1},
                {"in_gain", 0.0},
                {"out_gain", -6.0},
                {"samplerate", 48000},
                {"metadata", {{"name", "amp"}, {"samplerate", 48000}}}};
  return model;
}

Json guitarml_model(const std::string& unit = "LSTM", int hidden = 3) {
  const int gates = unit == "LSTM" ? 4 : 3;
  return {{"model_data",
           {{"model", "SimpleRNN"},
            {"input_size", 1},
            {"skip", 1},
            {"output_size", 1},
            {"unit_type", unit},
            {"num_layers", 1},
            {"hidden_size", hidden},
            {"bias_fl", true}}},
          {"state_dict",
           {{"rec.weight_ih_l0", array({gates * hidden, 1})},
            {"rec.weight_hh_l0", array({gates * hidden, hidden})},
            {"rec.bias_ih_l0", array({gates * hidden})},
            {"rec.bias_hh_l0", array({gates * hidden})},
            {"lin.weight", array({1, hidden})},
            {"lin.bias", array({1})}}}};
}

// The message of the rtn::Error that reading `document` throws.
std::string error_of(const Json& document, const std::string& source = "m.json") {
  try {
    rtn::parse_model_json(document.dump(), source);
  } catch (const rtn::Error& error) {
    return error.what();
  }
  ADD_FAILURE() << "expected an rtn::Error for:\n" << document.dump().substr(0, 2000);
  return "";
}

// Builds on every compiled-in backend and runs a block: what a reader accepts must build and run.
void expect_builds_and_runs(const rtn::ModelDefinition& definition) {
  for (rtn::Implementation backend : rtn::compiled_implementations()) {
    rtn::BackendSelection selection;
    selection.all = backend;
    rtn::Model model = rtn::Model::build(definition, selection);
    std::vector<float> in(static_cast<std::size_t>(8) * definition.input_channels, 0.25f);
    std::vector<float> out(static_cast<std::size_t>(8) * definition.output_channels);
    model.process(in.data(), out.data(), 8);
    for (float value : out) EXPECT_TRUE(std::isfinite(value));
  }
}

TEST(KerasFormat, EveryLayerTypeBuildsAndRuns) {
  const rtn::ModelDefinition definition = rtn::parse_model_json(keras_model().dump(), "m.json");
  const std::vector<std::string> keys = layer_keys(definition);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "dense(in=2,out=4,bias=1)", "tanh(channels=4)",
                      "conv1d(in=4,out=4,kernel=3,dilation=2,groups=2,bias=1)", "relu(channels=4)",
                      "batchnorm1d(channels=4,eps=0.001)", "prelu(channels=4,parameters=4)",
                      "gru(in=4,hidden=3,layers=1,bias=1)", "lstm(in=3,hidden=2,layers=1,bias=1)",
                      "sigmoid(channels=2)", "dense(in=2,out=2,bias=0)"}));
  EXPECT_EQ(definition.name, "m");
  expect_builds_and_runs(definition);
}

TEST(KerasFormat, LayoutConversions) {
  // Dense kernel [in][out] -> weight [out][in]; Conv1D kernel [k][in/groups][out] -> [out][in/groups][k];
  // GRU gates z, r, h -> r, z, n; LSTM bias -> bias_ih with a zero bias_hh.
  const rtn::ModelDefinition definition = rtn::parse_model_json(keras_model().dump(), "m.json");
  const rtn::Tensor& dense = definition.layers[0].weights.at("weight");
  ASSERT_EQ(dense.shape, (std::vector<int>{4, 2}));
  EXPECT_FLOAT_EQ(dense.values[1], 0.1f + 0.01f * 4);  // weight[0][1] = kernel[1][0]
  const rtn::Tensor& conv = definition.layers[2].weights.at("weight");
  ASSERT_EQ(conv.shape, (std::vector<int>{4, 2, 3}));
  // weight[o=1][i=0][k=2] = kernel[k=2][i=0][o=1] = element 2*8 + 0*4 + 1.
  EXPECT_FLOAT_EQ(conv.values[1 * 6 + 0 * 3 + 2], 0.1f + 0.01f * 17);
  const rtn::Tensor& gru = definition.layers[6].weights.at("weight_ih_l0");
  ASSERT_EQ(gru.shape, (std::vector<int>{9, 4}));
  // PyTorch's r row 0 is Keras' r column 3 (gates z, r, h, 3 units): weight_ih[0][1] = kernel[1][3].
  EXPECT_FLOAT_EQ(gru.values[0 * 4 + 1], 0.1f + 0.01f * (1 * 9 + 3));
  const rtn::Tensor& lstm_bias_hh = definition.layers[7].weights.at("bias_hh_l0");
  EXPECT_EQ(lstm_bias_hh.values, std::vector<float>(8, 0.0f));
}

TEST(KerasFormat, BatchNormVariantsAndPReLUSharing) {
  Json model = keras_model();
  // center=False, scale=False: [mean, variance] only.
  model["layers"][2]["weights"] = {array({4}, 0.5f), array({4}, 2.0f, 0.0f)};
  // shared_axes=[1, 2]: one slope for all channels.
  model["layers"][3]["weights"] = {array({1, 1}, 0.25f)};
  const rtn::ModelDefinition definition = rtn::parse_model_json(model.dump(), "m.json");
  EXPECT_EQ(definition.layers[4].weights.at("weight").values, std::vector<float>(4, 1.0f));
  EXPECT_EQ(definition.layers[4].weights.at("bias").values, std::vector<float>(4, 0.0f));
  EXPECT_EQ(definition.layers[4].weights.at("running_var").values, std::vector<float>(4, 2.0f));
  EXPECT_EQ(definition.layers[5].spec, rtn::LayerSpec::prelu(4, 1));
  expect_builds_and_runs(definition);
}

TEST(KerasFormat, BatchNorm2dOverFlattenedFrames) {
  // [batch, time, features=2, filters=3]: RTNeural flattens a frame feature by feature; rtn's batchnorm2d
  // keeps the per-filter parameters and repeats them for each feature.
  Json model = {{"in_shape", {nullptr, nullptr, 2, 3}},
                {"layers",
                 {{{"type", "batchnorm2d"},
                   {"activation", ""},
                   {"shape", {nullptr, nullptr, 2, 3}},
                   {"epsilon", 0.01},
                   {"num_filters_in", 3},
                   {"num_features_in", 2},
                   {"weights", {{1.0, 2.0, 3.0}, {0.0, 0.5, 1.0}, {0.1, 0.2, 0.3}, {1.0, 1.0, 4.0}}}}}}};
  const rtn::ModelDefinition definition = rtn::parse_model_json(model.dump(), "m.json");
  ASSERT_EQ(definition.layers.size(), 1u);
  EXPECT_EQ(definition.layers[0].spec, rtn::LayerSpec::batchnorm2d(3, 2, 0.01f));
  EXPECT_EQ(definition.layers[0].weights.at("weight").values, (std::vector<float>{1.0f, 2.0f, 3.0f}));
  EXPECT_EQ(definition.layers[0].weights.at("running_var").values, (std::vector<float>{1.0f, 1.0f, 4.0f}));
  expect_builds_and_runs(definition);
  // Feature by feature, each filter its own scale and shift: (x - mean) / sqrt(var + eps) * gamma + beta.
  rtn::Model norm = rtn::Model::build(definition);
  const std::vector<float> frame = {1, 1, 1, 2, 2, 2};
  std::vector<float> out(6);
  norm.process(frame.data(), out.data(), 1);
  const float gamma[] = {1, 2, 3}, beta[] = {0, 0.5f, 1}, mean[] = {0.1f, 0.2f, 0.3f}, var[] = {1, 1, 4};
  for (int i = 0; i < 6; ++i) {
    const int c = i % 3;
    EXPECT_NEAR(out[i], (frame[i] - mean[c]) / std::sqrt(var[c] + 0.01f) * gamma[c] + beta[c], 1e-6) << i;
  }
}

TEST(KerasFormat, ActivationsAndDefaults) {
  Json model = {
      {"in_shape", {nullptr, 3}},
      {"layers",
       {keras_layer("dense", "elu", 3, {array({3, 3})}), keras_layer("activation", "softmax", 3, {}),
        keras_layer("activation", "linear", 3, {}), keras_layer("activation", "", 3, {}),
        keras_layer("time-distributed-dense", "relu", 1, {array({3, 1}), array({1})})}}};
  const rtn::ModelDefinition definition = rtn::parse_model_json(model.dump(), "m.json");
  EXPECT_EQ(
      layer_keys(definition),
      (std::vector<std::string>{"dense(in=3,out=3,bias=0)", "elu(channels=3,alpha=1)", "softmax(channels=3)",
                                "dense(in=3,out=1,bias=1)", "relu(channels=1)"}));
  EXPECT_EQ(definition.sample_rate, 48000.0);
  EXPECT_FALSE(definition.sample_rate_known);
  EXPECT_FALSE(definition.input_skip);
}

TEST(AidaxFormat, KeysAndTheirUnits) {
  Json model = aidax_model();
  const rtn::ModelDefinition definition = rtn::parse_model_json(model.dump(), "m.json");
  EXPECT_TRUE(definition.input_skip);
  EXPECT_EQ(definition.input_gain, 1.0f);  // 0 dB
  EXPECT_NEAR(definition.output_gain, 0.501187, 1e-6);
  EXPECT_EQ(definition.sample_rate, 48000.0);
  EXPECT_EQ(definition.name, "amp");

  model["in_gain"] = -90;  // AIDA-X: -90 dB and below is silence
  model["in_skip"] = 0;
  model.erase("samplerate");
  model["metadata"]["samplerate"] = "44100.0";
  const rtn::ModelDefinition second = rtn::parse_model_json(model.dump(), "m.json");
  EXPECT_EQ(second.input_gain, 0.0f);
  EXPECT_FALSE(second.input_skip);
  EXPECT_EQ(second.sample_rate, 44100.0);
  EXPECT_TRUE(second.sample_rate_known);
  expect_builds_and_runs(second);
}

// ---------------------------------------------------------------------------------------------------
// Detection by content.

TEST(FormatDetection, ByContentNotByName) {
  // An AIDA-X document named .json, a GuitarML one named .aidax: the content decides.
  const std::string aidax = write_temp_file("detect-aidax.json", read_text(kData + "/aidax-lstm.aidax"));
  EXPECT_TRUE(rtn::load_model_file(aidax).input_skip);
  const std::string guitarml =
      write_temp_file("detect-guitarml.aidax", read_text(kData + "/guitarml-lstm.json"));
  EXPECT_EQ(rtn::load_model_file(guitarml).layers.size(), 2u);
  std::remove(aidax.c_str());
  std::remove(guitarml.c_str());
}

TEST(FormatDetection, ErrorsNameTheFormat) {
  Json keras = keras_model();
  keras["layers"][0]["weights"] = Json::array();
  EXPECT_THAT(error_of(keras), StartsWith("m.json (RTNeural format): layers[0].weights: "));
  // The same document with an AIDA-X key, or in a .aidax file, is AIDA-X.
  keras["out_gain"] = 0;
  EXPECT_THAT(error_of(keras), StartsWith("m.json (AIDA-X format): layers[0].weights: "));
  keras.erase("out_gain");
  EXPECT_THAT(error_of(keras, "m.aidax"), StartsWith("m.aidax (AIDA-X format): "));

  Json guitarml = guitarml_model();
  guitarml["model_data"].erase("unit_type");
  EXPECT_EQ(error_of(guitarml),
            "m.json (GuitarML format): model_data.unit_type: missing (expected \"LSTM\" or \"GRU\")");

  // rtn's own format keeps its messages.
  EXPECT_EQ(error_of(Json{{"version", 1}}), "m.json: format: missing (expected \"rtn\")");
  EXPECT_EQ(error_of(Json{{"format", "rtn"}}), "m.json: version: missing (expected 1)");
}

// RTNeural's strided convolution: its loader has none (a conv1d is read at stride 1), and its StridedConv1D takes
// its weights from a PyTorch state dict alone, which says nothing of the layer. Both refused, saying why.
TEST(FormatDetection, RtneuralStridedConvolutionsAreRefusedWithTheReason) {
  Json keras = keras_model();
  keras["layers"][1]["strides"] = {3};
  EXPECT_THAT(error_of(keras),
              AllOf(StartsWith("m.json (RTNeural format): layers[1].strides: is 3, but RTNeural's loader reads every "
                               "conv1d at stride 1 (its StridedConv1D is built in C++ code"),
                    HasSubstr("rtn does not guess which was meant")));
  keras["layers"][1]["strides"] = {1};
  EXPECT_NO_THROW(rtn::parse_model_json(keras.dump(), "m.json"));  // stride 1 is what RTNeural reads

  // RTNeural's models/conv1d_torch_stride_3.json: json.dump(conv.state_dict()).
  const Json state_dict = {{"weight", array({12, 1, 5})}, {"bias", array({12})}};
  EXPECT_THAT(error_of(state_dict, "conv1d_torch_stride_3.json"),
              StartsWith("conv1d_torch_stride_3.json: a PyTorch state dict alone (weight arrays without the layers' "
                         "kinds or sizes), as RTNeural's torch_helpers load"));
  EXPECT_THAT(error_of(Json{{"conv.weight", array({2, 1, 3})}, {"lin.bias", array({1})}}),
              HasSubstr("Export the PyTorch module with rtn_export"));
}

TEST(FormatDetection, NeuralAmpModeler) {
  // A .nam file is recognised by its content and read by the NAM reader, whose messages name the format.
  const Json nam = {{"version", "0.5.2"},
                    {"architecture", "WaveNet"},
                    {"config", Json::object()},
                    {"weights", Json::array()}};
  EXPECT_THAT(error_of(nam, "amp.nam"), AllOf(StartsWith("amp.nam"), HasSubstr("Neural Amp Modeler")));
}

// ---------------------------------------------------------------------------------------------------
// Errors: exact paths.

struct ErrorCase {
  std::string label;
  std::function<void(Json&)> damage;
  std::string message;  // what the message must contain after "m.json (<format> format): "
};

void expect_errors(const Json& base, const std::string& prefix, const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& test : cases) {
    SCOPED_TRACE(test.label);
    Json document = base;
    test.damage(document);
    EXPECT_EQ(error_of(document), prefix + test.message);
  }
}

TEST(KerasFormatErrors, ExactPaths) {
  const std::string p = "m.json (RTNeural format): ";
  expect_errors(
      keras_model(), p,
      {{"in_shape not a shape", [](Json& m) { m["in_shape"] = "x"; },
        "in_shape: expected a Keras shape like [null, 8] or [null, null, 8], got \"x\""},
       {"in_shape channels",
        [](Json& m) {
          m["in_shape"] = {nullptr, nullptr, 0};
        },
        "in_shape[2]: expected an integer >= 1, got 0"},
       {"layers missing", [](Json& m) { m.erase("layers"); },
        "layers: missing (expected an array of layers)"},
       {"no layers", [](Json& m) { m["layers"] = Json::array(); },
        "layers: a model needs at least one layer, got an empty array"},
       {"layer not object", [](Json& m) { m["layers"][1] = 3; },
        "layers[1]: expected an object describing a layer, got 3"},
       {"type typo", [](Json& m) { m["layers"][5]["type"] = "lstn"; },
        "layers[5].type: unknown layer type \"lstn\" (did you mean \"lstm\"?) (known: dense, "
        "time-distributed-dense, conv1d, conv2d, gru, lstm, prelu, batchnorm, batchnorm2d, activation)"},
       {"conv2d", [](Json& m) { m["layers"][1]["type"] = "conv2d"; },
        "layers[1].num_filters_in: missing (expected an integer >= 1)"},
       {"activation typo", [](Json& m) { m["layers"][0]["activation"] = "tahn"; },
        "layers[0].activation: unknown activation \"tahn\" (did you mean \"tanh\"?) (known: tanh, relu, "
        "sigmoid, softmax, elu, linear)"},
       {"dense rows",
        [](Json& m) {
          m["layers"][0]["weights"][0] = array({3, 4});
        },
        "layers[0].weights[0]: has 3 rows (the kernel: inputs x units), but the layer receives 2 "
        "channels (in_shape)"},
       {"dense shape",
        [](Json& m) {
          m["layers"][0]["shape"] = {nullptr, nullptr, 5};
        },
        "layers[0].shape: says 5 channels, but the kernel has 4 columns (units)"},
       {"dense bias", [](Json& m) { m["layers"][0]["weights"][1] = array({3}); },
        "layers[0].weights[1]: expected 4 (the bias: units), got 3"},
       {"dense no weights", [](Json& m) { m["layers"][0]["weights"] = Json::array(); },
        "layers[0].weights: expected [kernel] or [kernel, bias], got 0 arrays"},
       {"weights not array", [](Json& m) { m["layers"][0]["weights"] = Json::object(); },
        "layers[0].weights: expected an array of weight arrays (Keras' layer.get_weights()), got an "
        "object"},
       {"ragged", [](Json& m) { m["layers"][0]["weights"][0][1] = {1.0}; },
        "layers[0].weights[0][1]: expected an array of 4 like the first one at this depth, got an array "
        "of 1 (a weight array must not be ragged)"},
       {"not a number", [](Json& m) { m["layers"][0]["weights"][0][1][2] = "nan"; },
        "layers[0].weights[0][1][2]: expected a number, got \"nan\""},
       {"too big for float", [](Json& m) { m["layers"][0]["weights"][1][0] = 1e39; },
        "layers[0].weights[1][0]: 1e+39 is outside the range of a float (weights must be finite floats)"},
       {"conv groups", [](Json& m) { m["layers"][1]["groups"] = 3; },
        "layers[1].groups: is 3, which must divide both the 4 input channels and the 4 filters"},
       {"conv kernel_size", [](Json& m) { m["layers"][1]["kernel_size"] = {5}; },
        "layers[1].kernel_size: is 5, but the kernel has 3 taps (weights[0] is 3x2x4)"},
       {"conv kernel_size tuple",
        [](Json& m) {
          m["layers"][1]["kernel_size"] = {3, 3};
        },
        "layers[1].kernel_size: expected one value like [3] (a Conv1D has one spatial axis), got an "
        "array of 2"},
       {"conv dilation", [](Json& m) { m["layers"][1]["dilation"] = {0}; },
        "layers[1].dilation[0]: expected an integer >= 1, got 0"},
       {"conv kernel 2-D",
        [](Json& m) {
          m["layers"][1]["weights"][0] = array({3, 8});
        },
        "layers[1].weights[0]: expected a 3-D kernel (kernel_size x inputs/groups x filters), got 3x8"},
       {"conv kernel inputs",
        [](Json& m) {
          m["layers"][1]["weights"][0] = array({3, 4, 4});
        },
        "layers[1].weights[0]: expected 3x2x4 (kernel_size x inputs/groups x filters), got 3x4x4"},
       {"batchnorm three", [](Json& m) { m["layers"][2]["weights"].erase(0); },
        "layers[2].weights: has 3 arrays: a BatchNormalization with only one of center and scale, and "
        "nothing says which (re-export with both center and scale, or neither)"},
       {"batchnorm size", [](Json& m) { m["layers"][2]["weights"][3] = array({5}); },
        "layers[2].weights[3]: expected 4 (one value per channel), got 5"},
       {"batchnorm variance", [](Json& m) { m["layers"][2]["weights"][3] = array({4}, -0.5f, 0.0f); },
        "layers[2].weights[3][0]: moving variance + epsilon must be > 0, got -0.5 + 0.001"},
       {"batchnorm epsilon", [](Json& m) { m["layers"][2]["epsilon"] = -1; },
        "layers[2].epsilon: expected a number >= 0, got -1"},
       {"prelu over time",
        [](Json& m) {
          m["layers"][3]["weights"][0] = array({100, 4});
        },
        "layers[3].weights[0]: alpha is 100x4: expected one slope per channel (4) or one for all; a "
        "slope that changes along time (PReLU without shared_axes=[1]) cannot stream"},
       {"prelu shape",
        [](Json& m) {
          m["layers"][3]["shape"] = {nullptr, nullptr, 3};
        },
        "layers[3].shape: says 3 channels, but a PReLU keeps its size, and it receives 4"},
       {"gru activation", [](Json& m) { m["layers"][4]["activation"] = "relu"; },
        "layers[4].activation: is \"relu\", but rtn's (and RTNeural's) gru cell computes tanh"},
       {"gru bias",
        [](Json& m) {
          m["layers"][4]["weights"][2] = array({2, 8});
        },
        "layers[4].weights[2]: expected 2x9 (the bias: [input; recurrent] x 3*units for "
        "reset_after=True, or 3*units for reset_after=False), got 2x8"},
       {"gru kernel",
        [](Json& m) {
          m["layers"][4]["weights"][0] = array({4, 8});
        },
        "layers[4].weights[0]: expected 4x9 (the kernel: inputs x 3*units), got 4x8"},
       {"gru recurrent",
        [](Json& m) {
          m["layers"][4]["weights"][1] = array({3, 3, 3});
        },
        "layers[4].weights[1]: expected a matrix (the recurrent kernel: units x 3*units), got 3x3x3"},
       {"lstm weights",
        [](Json& m) {
          m["layers"][5]["weights"].erase(2);
          m["layers"][5]["weights"].erase(1);
        },
        "layers[5].weights: expected [kernel, recurrent_kernel] or [kernel, recurrent_kernel, bias], got "
        "1 array"},
       {"lstm bias", [](Json& m) { m["layers"][5]["weights"][2] = array({6}); },
        "layers[5].weights[2]: expected 8 (the bias: 4*units), got 6"},
       {"activation with weights", [](Json& m) { m["layers"][6]["weights"] = {array({2})}; },
        "layers[6].weights: expected no weight arrays for activation, got 1 array"},
       {"activation not string", [](Json& m) { m["layers"][6]["activation"] = 1; },
        "layers[6].activation: expected a string naming an activation, got 1"},
       {"last dense rows",
        [](Json& m) {
          m["layers"][7]["weights"][0] = array({3, 2});
        },
        "layers[7].weights[0]: has 3 rows (the kernel: inputs x units), but the layer receives 2 channels "
        "from the layer before"}});
}

TEST(AidaxFormatErrors, ExactPaths) {
  const std::string p = "m.json (AIDA-X format): ";
  expect_errors(
      aidax_model(), p,
      {{"in_skip 2", [](Json& m) { m["in_skip"] = 2; },
        "in_skip: expected 0 or 1 (how many input channels are added to the output), got 2"},
       {"in_skip bool", [](Json& m) { m["in_skip"] = true; },
        "in_skip: expected 0 or 1 (how many input channels are added to the output), got true"},
       {"in_skip conditioned",
        [](Json& m) {
          m["in_shape"] = {nullptr, nullptr, 2};
          m["layers"][0]["weights"][0] = array({2, 12});
        },
        "in_skip: 1 adds the first input channel to the output, which rtn supports only when the model "
        "has as many input channels as output channels (this one has 2 in, 1 out)"},
       {"in_gain", [](Json& m) { m["in_gain"] = "loud"; },
        "in_gain: expected a gain in dB (a number), got \"loud\""},
       {"out_gain huge", [](Json& m) { m["out_gain"] = 1000; },
        "out_gain: a gain of 1000 dB is too large for a float"},
       {"samplerate", [](Json& m) { m["samplerate"] = "fast"; },
        "samplerate: expected a sample rate in Hz (a number > 0, or a string holding one), got \"fast\""},
       {"samplerate zero", [](Json& m) { m["samplerate"] = 0; },
        "samplerate: expected a sample rate in Hz (a number > 0, or a string holding one), got 0"},
       {"metadata samplerate",
        [](Json& m) {
          m.erase("samplerate");
          m["metadata"]["samplerate"] = "48k";
        },
        "metadata.samplerate: expected a sample rate in Hz (a number > 0, or a string holding one), got "
        "\"48k\""}});
}

TEST(GuitarmlFormatErrors, ExactPaths) {
  const std::string p = "m.json (GuitarML format): ";
  expect_errors(
      guitarml_model(), p,
      {{"no model_data", [](Json& m) { m.erase("model_data"); },
        "model_data: missing (expected an object: the model's description)"},
       {"state_dict array", [](Json& m) { m["state_dict"] = Json::array(); },
        "state_dict: expected an object (PyTorch's state dict: named weight arrays), got an array"},
       {"model", [](Json& m) { m["model_data"]["model"] = "GatedConvNet"; },
        "model_data.model: expected \"SimpleRNN\" (the only GuitarML model rtn reads), got \"GatedConvNet\""},
       {"unit RNN", [](Json& m) { m["model_data"]["unit_type"] = "RNN"; },
        "model_data.unit_type: \"RNN\" (an Elman RNN) is not supported; rtn reads \"LSTM\" and \"GRU\""},
       {"hidden", [](Json& m) { m["model_data"]["hidden_size"] = 0; },
        "model_data.hidden_size: expected an integer >= 1, got 0"},
       {"hidden huge", [](Json& m) { m["model_data"]["hidden_size"] = 100000; },
        "model_data.hidden_size: must be at most 4096 (a limit against malformed files), got 100000"},
       {"skip missing", [](Json& m) { m["model_data"].erase("skip"); },
        "model_data.skip: missing (expected how many input channels the model adds to its output: 0, or "
        "input_size)"},
       {"skip conditioned",
        [](Json& m) {
          m["model_data"]["input_size"] = 2;
          m["state_dict"]["rec.weight_ih_l0"] = array({12, 2});
        },
        "model_data.skip: is 1: the model adds its first 1 input channels to its output, which rtn "
        "supports only for all of them, with as many outputs (input_size 2, output_size 1)"},
       {"bias_fl", [](Json& m) { m["model_data"]["bias_fl"] = "yes"; },
        "model_data.bias_fl: expected true or false, got \"yes\""},
       {"missing weight", [](Json& m) { m["state_dict"].erase("rec.weight_hh_l0"); },
        "state_dict.\"rec.weight_hh_l0\": missing (expected 12x3)"},
       {"wrong shape",
        [](Json& m) {
          m["state_dict"]["lin.weight"] = array({1, 2});
        },
        "state_dict.\"lin.weight\": expected 1x3 (from model_data), got 1x2"},
       {"missing linear bias", [](Json& m) { m["state_dict"].erase("lin.bias"); },
        "state_dict.\"lin.bias\": missing (expected 1) (model_data.bias_fl is true)"},
       {"unexpected linear bias", [](Json& m) { m["model_data"]["bias_fl"] = false; },
        "state_dict.\"lin.bias\": not a weight of this LSTM SimpleRNN (model_data.bias_fl is false) "
        "(expected: "
        "lin.weight, rec.bias_hh_l0, rec.bias_ih_l0, rec.weight_hh_l0, rec.weight_ih_l0)"},
       {"bidirectional",
        [](Json& m) {
          m["state_dict"]["rec.weight_ih_l0_reverse"] = array({12, 1});
        },
        "state_dict.\"rec.weight_ih_l0_reverse\": not a weight of this LSTM SimpleRNN (a bidirectional RNN "
        "cannot stream) (expected: lin.bias, lin.weight, "
        "rec.bias_hh_l0, rec.bias_ih_l0, rec.weight_hh_l0, rec.weight_ih_l0)"},
       {"ragged", [](Json& m) { m["state_dict"]["rec.weight_hh_l0"][4] = {1.0}; },
        "state_dict.\"rec.weight_hh_l0\"[4]: expected an array of 3 like the first one at this depth, got an "
        "array of 1 (a weight array must not be ragged)"},
       {"samplerate", [](Json& m) { m["model_data"]["samplerate"] = -1; },
        "model_data.samplerate: expected a sample rate in Hz (a number > 0), got -1"}});
}

TEST(GuitarmlFormat, OptionalKeys) {
  Json model = guitarml_model("GRU", 4);
  model["model_data"].erase("model");
  model["model_data"].erase("num_layers");
  model["model_data"]["bias_fl"] = 1;
  model["model_data"]["skip"] = 0;
  model["samplerate"] = 44100;
  model["training_info"] = {{"epochs", 10}};  // other top-level keys are the tool's own
  const rtn::ModelDefinition definition = rtn::parse_model_json(model.dump(), "m.json");
  EXPECT_EQ(layer_keys(definition),
            (std::vector<std::string>{"gru(in=1,hidden=4,layers=1,bias=1)", "dense(in=4,out=1,bias=1)"}));
  EXPECT_FALSE(definition.input_skip);
  EXPECT_EQ(definition.sample_rate, 44100.0);
  EXPECT_TRUE(definition.sample_rate_known);
  expect_builds_and_runs(definition);
}

// ---------------------------------------------------------------------------------------------------
// Robustness: damaged documents load (and then build and run) or give an rtn::Error naming the source.

// Parses `text`; returns whether it loaded. Any exception other than an rtn::Error starting with the source
// name, or a loaded model that does not build, fails the test.
bool parses_or_fails_cleanly(const std::string& text, const std::string& source) {
  try {
    const rtn::ModelDefinition definition = rtn::parse_model_json(text, source);
    try {
      rtn::Model model = rtn::Model::build(definition);
      std::vector<float> in(static_cast<std::size_t>(4) * definition.input_channels, 0.5f);
      std::vector<float> out(static_cast<std::size_t>(4) * definition.output_channels);
      model.process(in.data(), out.data(), 4);
    } catch (const std::exception& error) {
      ADD_FAILURE() << "loaded but does not build: " << error.what() << "\n" << text.substr(0, 3000);
    }
    return true;
  } catch (const rtn::Error& error) {
    EXPECT_THAT(error.what(), StartsWith(source)) << text.substr(0, 3000);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "a " << typeid(error).name() << " escaped: " << error.what() << "\n"
                  << text.substr(0, 3000);
  } catch (...) {
    ADD_FAILURE() << "a non-standard exception escaped\n" << text.substr(0, 3000);
  }
  return false;
}

struct FuzzSubject {
  std::string name;
  std::string text;
};

std::vector<FuzzSubject> fuzz_subjects() {
  return {{"keras.json", keras_model().dump()},
          {"aidax.json", aidax_model().dump()},
          {"guitarml.json", guitarml_model().dump()},
          {"guitarml-gru.json", read_text(kData + "/guitarml-gru.json")},
          {"reset-before.json", read_text(kData + "/rtneural-gru-reset-before.json")},
          {"conv2d.json", read_text(kData + "/rtneural-conv2d.json")}};
}

TEST(CompatFormatFuzz, ByteMutations) {
  const std::string alphabet = "{}[],:\"0123456789-+.eEtrufalsn \\/x";
  std::mt19937 random(20250101);
  const auto pick = [&random](std::size_t count) {
    return std::uniform_int_distribution<std::size_t>(0, count - 1)(random);
  };
  for (const FuzzSubject& subject : fuzz_subjects()) {
    SCOPED_TRACE(subject.name);
    int parsed = 0;
    for (int iteration = 0; iteration < 600; ++iteration) {
      std::string text = subject.text;
      for (int m = 0, mutations = 1 + static_cast<int>(pick(3)); m < mutations && !text.empty(); ++m) {
        const std::size_t at = pick(text.size());
        switch (pick(5)) {
          case 0:
            text[at] = static_cast<char>(pick(256));
            break;
          case 1:
            text[at] = alphabet[pick(alphabet.size())];
            break;
          case 2:
            text.erase(at, 1 + pick(8));
            break;
          case 3:
            text.resize(at);
            break;
          default:
            text.insert(at, text.substr(pick(text.size()), 1 + pick(16)));
            break;
        }
      }
      parsed += parses_or_fails_cleanly(text, subject.name) ? 1 : 0;
    }
    EXPECT_GT(parsed, 0) << "no mutation loaded: the success path was not exercised";
  }
}

// Replaces whole values anywhere in the tree (the reader's checks behind the parser: types, sizes, shapes,
// limits), one or two at a time.
TEST(CompatFormatFuzz, TreeMutations) {
  const std::vector<Json> replacements = {nullptr,
                                          true,
                                          false,
                                          0,
                                          1,
                                          2,
                                          3,
                                          -1,
                                          2.5,
                                          1e39,
                                          -0.0,
                                          4096,
                                          4097,
                                          1048577,
                                          9223372036854775807LL,
                                          "",
                                          "x",
                                          "tanh",
                                          "gru",
                                          "lstm",
                                          "conv1d",
                                          "batchnorm",
                                          "prelu",
                                          "dense",
                                          "48000",
                                          Json::array(),
                                          Json::object(),
                                          Json{0.5},
                                          Json{{0.5}},
                                          Json{{{0.5}}},
                                          Json{nullptr, nullptr, 1},
                                          Json{nullptr, nullptr, 4096}};
  std::mt19937 random(99);
  const auto pick = [&random](std::size_t count) {
    return std::uniform_int_distribution<std::size_t>(0, count - 1)(random);
  };
  for (const FuzzSubject& subject : fuzz_subjects()) {
    SCOPED_TRACE(subject.name);
    const Json original = Json::parse(subject.text);
    std::vector<Json::json_pointer> pointers;
    // Every value's location, except inside long weight arrays (they would drown the structure).
    const std::function<void(const Json&, const Json::json_pointer&)> collect =
        [&](const Json& value, const Json::json_pointer& at) {
          pointers.push_back(at);
          if (value.is_object()) {
            for (const auto& item : value.items()) collect(item.value(), at / item.key());
          } else if (value.is_array()) {
            for (std::size_t i = 0; i < std::min<std::size_t>(value.size(), 3); ++i)
              collect(value[i], at / i);
          }
        };
    collect(original, Json::json_pointer());
    int parsed = 0;
    for (int iteration = 0; iteration < 1500; ++iteration) {
      Json document = original;
      for (int m = 0, mutations = 1 + static_cast<int>(pick(2)); m < mutations; ++m) {
        const Json::json_pointer& at = pointers[pick(pointers.size())];
        if (at.empty() || !document.contains(at)) continue;
        Json& parent = document.at(at.parent_pointer());
        if (pick(6) == 0 && parent.is_object()) {
          parent.erase(at.back());  // a missing key
        } else {
          document[at] = replacements[pick(replacements.size())];
        }
      }
      parsed += parses_or_fails_cleanly(document.dump(), subject.name) ? 1 : 0;
    }
    EXPECT_GT(parsed, 0);
  }
}

TEST(CompatFormatFuzz, EveryTruncationFails) {
  const std::string text = read_text(kData + "/aidax-gru.aidax");
  // Cut where the document cannot be complete (every 7th length keeps the test fast).
  for (std::size_t length = 0; length + 2 < text.size(); length += 7) {
    try {
      rtn::parse_model_json(std::string_view(text).substr(0, length), "cut.aidax");
      ADD_FAILURE() << "a prefix of " << length << " bytes loaded";
    } catch (const rtn::Error& error) {
      EXPECT_THAT(error.what(), StartsWith("cut.aidax: not valid JSON: ")) << length;
    }
  }
}

}  // namespace
