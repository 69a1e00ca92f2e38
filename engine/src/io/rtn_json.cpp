// The reader of rtn's own JSON model format, v1 (docs/model-format.md, docs/rtn-model.schema.json).
//
// io/json_document.cpp has parsed the text into a tree, rejecting what nlohmann would otherwise accept
// silently (duplicate keys, absurd nesting); this validating pass turns the tree into a ModelDefinition.
// Every error is an rtn::Error whose message reads "<source>: <path>: <what was expected>, got <what was
// found>".
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/formats.hpp"
#include "io/json_document.hpp"
#include "rtn/error.hpp"

namespace rtn {

namespace {

using namespace io;

constexpr int kFormatVersion = 1;
constexpr const char* kFormatName = "rtn";

// ---------------------------------------------------------------------------------------------------
// JSON tree -> ModelDefinition.

// The keys each layer type accepts besides "type" and "weights", named as PyTorch's constructor
// arguments. The first entry of a non-activation layer is the key of its input size.
std::vector<std::string> layer_parameter_keys(LayerKind kind) {
  switch (kind) {
    case LayerKind::dense:
      return {"in_features", "out_features", "bias"};
    case LayerKind::conv1d:
      return {"in_channels", "out_channels", "kernel_size", "dilation", "groups", "bias"};
    case LayerKind::gru:
      return {"input_size", "hidden_size", "num_layers", "bias", "reset_after"};
    case LayerKind::lstm:
      return {"input_size", "hidden_size", "num_layers", "bias"};
    case LayerKind::batchnorm1d:
      return {"num_features", "eps"};
    case LayerKind::elu:
      return {"channels", "alpha"};
    case LayerKind::leaky_relu:
      return {"channels", "negative_slope"};
    case LayerKind::prelu:
      return {"channels", "num_parameters"};
    default:
      return {"channels"};
  }
}

// The kinds a v1 file can describe: a WaveNet's architecture comes only from a .nam file.
std::vector<std::string> layer_type_names() {
  std::vector<std::string> names;
  for (LayerKind kind : all_layer_kinds()) {
    if (kind != LayerKind::wavenet) names.emplace_back(layer_kind_name(kind));
  }
  return names;
}

std::string known_layer_types() { return join(layer_type_names()); }

// "layers[1] (lstm)"
std::string layer_name(std::size_t index, LayerKind kind) {
  return "layers[" + std::to_string(index) + "] (" + std::string(layer_kind_name(kind)) + ")";
}

class ModelReader {
 public:
  explicit ModelReader(const std::string& source) : source_(source) {}

  ModelDefinition read(const Json& root) {
    if (!root.is_object()) fail("", "expected a JSON object at the top level, got " + describe(root));
    check_format(root);
    check_keys(root, "",
               {"format", "version", "name", "sample_rate", "input_channels", "output_channels", "input_skip",
                "layers", "metadata"},
               "the top level");

    ModelDefinition model;
    model.name = read_name(root);
    model.sample_rate = read_sample_rate(root);
    model.sample_rate_known = root.contains("sample_rate");
    model.input_channels = read_int(root, "", "input_channels", std::nullopt, 1, kMaxSize);
    model.output_channels = read_int(root, "", "output_channels", std::nullopt, 1, kMaxSize);
    model.input_skip = read_bool(root, "", "input_skip", false);
    if (const auto metadata = root.find("metadata"); metadata != root.end() && !metadata->is_object()) {
      fail("metadata", "expected an object (free-form, ignored by rtn), got " + describe(*metadata));
    }

    const Json* layers = &read_layers_array(root, source_ + ": ");

    int channels = model.input_channels;
    for (std::size_t index = 0; index < layers->size(); ++index) {
      model.layers.push_back(read_layer((*layers)[index], index, channels, model.layers));
      channels = model.layers.back().spec.output_size;
    }

    const LayerSpec& last = model.layers.back().spec;
    if (model.output_channels != last.output_size) {
      fail("output_channels", "is " + std::to_string(model.output_channels) + ", but the last layer, " +
                                  layer_name(model.layers.size() - 1, last.kind) + ", outputs " +
                                  std::to_string(last.output_size));
    }
    if (model.input_skip && model.input_channels != model.output_channels) {
      fail("input_skip", "adds the input to the output, so input_channels (" +
                             std::to_string(model.input_channels) + ") must equal output_channels (" +
                             std::to_string(model.output_channels) + ")");
    }
    return model;
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw Error(source_ + ": " + (path.empty() ? "" : path + ": ") + what);
  }

