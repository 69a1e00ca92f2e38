// The reader of Neural Amp Modeler .nam files, versions 0.5.x to 0.7.x (docs/nam.md).
//
// A .nam file is JSON: {"version", "architecture", "config", "weights": one flat array, "sample_rate",
// "metadata"}. The flat array is consumed in a precise order by NeuralAmpModelerCore, whose reading we
// follow: for a WaveNet that order is the one WaveNetSpec::append_expected_weights() lists (PyTorch layouts,
// row-major), so the reader checks the total count exactly and then slices; LSTM, ConvNet and Linear store
// their arrays differently from PyTorch and are converted here. Everything the reader does not know (an
// architecture, a version, a key that may change what the model computes) is an error naming it: a model
// that loads computes what Neural Amp Modeler computes. Errors read
// "<source> (Neural Amp Modeler format): <path>: <what>", as the other formats' readers name theirs.
#include "io/nam.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <locale>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "io/json_document.hpp"
#include "io/nam_slimmable.hpp"
#include "rtn/error.hpp"
#include "rtn/nam_file.hpp"
#include "rtn/wavenet_spec.hpp"

namespace rtn {

namespace {

using io::describe;
using io::element_path;
using io::member_path;
using Json = io::Json;
using Type = WaveNetActivation::Type;

// Limits against malformed files, far above any real model (the same as rtn JSON's where they overlap).
constexpr int kMaxSize = 4096;                 // channels, hidden sizes, groups, kernel sizes
constexpr long long kMaxKernelSpan = 1 << 20;  // kernel_size * dilation of one convolution
constexpr int kMaxLayersPerArray = 1024;       // dilations of one WaveNet layer array
constexpr int kMaxArrays = 64;                 // WaveNet layer arrays
constexpr int kMaxRecurrentLayers = 64;        // LSTM num_layers
constexpr int kMaxConditionDepth = 4;          // condition networks inside condition networks
constexpr int kMaxSubmodels = 64;              // the submodels of a SlimmableContainer
constexpr std::size_t kMaxWeights = std::size_t{1} << 28;
constexpr long long kMaxHistoryFloats = 1LL << 26;  // convolution state over the whole model

const char* const kFilmKeys[kWaveNetFilmSites] = {
    "conv_pre_film",       "conv_post_film",       "input_mixin_pre_film", "input_mixin_post_film",
    "activation_pre_film", "activation_post_film", "layer1x1_post_film",   "head1x1_post_film"};

struct Version {
  int major = 0, minor = 0, patch = 0;
};

// The flat weight arrays of a WaveNet and of its condition networks: arrays[d] is the one at depth d.
struct FlatWeights {
  std::vector<const Json*> arrays;
  std::vector<std::string> paths;
};

class NamReader {
 public:
  explicit NamReader(const std::string& source) : source_(source) {}

  // The WaveNet a config describes (the "config" of a WaveNet .nam file), without weights.
  LayerSpec wavenet_layer(const Json& config) {
    Json document = Json::object();
    document["config"] = config;
    document["weights"] = Json::array();
    FlatWeights flat;
    LayerSpec spec = LayerSpec::wavenet(read_wavenet(document, "", 0, flat));
    if (const std::string problem = spec.validate(); !problem.empty()) fail("config", problem);
    return spec;
  }

  ModelDefinition read(const Json& root, double slimmable_size) {
    if (!root.is_object()) fail("", "expected a JSON object at the top level, got " + describe(root));
    ModelDefinition model = read_document(root, "", slimmable_size);
    model.name = read_name(root);
    for (const LayerDefinition& layer : model.layers) {
      if (const std::string problem = layer.spec.validate(); !problem.empty()) fail("config", problem);
      try {
        check_weights(layer.spec, layer.weights);
      } catch (const Error& error) {
        // Only a value out of float range can get here: the shapes are ours.
        fail("", error.what());
      }
    }
    return model;
  }

 private:
  // The model of a .nam document: the file itself (path ""), or a container's submodel at `path`.
  ModelDefinition read_document(const Json& document, const std::string& path, double slimmable_size) {
    check_version(document, path);
    const std::string architecture_path = member_path(path, "architecture");
    const std::string architecture = read_string(required(document, path, "architecture"), architecture_path);
    const std::string config_path = member_path(path, "config");
    const Json& config = required(document, path, "config");
    if (!config.is_object()) fail(config_path, "expected an object, got " + describe(config));
    sample_rate_ = read_sample_rate(document, path);

    ModelDefinition model;
    model.sample_rate = sample_rate_.value_or(48000.0);
    model.sample_rate_known = sample_rate_.has_value();
    if (architecture == "WaveNet") {
      read_wavenet_model(document, path, slimmable_size, model);
    } else if (architecture == "LSTM") {
      read_lstm(config, weights_of(document, path), path, model);
    } else if (architecture == "ConvNet") {
      read_convnet(config, weights_of(document, path), path, model);
    } else if (architecture == "Linear") {
      read_linear(config, weights_of(document, path), path, model);
    } else if (architecture == "SlimmableContainer" && path.empty()) {
      model = read_container(document, slimmable_size);
    } else if (architecture == "SlimmableContainer") {
      fail(architecture_path, "a SlimmableContainer inside a SlimmableContainer is not supported");
    } else {
      fail(architecture_path,
           io::quoted(architecture) +
               " is not supported (rtn reads the WaveNet, LSTM, ConvNet, Linear and SlimmableContainer "
               "architectures)");
    }
    return model;
  }