  void check_format(const Json& root) const {
    const auto format = root.find("format");
    if (format == root.end()) {
      // RTNeural, AIDA-X, GuitarML and NAM documents never get here: model_file.cpp recognises them.
      fail("format", std::string("missing (expected \"") + kFormatName + "\")");
    }
    if (!format->is_string() || format->get_ref<const std::string&>() != kFormatName) {
      fail("format", std::string("expected \"") + kFormatName + "\", got " + describe(*format));
    }
    const auto version = root.find("version");
    if (version == root.end()) fail("version", "missing (expected " + std::to_string(kFormatVersion) + ")");
    const std::optional<long long> number = integer_value(*version);
    if (number && *number > kFormatVersion) {
      fail("version", "written by a newer rtn (format version " + version->dump() +
                          "); this build reads version " + std::to_string(kFormatVersion));
    }
    if (number != kFormatVersion) {
      fail("version", "expected " + std::to_string(kFormatVersion) + ", got " + describe(*version));
    }
  }

  // Every key of `object` must be in `allowed`: a misspelt option must not be silently ignored.
  void check_keys(const Json& object, const std::string& path, const std::vector<std::string>& allowed,
                  const std::string& where) const {
    for (const auto& item : object.items()) {
      if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
        fail(member_path(path, item.key()), "unknown key in " + where + suggestion(item.key(), allowed) +
                                                " (allowed: " + join(allowed) + ")");
      }
    }
  }

  std::string read_name(const Json& root) const {
    const auto name = root.find("name");
    if (name == root.end()) {
      // The file name without directory and extension.
      return std::filesystem::path(source_).stem().string();
    }
    if (!name->is_string()) fail("name", "expected a string, got " + describe(*name));
    return name->get<std::string>();
  }

  double read_sample_rate(const Json& root) const {
    const auto rate = root.find("sample_rate");
    if (rate == root.end()) return 48000.0;
    if (!rate->is_number() || !(rate->get<double>() > 0)) {
      fail("sample_rate", "expected a number > 0 (Hz), got " + describe(*rate));
    }
    return rate->get<double>();
  }

  // An integer in [min, max]; `fallback` when the key is absent (or an error if there is none).
  int read_int(const Json& object, const std::string& path, const std::string& key,
               std::optional<int> fallback, int min, int max) const {
    const std::string place = member_path(path, key);
    const std::string expected = "expected an integer >= " + std::to_string(min);
    const auto found = object.find(key);
    if (found == object.end()) {
      if (fallback) return *fallback;
      fail(place, "missing (" + expected + ")");
    }
    const std::optional<long long> value = integer_value(*found);
    if (!value || *value < min) fail(place, expected + ", got " + describe(*found));
    if (*value > max) too_large(place, *found, max);
    return static_cast<int>(*value);
  }

  [[noreturn]] void too_large(const std::string& place, const Json& value, int max) const {
    fail(place, "must be at most " + std::to_string(max) + " (a limit against malformed files), got " +
                    describe(value));
  }

  bool read_bool(const Json& object, const std::string& path, const std::string& key, bool fallback) const {
    const auto found = object.find(key);
    if (found == object.end()) return fallback;
    if (!found->is_boolean()) fail(member_path(path, key), "expected true or false, got " + describe(*found));
    return found->get<bool>();
  }

  // A finite number that fits a float; `non_negative` for eps.
  float read_float(const Json& object, const std::string& path, const std::string& key, float fallback,
                   bool non_negative) const {
    const auto found = object.find(key);
    if (found == object.end()) return fallback;
    const std::string expected = non_negative ? "expected a number >= 0" : "expected a number";
    if (!found->is_number()) fail(member_path(path, key), expected + ", got " + describe(*found));
    const double value = found->get<double>();
    if (!(std::fabs(value) <= FLT_MAX)) {
      fail(member_path(path, key), expected + " in the range of a float, got " + describe(*found));
    }
    if (non_negative && value < 0) fail(member_path(path, key), expected + ", got " + describe(*found));
    return static_cast<float>(value);
  }

  LayerDefinition read_layer(const Json& layer, std::size_t index, int channels_in,
                             const std::vector<LayerDefinition>& previous) {
    const std::string path = element_path("layers", index);
    if (!layer.is_object()) fail(path, "expected an object describing a layer, got " + describe(layer));

    const auto type = layer.find("type");
    if (type == layer.end()) fail(path + ".type", "missing (expected one of: " + known_layer_types() + ")");
    if (!type->is_string()) {
      fail(path + ".type", "expected a string naming the layer type, got " + describe(*type));
    }
    const std::optional<LayerKind> kind = parse_layer_kind(type->get_ref<const std::string&>());
    if (kind == LayerKind::wavenet) {
      fail(path + ".type", "a wavenet cannot be described in rtn JSON v1; load the Neural Amp Modeler .nam file itself");
    }
    if (!kind) {
      fail(path + ".type", "unknown layer type " + describe(*type) +
                               suggestion(type->get_ref<const std::string&>(), layer_type_names()) +
                               " (known: " + known_layer_types() + ")");
    }

    std::vector<std::string> allowed = {"type"};
    const std::vector<std::string> parameters = layer_parameter_keys(*kind);
    allowed.insert(allowed.end(), parameters.begin(), parameters.end());
    allowed.push_back("weights");
    check_keys(layer, path, allowed, std::string(layer_kind_name(*kind)));

    LayerDefinition definition;
    definition.spec = read_spec(layer, path, *kind, channels_in);
    if (const std::string problem = definition.spec.validate(); !problem.empty()) fail(path, problem);
    check_chain(layer, path, index, definition.spec, channels_in, previous);
    check_cost(path, definition.spec);
    definition.weights = read_weights(layer, path, definition.spec);
    return definition;
  }

  LayerSpec read_spec(const Json& layer, const std::string& path, LayerKind kind, int channels_in) const {
    const auto size = [&](const char* key, std::optional<int> fallback = std::nullopt) {
      return read_int(layer, path, key, fallback, 1, kMaxSize);
    };
    switch (kind) {
      case LayerKind::dense:
        return LayerSpec::dense(size("in_features"), size("out_features"),
                                read_bool(layer, path, "bias", true));
      case LayerKind::conv1d: {
        const int in = size("in_channels"), out = size("out_channels"), kernel_size = size("kernel_size");
        const int dilation = read_int(layer, path, "dilation", 1, 1, static_cast<int>(kMaxKernelSpan));
        const int groups = size("groups", 1);
        if (static_cast<long long>(kernel_size) * dilation > kMaxKernelSpan) {
          fail(path + ".dilation", "kernel_size * dilation is " + std::to_string(kernel_size) + " * " +
                                       std::to_string(dilation) + ", more than the limit of " +
                                       std::to_string(kMaxKernelSpan) + " (a limit against malformed files)");
        }
        return LayerSpec::conv1d(in, out, kernel_size, dilation, groups,
                                 read_bool(layer, path, "bias", true));
      }
      case LayerKind::gru:
      case LayerKind::lstm: {
        const int in = size("input_size"), hidden = size("hidden_size");
        const int num_layers = read_int(layer, path, "num_layers", 1, 1, kMaxRecurrentLayers);
        const bool bias = read_bool(layer, path, "bias", true);
        if (kind == LayerKind::lstm) return LayerSpec::lstm(in, hidden, num_layers, bias);
        LayerSpec spec = LayerSpec::gru(in, hidden, num_layers, bias);
        spec.reset_after = read_bool(layer, path, "reset_after", true);
        return spec;
      }
      case LayerKind::batchnorm1d:
        return LayerSpec::batchnorm1d(size("num_features"), read_float(layer, path, "eps", 1e-5f, true));
      default:
        break;
    }
    // Activations: as many channels as they receive; "channels" may state it (check_chain compares).
    const int channels = size("channels", channels_in);
    switch (kind) {
      case LayerKind::elu:
        return LayerSpec::elu(channels, read_float(layer, path, "alpha", 1.0f, false));
      case LayerKind::leaky_relu:
        return LayerSpec::leaky_relu(channels, read_float(layer, path, "negative_slope", 0.01f, false));
      case LayerKind::prelu:
        return LayerSpec::prelu(channels, size("num_parameters", 1));
      default:
        return LayerSpec::activation(kind, channels);
    }
  }