  // A SlimmableContainer: {"submodels": [{"max_value", "model"}, ...]}, ascending max_values, the last at
  // least 1. The size picks the first submodel whose max_value is above it, else the last, as Neural Amp
  // Modeler's engine does; every submodel is read and checked, so that a file that loads at one size loads at
  // all. The container does not pass its size on: a slimmable submodel runs at its full size, as in NAM.
  ModelDefinition read_container(const Json& document, double slimmable_size) {
    const std::string config_path = "config";
    const Json& config = required(document, "", "config");
    check_keys(config, config_path, {"submodels"}, "a SlimmableContainer's config");
    if (const Json* weights = optional(document, "weights");
        weights && !(weights->is_array() && weights->empty())) {
      fail("weights",
           "expected [] (a SlimmableContainer's weights are in its submodels), got " + describe(*weights));
    }
    const std::optional<double> container_rate = sample_rate_;
    const std::string submodels_path = member_path(config_path, "submodels");
    const Json& submodels =
        read_array(required(config, config_path, "submodels"), submodels_path, 1, kMaxSubmodels);
    std::optional<ModelDefinition> chosen;
    double previous_max = -INFINITY;
    for (std::size_t i = 0; i < submodels.size(); ++i) {
      const std::string place = element_path(submodels_path, i);
      const Json& entry = submodels[i];
      if (!entry.is_object()) fail(place, "expected an object {max_value, model}, got " + describe(entry));
      check_keys(entry, place, {"max_value", "model"}, "a SlimmableContainer's submodel");
      const std::string max_path = member_path(place, "max_value");
      const Json& max_json = required(entry, place, "max_value");
      if (!max_json.is_number()) fail(max_path, "expected a number, got " + describe(max_json));
      const double max_value = max_json.get<double>();
      if (!std::isfinite(max_value)) fail(max_path, "expected a finite number, got " + max_json.dump());
      if (!(max_value > previous_max)) {
        fail(max_path, "the submodels' max_values must ascend (" + max_json.dump() + " follows " +
                           Json(previous_max).dump() + ")");
      }
      if (i + 1 == submodels.size() && max_value < 1.0) {
        fail(max_path,
             "the last submodel's max_value must be at least 1 (it covers the largest sizes), got " +
                 max_json.dump());
      }
      previous_max = max_value;
      const std::string model_path = member_path(place, "model");
      const Json& submodel = required(entry, place, "model");
      if (!submodel.is_object())
        fail(model_path, "expected a Neural Amp Modeler model (an object), got " + describe(submodel));
      ModelDefinition definition = read_document(submodel, model_path, 1.0);
      if (sample_rate_ && container_rate && *sample_rate_ != *container_rate) {
        const auto hertz = [](double rate) {
          std::ostringstream text;
          text.imbue(std::locale::classic());
          text << rate << " Hz";
          return text.str();
        };
        fail(member_path(model_path, "sample_rate"), "the submodel's sample rate (" + hertz(*sample_rate_) +
                                                         ") differs from the container's (" +
                                                         hertz(*container_rate) + ")");
      }
      if (!chosen && (slimmable_size < max_value || i + 1 == submodels.size()))
        chosen = std::move(definition);
    }
    sample_rate_ = container_rate;
    // The container's rate when it states one, else the submodel's (NAM checks only that they agree).
    if (container_rate) {
      chosen->sample_rate = *container_rate;
      chosen->sample_rate_known = true;
    }
    return std::move(*chosen);
  }

  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw Error(source_ + " (Neural Amp Modeler format): " + (path.empty() ? "" : path + ": ") + what);
  }

  // ---------------------------------------------------------------------------------------------------
  // Typed access with paths in messages.

  const Json& required(const Json& object, const std::string& path, const char* key) const {
    const auto found = object.find(key);
    if (found == object.end()) fail(member_path(path, key), "missing");
    return *found;
  }
  // Absent or null: nullptr.
  static const Json* optional(const Json& object, const char* key) {
    const auto found = object.find(key);
    return found == object.end() || found->is_null() ? nullptr : &*found;
  }

  int read_int(const Json& value, const std::string& path, int min, int max) const {
    const std::optional<long long> number = io::integer_value(value);
    if (!number) fail(path, "expected an integer, got " + describe(value));
    if (*number < min || *number > max) {
      fail(path, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", got " +
                     describe(value));
    }
    return static_cast<int>(*number);
  }
  int read_int(const Json& object, const std::string& path, const char* key, int min, int max,
               std::optional<int> fallback = std::nullopt) const {
    const Json* value = optional(object, key);
    if (!value) {
      if (fallback) return *fallback;
      fail(member_path(path, key), "missing");
    }
    return read_int(*value, member_path(path, key), min, max);
  }
  bool read_bool(const Json& value, const std::string& path) const {
    if (!value.is_boolean()) fail(path, "expected true or false, got " + describe(value));
    return value.get<bool>();
  }
  bool read_bool(const Json& object, const std::string& path, const char* key,
                 std::optional<bool> fallback) const {
    const Json* value = optional(object, key);
    if (!value) {
      if (fallback) return *fallback;
      fail(member_path(path, key), "missing");
    }
    return read_bool(*value, member_path(path, key));
  }
  float read_float(const Json& value, const std::string& path) const {
    if (!value.is_number()) fail(path, "expected a number, got " + describe(value));
    const double number = value.get<double>();
    if (!(std::fabs(number) <= FLT_MAX)) fail(path, value.dump() + " is outside the range of a float");
    return static_cast<float>(number);
  }
  float read_float(const Json& object, const std::string& path, const char* key, float fallback) const {
    const Json* value = optional(object, key);
    return value ? read_float(*value, member_path(path, key)) : fallback;
  }
  std::string read_string(const Json& value, const std::string& path) const {
    if (!value.is_string()) fail(path, "expected a string, got " + describe(value));
    return value.get<std::string>();
  }
  const Json& read_array(const Json& value, const std::string& path, std::size_t min, std::size_t max) const {
    if (!value.is_array()) fail(path, "expected an array, got " + describe(value));
    if (value.size() < min || value.size() > max) {
      fail(path, "expected " + std::to_string(min) + " to " + std::to_string(max) + " entries, got " +
                     std::to_string(value.size()));
    }
    return value;
  }

  // Keys that may change what the model computes must be known: an unknown one is a feature we would
  // silently ignore.
  void check_keys(const Json& object, const std::string& path, std::initializer_list<const char*> known,
                  const std::string& what) const {
    for (const auto& item : object.items()) {
      bool found = false;
      for (const char* key : known) found = found || item.key() == key;
      if (found) continue;
      std::string names;
      for (const char* key : known) names += (names.empty() ? "" : ", ") + std::string(key);
      fail(member_path(path, item.key()),
           "not a setting rtn knows for " + what + " (known: " + names +
               "); it may change what the model computes, so the file is refused");
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // The top level.

  Version check_version(const Json& document, const std::string& path) const {
    const std::string place = member_path(path, "version");
    const std::string text = read_string(required(document, path, "version"), place);
    Version version;
    int* parts[] = {&version.major, &version.minor, &version.patch};
    std::size_t position = 0;
    for (int i = 0; i < 3; ++i) {
      std::size_t end = position;
      while (end < text.size() && end - position < 6 && text[end] >= '0' && text[end] <= '9') ++end;
      const bool separator_ok = i < 2 ? end < text.size() && text[end] == '.' : end == text.size();
      if (end == position || !separator_ok) {
        fail(place, io::quoted(text) + " is not a version (expected major.minor.patch, such as \"0.5.4\")");
      }
      *parts[i] = std::stoi(text.substr(position, end - position));
      position = end + 1;
    }
    if (version.major != 0 || version.minor < 5 || version.minor > 7) {
      fail(place, io::quoted(text) +
                      " is not supported (rtn reads Neural Amp Modeler files of versions 0.5.x to 0.7.x)");
    }
    return version;
  }

  std::optional<double> read_sample_rate(const Json& document, const std::string& path) const {
    const Json* value = optional(document, "sample_rate");
    if (!value) return std::nullopt;
    const std::string place = member_path(path, "sample_rate");
    if (!value->is_number()) fail(place, "expected a number of samples per second, got " + describe(*value));
    const double rate = value->get<double>();
    // Neural Amp Modeler writes -1 for "unknown".
    if (rate == -1.0) return std::nullopt;
    if (!(rate > 0 && rate <= 1e7))
      fail(place, "expected a positive number of samples per second, got " + value->dump());
    return rate;
  }

  std::string read_name(const Json& root) const {
    if (const Json* metadata = optional(root, "metadata"); metadata && metadata->is_object()) {
      if (const Json* name = optional(*metadata, "name");
          name && name->is_string() && !name->get<std::string>().empty()) {
        return name->get<std::string>();
      }
    }
    return std::filesystem::path(source_).stem().string();
  }

  const Json& weights_of(const Json& document, const std::string& path) const {
    const std::string place = member_path(path, "weights");
    const Json& weights = required(document, path, "weights");
    if (!weights.is_array()) fail(place, "expected an array of numbers, got " + describe(weights));
    if (weights.size() > kMaxWeights) fail(place, "more than " + std::to_string(kMaxWeights) + " values");
    return weights;
  }

  void check_count(const Json& weights, const std::string& path, std::size_t expected) const {
    if (weights.size() != expected) {
      fail(path, "expected " + std::to_string(expected) + " values for this architecture, got " +
                     std::to_string(weights.size()));
    }
  }

  // Takes the next `count` values of a flat array.
  std::vector<float> take(const Json& weights, const std::string& path, std::size_t& cursor,
                          std::size_t count) const {
    std::vector<float> values;
    values.reserve(count);
    for (std::size_t i = 0; i < count; ++i, ++cursor) {
      values.push_back(read_float(weights[cursor], element_path(path, cursor)));
    }
    return values;
  }

  // ---------------------------------------------------------------------------------------------------
  // WaveNet.

  void read_wavenet_model(const Json& document, const std::string& path, double slimmable_size,
                          ModelDefinition& model) {
    const std::string config_path = member_path(path, "config");
    FlatWeights flat;
    std::vector<std::vector<int>> allowed_channels;  // per array; empty: not slimmable
    std::shared_ptr<const WaveNetSpec> spec = read_wavenet(document, path, 0, flat, &allowed_channels);
    const bool slimmable = std::any_of(allowed_channels.begin(), allowed_channels.end(),
                                       [](const std::vector<int>& allowed) { return !allowed.empty(); });
    if (slimmable && spec->post_head) {
      fail(member_path(config_path, "head"),
           "a slimmable WaveNet cannot have a post-stack head (as in Neural Amp Modeler)");
    }
    LayerDefinition layer;
    layer.spec = LayerSpec::wavenet(spec);
    if (const std::string problem = layer.spec.validate(); !problem.empty()) fail(config_path, problem);
    if (spec->history_floats() > kMaxHistoryFloats) {
      fail(config_path, "the convolutions would keep more than " + std::to_string(kMaxHistoryFloats) +
                            " floats of history (a limit against malformed files)");
    }
    const std::vector<WeightShape> shapes = expected_weights(layer.spec);
    // Which flat array each weight comes from: one "condition." per level of condition network.
    const auto depth_of = [](const std::string& name) {
      std::size_t depth = 0;
      const std::string level = "condition.";
      while (name.size() >= (depth + 1) * level.size() &&
             name.compare(depth * level.size(), level.size(), level) == 0) {
        ++depth;
      }
      return depth;
    };
    std::vector<std::size_t> expected(flat.arrays.size(), 0);
    for (const WeightShape& shape : shapes) {
      std::size_t count = 1;
      for (int extent : shape.shape) count *= static_cast<std::size_t>(extent);
      expected.at(depth_of(shape.name)) += count;
    }
    for (std::size_t d = 0; d < flat.arrays.size(); ++d)
      check_count(*flat.arrays[d], flat.paths[d], expected[d]);
    std::vector<std::size_t> cursor(flat.arrays.size(), 0);
    for (const WeightShape& shape : shapes) {
      const std::size_t d = depth_of(shape.name);
      std::size_t count = 1;
      for (int extent : shape.shape) count *= static_cast<std::size_t>(extent);
      layer.weights[shape.name] = Tensor{shape.shape, take(*flat.arrays[d], flat.paths[d], cursor[d], count)};
    }
    slim(allowed_channels, slimmable_size, config_path, layer);
    model.input_channels = spec->input_size;
    model.output_channels = spec->output_size();
    model.layers.push_back(std::move(layer));
  }

  // A slimmable WaveNet cut to the channels `size` picks (io/nam_slimmable.hpp); unchanged at full size, as
  // Neural Amp Modeler builds it then.
  void slim(const std::vector<std::vector<int>>& allowed_channels, double size,
            const std::string& config_path, LayerDefinition& layer) const {
    const WaveNetSpec& full = *layer.spec.architecture;
    std::vector<int> channels;
    for (std::size_t a = 0; a < full.arrays.size(); ++a) {
      channels.push_back(allowed_channels[a].empty() ? full.arrays[a].channels
                                                     : nam::slimmed_channels(allowed_channels[a], size));
    }
    bool full_size = true;
    for (std::size_t a = 0; a < full.arrays.size(); ++a)
      full_size = full_size && channels[a] == full.arrays[a].channels;
    if (full_size) return;
    if (const std::string problem = nam::slimming_problem(full, channels); !problem.empty()) {
      fail(config_path, problem + " (at slimmable size " + Json(size).dump() + ")");
    }
    nam::SlimmedWaveNet slimmed = nam::slim_wavenet(full, layer.weights, channels);
    layer.spec = LayerSpec::wavenet(slimmed.spec);
    layer.weights = std::move(slimmed.weights);
    if (const std::string problem = layer.spec.validate(); !problem.empty()) {
      fail(config_path, "slimmed to size " + Json(size).dump() + ": " + problem);
    }
  }

  // The WaveNet of `document` (the file, or a condition_dsp inside it at `path`), its flat weights recorded
  // in flat.arrays[depth]; each array's allowed channel counts (empty: not slimmable) in `allowed_channels`
  // unless null.
  std::shared_ptr<const WaveNetSpec> read_wavenet(const Json& document, const std::string& path, int depth,
                                                  FlatWeights& flat,
                                                  std::vector<std::vector<int>>* allowed_channels = nullptr) {
    const std::string config_path = member_path(path, "config");
    const Json& config = required(document, path, "config");
    if (!config.is_object()) fail(config_path, "expected an object, got " + describe(config));
    flat.arrays.push_back(&weights_of(document, path));
    flat.paths.push_back(member_path(path, "weights"));
    check_keys(config, config_path, {"layers", "head", "head_scale", "condition_dsp", "in_channels"},
               "a WaveNet's config");

    auto spec = std::make_shared<WaveNetSpec>();
    spec->input_size = read_int(config, config_path, "in_channels", 1, kMaxSize, 1);
    if (const Json* scale = optional(config, "head_scale")) {
      // The value used is the last weight (as Neural Amp Modeler does); this one must still be a number.
      read_float(*scale, member_path(config_path, "head_scale"));
    }
    if (const Json* condition = optional(config, "condition_dsp")) {
      spec->condition = read_condition(*condition, member_path(config_path, "condition_dsp"), depth, flat);
    }
    const std::string layers_path = member_path(config_path, "layers");
    const Json& layers = read_array(required(config, config_path, "layers"), layers_path, 1, kMaxArrays);
    for (std::size_t a = 0; a < layers.size(); ++a) {
      std::vector<int> allowed;
      spec->arrays.push_back(read_layer_array(layers[a], element_path(layers_path, a), allowed));
      if (allowed_channels) allowed_channels->push_back(std::move(allowed));
    }
    if (const Json* head = optional(config, "head"))
      spec->post_head = read_post_head(*head, member_path(config_path, "head"));
    return spec;
  }

  std::shared_ptr<const WaveNetSpec> read_condition(const Json& document, const std::string& path, int depth,
                                                    FlatWeights& flat) {
    if (!document.is_object())
      fail(path, "expected a Neural Amp Modeler model (an object), got " + describe(document));
    if (depth + 1 > kMaxConditionDepth) {
      fail(path, "condition networks nested deeper than " + std::to_string(kMaxConditionDepth) + " levels");
    }
    check_version(document, path);
    const std::string architecture =
        read_string(required(document, path, "architecture"), member_path(path, "architecture"));
    if (architecture != "WaveNet") {
      fail(member_path(path, "architecture"), "a condition network of architecture " +
                                                  io::quoted(architecture) +
                                                  " is not supported (only WaveNet)");
    }
    const std::optional<double> rate = read_sample_rate(document, path);
    if (rate && sample_rate_ && *rate != *sample_rate_) {
      fail(member_path(path, "sample_rate"), "the condition network's sample rate (" + std::to_string(*rate) +
                                                 ") differs from the model's (" +
                                                 std::to_string(*sample_rate_) + ")");
    }
    return read_wavenet(document, path, depth + 1, flat);
  }

  // The array at `path`; the channel counts it may be slimmed to in `allowed_channels` (left empty when it is
  // not slimmable).
  WaveNetLayerArray read_layer_array(const Json& object, const std::string& path,
                                     std::vector<int>& allowed_channels) {
    if (!object.is_object())
      fail(path, "expected an object describing a layer array, got " + describe(object));
    check_keys(object, path,
               {"input_size",
                "condition_size",
                "head_size",
                "head_bias",
                "head",
                "channels",
                "bottleneck",
                "kernel_size",
                "kernel_sizes",
                "dilations",
                "activation",
                "gated",
                "gating_mode",
                "secondary_activation",
                "groups_input",
                "groups_input_mixin",
                "layer1x1",
                "head1x1",
                "conv_pre_film",
                "conv_post_film",
                "input_mixin_pre_film",
                "input_mixin_post_film",
                "activation_pre_film",
                "activation_post_film",
                "layer1x1_post_film",
                "head1x1_post_film",
                "slimmable"},
               "a WaveNet layer array");
    WaveNetLayerArray array;
    array.input_size = read_int(object, path, "input_size", 1, kMaxSize);
    array.condition_size = read_int(object, path, "condition_size", 1, kMaxSize);
    array.channels = read_int(object, path, "channels", 1, kMaxSize);
    if (const Json* slimmable = optional(object, "slimmable"))
      allowed_channels = read_slimmable(*slimmable, member_path(path, "slimmable"), array.channels);
    array.bottleneck = read_int(object, path, "bottleneck", 1, kMaxSize, array.channels);
    array.groups_input = read_int(object, path, "groups_input", 1, kMaxSize, 1);
    array.groups_input_mixin = read_int(object, path, "groups_input_mixin", 1, kMaxSize, 1);
    read_head(object, path, array);

    const std::string dilations_path = member_path(path, "dilations");
    const Json& dilations =
        read_array(required(object, path, "dilations"), dilations_path, 1, kMaxLayersPerArray);
    const std::size_t count = dilations.size();
    const std::vector<int> kernels = read_kernel_sizes(object, path, count);
    const std::vector<WaveNetActivation> activations = read_per_layer_activations(
        required(object, path, "activation"), member_path(path, "activation"), count);
    std::vector<WaveNetGating> gating(count, WaveNetGating::none);
    if (const Json* mode = optional(object, "gating_mode")) {
      gating = read_gating_modes(*mode, member_path(path, "gating_mode"), count);
    } else if (const Json* gated = optional(object, "gated")) {
      if (read_bool(*gated, member_path(path, "gated"))) gating.assign(count, WaveNetGating::gated);
    }
    std::vector<WaveNetActivation> secondary(count, WaveNetActivation::simple(Type::sigmoid));
    const bool any_gating =
        std::any_of(gating.begin(), gating.end(), [](WaveNetGating g) { return g != WaveNetGating::none; });
    if (const Json* value = optional(object, "secondary_activation"); value && any_gating) {
      const std::string place = member_path(path, "secondary_activation");
      if (value->is_array()) {
        read_array(*value, place, count, count);
        for (std::size_t l = 0; l < count; ++l) {
          if (gating[l] != WaveNetGating::none)
            secondary[l] = read_activation((*value)[l], element_path(place, l));
        }
      } else {
        secondary.assign(count, read_activation(*value, place));
      }
    }
    for (std::size_t l = 0; l < count; ++l) {
      WaveNetLayer layer;
      layer.kernel_size = kernels[l];
      layer.dilation =
          read_int(dilations[l], element_path(dilations_path, l), 1, static_cast<int>(kMaxKernelSpan));
      if (static_cast<long long>(layer.kernel_size) * layer.dilation > kMaxKernelSpan) {
        fail(element_path(dilations_path, l), "kernel_size * dilation is more than " +
                                                  std::to_string(kMaxKernelSpan) +
                                                  " (a limit against malformed files)");
      }
      layer.activation = activations[l];
      layer.gating = gating[l];
      if (layer.gating != WaveNetGating::none) layer.secondary = secondary[l];
      array.layers.push_back(layer);
    }

    if (const Json* layer1x1 = optional(object, "layer1x1")) {
      const std::string place = member_path(path, "layer1x1");
      if (!layer1x1->is_object())
        fail(place, "expected an object {active, groups}, got " + describe(*layer1x1));
      check_keys(*layer1x1, place, {"active", "groups"}, "layer1x1");
      array.layer1x1 = read_bool(*layer1x1, place, "active", true);
      array.layer1x1_groups = read_int(*layer1x1, place, "groups", 1, kMaxSize, 1);
    }
    if (const Json* head1x1 = optional(object, "head1x1")) {
      const std::string place = member_path(path, "head1x1");
      if (!head1x1->is_object())
        fail(place, "expected an object {active, out_channels, groups}, got " + describe(*head1x1));
      check_keys(*head1x1, place, {"active", "out_channels", "groups"}, "head1x1");
      array.head1x1 = read_bool(*head1x1, place, "active", false);
      array.head1x1_out = read_int(*head1x1, place, "out_channels", 1, kMaxSize, array.channels);
      array.head1x1_groups = read_int(*head1x1, place, "groups", 1, kMaxSize, 1);
    }
    for (int site = 0; site < kWaveNetFilmSites; ++site) {
      const Json* film = optional(object, kFilmKeys[site]);
      if (!film || (film->is_boolean() && !film->get<bool>())) continue;
      const std::string place = member_path(path, kFilmKeys[site]);
      if (!film->is_object())
        fail(place, "expected false or an object {active, shift, groups}, got " + describe(*film));
      check_keys(*film, place, {"active", "shift", "groups"}, "a FiLM");
      array.film[site].active = read_bool(*film, place, "active", true);
      array.film[site].shift = read_bool(*film, place, "shift", true);
      array.film[site].groups = read_int(*film, place, "groups", 1, kMaxSize, 1);
    }
    return array;
  }

  // {"method": "slice_channels_uniform", "kwargs": {"allowed_channels": [...]}}: ascending counts, the last
  // the array's channels; without kwargs every count from 1 to channels (as Neural Amp Modeler reads it).
  std::vector<int> read_slimmable(const Json& slimmable, const std::string& path, int channels) const {
    if (!slimmable.is_object())
      fail(path, "expected null or an object {method, kwargs}, got " + describe(slimmable));
    check_keys(slimmable, path, {"method", "kwargs"}, "a slimmable layer array");
    const std::string method_path = member_path(path, "method");
    const std::string method = read_string(required(slimmable, path, "method"), method_path);
    if (method != "slice_channels_uniform") {
      fail(method_path, "unknown slimming method " + io::quoted(method) + " (known: slice_channels_uniform)");
    }
    std::vector<int> allowed;
    const Json* kwargs = optional(slimmable, "kwargs");
    if (!kwargs) {
      for (int c = 1; c <= channels; ++c) allowed.push_back(c);
      return allowed;
    }
    const std::string kwargs_path = member_path(path, "kwargs");
    if (!kwargs->is_object())
      fail(kwargs_path, "expected an object {allowed_channels}, got " + describe(*kwargs));
    check_keys(*kwargs, kwargs_path, {"allowed_channels"}, "slice_channels_uniform");
    const std::string place = member_path(kwargs_path, "allowed_channels");
    const Json& counts = read_array(required(*kwargs, kwargs_path, "allowed_channels"), place, 1, kMaxSize);
    for (std::size_t i = 0; i < counts.size(); ++i) {
      allowed.push_back(read_int(counts[i], element_path(place, i), 1, kMaxSize));
      if (i > 0 && allowed[i] <= allowed[i - 1])
        fail(element_path(place, i), "the allowed channel counts must ascend");
    }
    if (allowed.back() != channels) {
      fail(place, "the last allowed channel count (" + std::to_string(allowed.back()) +
                      ") must be the array's channels (" + std::to_string(channels) + ")");
    }
    return allowed;
  }

  // The head rechannel: {"head": {out_channels, kernel_size, bias}}, or the older head_size and head_bias.
  void read_head(const Json& object, const std::string& path, WaveNetLayerArray& array) const {
    if (const Json* head = optional(object, "head")) {
      const std::string place = member_path(path, "head");
      if (!head->is_object())
        fail(place, "expected an object {out_channels, kernel_size, bias}, got " + describe(*head));
      check_keys(*head, place, {"out_channels", "kernel_size", "bias"}, "a layer array's head");
      array.head_size = read_int(*head, place, "out_channels", 1, kMaxSize);
      array.head_kernel_size = read_int(*head, place, "kernel_size", 1, kMaxSize);
      array.head_bias = read_bool(*head, place, "bias", std::nullopt);
      return;
    }
    array.head_size = read_int(object, path, "head_size", 1, kMaxSize);
    array.head_bias = read_bool(object, path, "head_bias", std::nullopt);
  }

  std::vector<int> read_kernel_sizes(const Json& object, const std::string& path, std::size_t count) const {
    const Json* single = optional(object, "kernel_size");
    const Json* per_layer = optional(object, "kernel_sizes");
    if (single && per_layer)
      fail(member_path(path, "kernel_sizes"), "give kernel_size or kernel_sizes, not both");
    if (per_layer) {
      const std::string place = member_path(path, "kernel_sizes");
      read_array(*per_layer, place, count, count);
      std::vector<int> kernels;
      for (std::size_t l = 0; l < count; ++l)
        kernels.push_back(read_int((*per_layer)[l], element_path(place, l), 1, kMaxSize));
      return kernels;
    }
    if (!single) fail(member_path(path, "kernel_size"), "missing");
    return std::vector<int>(count, read_int(*single, member_path(path, "kernel_size"), 1, kMaxSize));
  }

  std::vector<WaveNetActivation> read_per_layer_activations(const Json& value, const std::string& path,
                                                            std::size_t count) const {
    if (!value.is_array()) return std::vector<WaveNetActivation>(count, read_activation(value, path));
    read_array(value, path, count, count);
    std::vector<WaveNetActivation> activations;
    for (std::size_t l = 0; l < count; ++l)
      activations.push_back(read_activation(value[l], element_path(path, l)));
    return activations;
  }

  std::vector<WaveNetGating> read_gating_modes(const Json& value, const std::string& path,
                                               std::size_t count) const {
    const auto mode = [&](const Json& entry, const std::string& place) {
      const std::string name = read_string(entry, place);
      if (name == "none") return WaveNetGating::none;
      if (name == "gated") return WaveNetGating::gated;
      if (name == "blended") return WaveNetGating::blended;
      fail(place, "unknown gating mode " + io::quoted(name) + " (known: none, gated, blended)");
    };
    if (!value.is_array()) return std::vector<WaveNetGating>(count, mode(value, path));
    read_array(value, path, count, count);
    std::vector<WaveNetGating> modes;
    for (std::size_t l = 0; l < count; ++l) modes.push_back(mode(value[l], element_path(path, l)));
    return modes;
  }

  // "Tanh", or {"type": "PReLU", "negative_slopes": [...]}.
  WaveNetActivation read_activation(const Json& value, const std::string& path) const {
    const Json* parameters = nullptr;
    std::string name;
    std::string name_path = path;
    if (value.is_string()) {
      name = value.get<std::string>();
    } else if (value.is_object()) {
      name_path = member_path(path, "type");
      name = read_string(required(value, path, "type"), name_path);
      parameters = &value;
    } else {
      fail(path, "expected an activation name or an object {\"type\": ...}, got " + describe(value));
    }
    WaveNetActivation activation;
    const auto check_parameters = [&](std::initializer_list<const char*> known) {
      if (parameters) check_keys(*parameters, path, known, "the activation " + name);
    };
    if (name == "Tanh") {
      activation.type = Type::tanh;
      check_parameters({"type"});
    } else if (name == "Hardtanh") {
      activation.type = Type::hard_tanh;
      check_parameters({"type"});
    } else if (name == "ReLU") {
      activation.type = Type::relu;
      check_parameters({"type"});
    } else if (name == "Sigmoid") {
      activation.type = Type::sigmoid;
      check_parameters({"type"});
    } else if (name == "SiLU") {
      activation.type = Type::silu;
      check_parameters({"type"});
    } else if (name == "Hardswish") {
      activation.type = Type::hardswish;
      check_parameters({"type"});
    } else if (name == "Softsign") {
      activation.type = Type::softsign;
      check_parameters({"type", "alpha"});
      if (parameters && read_float(*parameters, path, "alpha", 1.0f) != 1.0f) {
        fail(member_path(path, "alpha"), "a Softsign with alpha other than 1 is not supported");
      }
    } else if (name == "LeakyReLU") {
      activation.type = Type::leaky_relu;
      check_parameters({"type", "negative_slope"});
      if (parameters) activation.negative_slope = read_float(*parameters, path, "negative_slope", 0.01f);
    } else if (name == "PReLU") {
      activation.type = Type::prelu;
      check_parameters({"type", "negative_slope", "negative_slopes"});
      if (parameters) {
        activation.negative_slope = read_float(*parameters, path, "negative_slope", 0.01f);
        if (const Json* slopes = optional(*parameters, "negative_slopes");
            slopes && !parameters->contains("negative_slope")) {
          const std::string place = member_path(path, "negative_slopes");
          read_array(*slopes, place, 1, kMaxSize);
          for (std::size_t i = 0; i < slopes->size(); ++i) {
            activation.negative_slopes.push_back(read_float((*slopes)[i], element_path(place, i)));
          }
        }
      }
    } else if (name == "LeakyHardtanh" || name == "LeakyHardTanh") {
      activation.type = Type::leaky_hard_tanh;
      check_parameters({"type", "min_val", "max_val", "min_slope", "max_slope"});
      if (parameters) {
        activation.min_val = read_float(*parameters, path, "min_val", -1.0f);
        activation.max_val = read_float(*parameters, path, "max_val", 1.0f);
        activation.min_slope = read_float(*parameters, path, "min_slope", 0.01f);
        activation.max_slope = read_float(*parameters, path, "max_slope", 0.01f);
      }
    } else if (name == "Fasttanh") {
      fail(name_path, "\"Fasttanh\" (Neural Amp Modeler's approximation of tanh) is not supported");
    } else {
      fail(name_path,
           "unknown activation " + io::quoted(name) +
               " (known: Tanh, Hardtanh, ReLU, LeakyReLU, PReLU, Sigmoid, SiLU, Hardswish, LeakyHardtanh, "
               "Softsign)");
    }
    return activation;
  }

  // The post-stack head: {channels, out_channels, kernel_sizes, activation} (and in_channels, which must be
  // the last array's head_size: WaveNetSpec::validate() checks the chain).
  WaveNetPostHead read_post_head(const Json& head, const std::string& path) const {
    if (!head.is_object()) fail(path, "expected null or an object, got " + describe(head));
    if (!head.contains("kernel_sizes")) {
      fail(path,
           "this form of WaveNet head is not supported (rtn reads a head of {channels, out_channels, "
           "kernel_sizes, activation}, or null)");
    }
    check_keys(head, path, {"channels", "out_channels", "kernel_sizes", "activation", "in_channels"},
               "a WaveNet head");
    WaveNetPostHead result;
    result.channels = read_int(head, path, "channels", 1, kMaxSize);
    result.out_channels = read_int(head, path, "out_channels", 1, kMaxSize);
    const std::string place = member_path(path, "kernel_sizes");
    const Json& kernels = read_array(required(head, path, "kernel_sizes"), place, 1, kMaxLayersPerArray);
    for (std::size_t i = 0; i < kernels.size(); ++i)
      result.kernel_sizes.push_back(read_int(kernels[i], element_path(place, i), 1, kMaxSize));
    result.activation = read_activation(required(head, path, "activation"), member_path(path, "activation"));
    return result;
  }

  // ---------------------------------------------------------------------------------------------------
  // LSTM: per layer W = [W_ih | W_hh] ([4H][I + H], row-major, gates i, f, g, o), one bias b = b_ih + b_hh
  // ([4H]), then the initial h and c ([H] each); then the head, a Linear(H, 1): weight [H], bias.

  void read_lstm(const Json& config, const Json& weights, const std::string& document_path,
                 ModelDefinition& model) const {
    const std::string path = member_path(document_path, "config");
    const std::string weights_path = member_path(document_path, "weights");
    check_keys(config, path, {"input_size", "hidden_size", "num_layers"}, "an LSTM's config");
    const int input = read_int(config, path, "input_size", 1, kMaxSize);
    if (input != 1)
      fail(member_path(path, "input_size"),
           "Neural Amp Modeler's LSTM takes one input channel, got " + std::to_string(input));
    const int hidden = read_int(config, path, "hidden_size", 1, kMaxSize);
    const int layers = read_int(config, path, "num_layers", 1, kMaxRecurrentLayers);
    const std::size_t gates = 4 * static_cast<std::size_t>(hidden);
    std::size_t expected = hidden + 1;
    for (int l = 0; l < layers; ++l)
      expected += gates * ((l == 0 ? input : hidden) + hidden) + gates + 2 * hidden;
    check_count(weights, weights_path, expected);

    LayerDefinition lstm;
    lstm.spec = LayerSpec::lstm(input, hidden, layers, true);
    lstm.spec.initial_state = true;
    std::size_t cursor = 0;
    for (int l = 0; l < layers; ++l) {
      const int layer_in = l == 0 ? input : hidden;
      const std::string suffix = "_l" + std::to_string(l);
      const std::vector<float> combined = take(weights, weights_path, cursor, gates * (layer_in + hidden));
      std::vector<float> w_ih, w_hh;
      for (std::size_t row = 0; row < gates; ++row) {
        const auto start = combined.begin() + static_cast<std::ptrdiff_t>(row * (layer_in + hidden));
        w_ih.insert(w_ih.end(), start, start + layer_in);
        w_hh.insert(w_hh.end(), start + layer_in, start + layer_in + hidden);
      }
      lstm.weights["weight_ih" + suffix] = Tensor{{static_cast<int>(gates), layer_in}, std::move(w_ih)};
      lstm.weights["weight_hh" + suffix] = Tensor{{static_cast<int>(gates), hidden}, std::move(w_hh)};
      // One bias in the file; PyTorch's two sum to it.
      lstm.weights["bias_ih" + suffix] =
          Tensor{{static_cast<int>(gates)}, take(weights, weights_path, cursor, gates)};
      lstm.weights["bias_hh" + suffix] = Tensor{{static_cast<int>(gates)}, std::vector<float>(gates, 0.0f)};
      lstm.weights["initial_h" + suffix] = Tensor{{hidden}, take(weights, weights_path, cursor, hidden)};
      lstm.weights["initial_c" + suffix] = Tensor{{hidden}, take(weights, weights_path, cursor, hidden)};
    }
    LayerDefinition head;
    head.spec = LayerSpec::dense(hidden, 1, true);
    head.weights["weight"] = Tensor{{1, hidden}, take(weights, weights_path, cursor, hidden)};
    head.weights["bias"] = Tensor{{1}, take(weights, weights_path, cursor, 1)};
    model.layers.push_back(std::move(lstm));
    model.layers.push_back(std::move(head));
  }

  // ---------------------------------------------------------------------------------------------------
  // ConvNet: per dilation a block, Conv1d(kernel 2, the dilation; bias only without batchnorm), BatchNorm
  // (running_mean, running_var, weight, bias, eps: in that order), the activation; then a Linear(channels,
  // 1).

  void read_convnet(const Json& config, const Json& weights, const std::string& document_path,
                    ModelDefinition& model) const {
    const std::string path = member_path(document_path, "config");
    const std::string weights_path = member_path(document_path, "weights");
    check_keys(config, path, {"channels", "dilations", "batchnorm", "activation"}, "a ConvNet's config");
    const int channels = read_int(config, path, "channels", 1, kMaxSize);
    const bool batchnorm = read_bool(config, path, "batchnorm", std::nullopt);
    const std::string activation_path = member_path(path, "activation");
    const std::string activation = read_string(required(config, path, "activation"), activation_path);
    LayerKind kind = LayerKind::tanh;
    if (activation == "Tanh") {
      kind = LayerKind::tanh;
    } else if (activation == "ReLU") {
      kind = LayerKind::relu;
    } else if (activation == "Sigmoid") {
      kind = LayerKind::sigmoid;
    } else if (activation == "LeakyReLU") {
      kind = LayerKind::leaky_relu;  // Neural Amp Modeler's LeakyReLU by name has slope 0.01
    } else {
      fail(activation_path, io::quoted(activation) +
                                " is not supported in a ConvNet (rtn reads Tanh, ReLU, Sigmoid and "
                                "LeakyReLU there)");
    }
    const std::string dilations_path = member_path(path, "dilations");
    const Json& dilations =
        read_array(required(config, path, "dilations"), dilations_path, 1, kMaxLayersPerArray);
    std::size_t expected = channels + 1;
    for (std::size_t i = 0; i < dilations.size(); ++i) {
      expected += static_cast<std::size_t>(channels) * (i == 0 ? 1 : channels) * 2 +
                  (batchnorm ? 4 * channels + 1 : channels);
    }
    check_count(weights, weights_path, expected);

    std::size_t cursor = 0;
    long long history = 0;
    for (std::size_t i = 0; i < dilations.size(); ++i) {
      const int dilation =
          read_int(dilations[i], element_path(dilations_path, i), 1, static_cast<int>(kMaxKernelSpan / 2));
      const int in = i == 0 ? 1 : channels;
      history += static_cast<long long>(dilation) * 2 * in;
      if (history > kMaxHistoryFloats)
        fail(dilations_path,
             "the convolutions would keep too much history (a limit against malformed files)");
      LayerDefinition conv;
      conv.spec = LayerSpec::conv1d(in, channels, 2, dilation, 1, !batchnorm);
      conv.weights["weight"] =
          Tensor{{channels, in, 2},
                 take(weights, weights_path, cursor, static_cast<std::size_t>(channels) * in * 2)};
      if (!batchnorm)
        conv.weights["bias"] = Tensor{{channels}, take(weights, weights_path, cursor, channels)};
      model.layers.push_back(std::move(conv));
      if (batchnorm) {
        LayerDefinition norm;
        norm.weights["running_mean"] = Tensor{{channels}, take(weights, weights_path, cursor, channels)};
        norm.weights["running_var"] = Tensor{{channels}, take(weights, weights_path, cursor, channels)};
        norm.weights["weight"] = Tensor{{channels}, take(weights, weights_path, cursor, channels)};
        norm.weights["bias"] = Tensor{{channels}, take(weights, weights_path, cursor, channels)};
        const std::string eps_path = element_path(weights_path, cursor);
        const float eps = take(weights, weights_path, cursor, 1).front();
        if (!(eps >= 0.0f)) fail(eps_path, "a batchnorm eps must be >= 0, got " + std::to_string(eps));
        norm.spec = LayerSpec::batchnorm1d(channels, eps);
        for (float variance : norm.weights["running_var"].values) {
          if (!(variance + eps > 0.0f)) fail(weights_path, "a batchnorm running_var + eps must be positive");
        }
        model.layers.push_back(std::move(norm));
      }
      LayerDefinition activation_layer;
      activation_layer.spec = kind == LayerKind::leaky_relu ? LayerSpec::leaky_relu(channels, 0.01f)
                                                            : LayerSpec::activation(kind, channels);
      model.layers.push_back(std::move(activation_layer));
    }
    LayerDefinition head;
    head.spec = LayerSpec::dense(channels, 1, true);
    head.weights["weight"] = Tensor{{1, channels}, take(weights, weights_path, cursor, channels)};
    head.weights["bias"] = Tensor{{1}, take(weights, weights_path, cursor, 1)};
    model.layers.push_back(std::move(head));
  }

  // ---------------------------------------------------------------------------------------------------
  // Linear: an FIR filter of receptive_field taps (and a bias). NeuralAmpModelerCore multiplies weight k by
  // the input k samples ago (weights[0] by the newest sample); PyTorch's Conv1d (and NAM's trainer, whose
  // export flattens one) puts the newest sample last. We compute what the core computes, as its goldens do.

  void read_linear(const Json& config, const Json& weights, const std::string& document_path,
                   ModelDefinition& model) const {
    const std::string path = member_path(document_path, "config");
    const std::string weights_path = member_path(document_path, "weights");
    check_keys(config, path, {"receptive_field", "bias"}, "a Linear model's config");
    const int taps = read_int(config, path, "receptive_field", 1, static_cast<int>(kMaxKernelSpan));
    const bool bias = read_bool(config, path, "bias", std::nullopt);
    check_count(weights, weights_path, static_cast<std::size_t>(taps) + (bias ? 1 : 0));
    std::size_t cursor = 0;
    std::vector<float> newest_first = take(weights, weights_path, cursor, taps);
    LayerDefinition conv;
    conv.spec = LayerSpec::conv1d(1, 1, taps, 1, 1, bias);
    conv.weights["weight"] =
        Tensor{{1, 1, taps}, std::vector<float>(newest_first.rbegin(), newest_first.rend())};
    if (bias) conv.weights["bias"] = Tensor{{1}, take(weights, weights_path, cursor, 1)};
    model.layers.push_back(std::move(conv));
  }

  const std::string& source_;
  std::optional<double> sample_rate_;
};

}  // namespace

bool looks_like_nam(const nlohmann::json& root) noexcept {
  return root.is_object() && root.contains("architecture") && !root.contains("format");
}

void check_slimmable_size(const LoadOptions& options, const std::string& source) {
  const double size = options.slimmable_size;
  if (!(size >= 0.0 && size <= 1.0)) {
    throw Error(source + ": slimmable size: expected a number from 0 to 1, got " +
                (std::isfinite(size) ? Json(size).dump() : std::to_string(size)));
  }
}

ModelDefinition read_nam_model(const nlohmann::json& root, const std::string& source,
                               const LoadOptions& options) {
  check_slimmable_size(options, source);
  try {
    return NamReader(source).read(root, options.slimmable_size);
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Error(source + " (Neural Amp Modeler format): out of memory while reading the model");
  } catch (const std::exception& error) {
    // Not expected (the reader checks types before every access), but never let one escape as anything other
    // than rtn::Error.
    throw Error(source + " (Neural Amp Modeler format): cannot read the model: " + error.what());
  }
}

LayerSpec nam_wavenet_layer(const nlohmann::json& config, const std::string& source) {
  try {
    return NamReader(source).wavenet_layer(config);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    throw Error(source + " (Neural Amp Modeler format): cannot read the WaveNet config: " + error.what());
  }
}

LayerSpec parse_nam_wavenet_config(std::string_view config_json, const std::string& source_name) {
  return nam_wavenet_layer(io::parse_json_document(config_json, source_name), source_name);
}

ModelDefinition parse_nam(std::string_view text, const std::string& source_name, const LoadOptions& options) {
  check_slimmable_size(options, source_name);
  try {
    return read_nam_model(io::parse_json_document(text, source_name), source_name, options);
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Error(source_name + ": out of memory while reading the model");
  } catch (const std::exception& error) {
    throw Error(source_name + ": cannot read the Neural Amp Modeler model: " + error.what());
  }
}

}  // namespace rtn