  // The layer's input size must be what the previous layer (or the model input) gives.
  void check_chain(const Json& layer, const std::string& path, std::size_t index, const LayerSpec& spec,
                   int channels_in, const std::vector<LayerDefinition>& previous) const {
    if (spec.input_size == channels_in) return;
    const std::string source = index == 0 ? "the model's input_channels is " + std::to_string(channels_in)
                                          : layer_name(index - 1, previous.back().spec.kind) + " outputs " +
                                                std::to_string(channels_in);
    if (is_activation(spec.kind)) {
      fail(path + ".channels", "is " + layer.at("channels").dump() + ", but " + source);
    }
    const std::string key = layer_parameter_keys(spec.kind).front();
    fail(path + "." + key, std::string(layer_kind_name(spec.kind)) + " takes " +
                               std::to_string(spec.input_size) + " input channels, but " + source);
  }

  // Bounds what building the model will allocate, before any weight array is read.
  void check_cost(const std::string& path, const LayerSpec& spec) {
    total_weights_ += spec.parameter_count();
    if (total_weights_ > kMaxTotalWeights) {
      fail(path, "the model would hold more than " + std::to_string(kMaxTotalWeights) +
                     " weights (a limit against malformed files)");
    }
    conv_history_floats_ += static_cast<std::size_t>(spec.history_frames()) * spec.input_size;
    if (conv_history_floats_ > kMaxConvHistoryFloats) {
      fail(path, "the convolutions would keep more than " + std::to_string(kMaxConvHistoryFloats) +
                     " floats of history (a limit against malformed files)");
    }
  }

  Weights read_weights(const Json& layer, const std::string& path, const LayerSpec& spec) const {
    Weights weights;
    const std::string weights_path = path + ".weights";
    const auto found = layer.find("weights");
    if (found != layer.end()) {
      if (!found->is_object()) {
        fail(weights_path, "expected an object of named weight arrays, got " + describe(*found));
      }
      for (const auto& item : found->items()) {
        weights[item.key()] =
            read_weight_tensor(item.value(), member_path(weights_path, item.key()), source_ + ": ");
      }
    }
    // PyTorch's BatchNorm1d state_dict has this training counter; accepting it keeps exporters trivial.
    if (spec.kind == LayerKind::batchnorm1d) weights.erase("num_batches_tracked");
    try {
      check_weights(spec, weights);
    } catch (const Error& error) {
      // check_weights names the array ("weights.weight: expected 4x3, got 4x2"); we add where it is.
      fail("", path + "." + error.what());
    }
    return weights;
  }

  const std::string& source_;
  std::size_t total_weights_ = 0;
  std::size_t conv_history_floats_ = 0;
};

}  // namespace

ModelDefinition read_rtn_model(const io::Json& root, const std::string& source) {
  return ModelReader(source).read(root);
}

}  // namespace rtn
