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
#include <variant>
#include <vector>

#include "io/formats.hpp"
#include "io/json_document.hpp"
#include "rtn/error.hpp"
#include "rtn/layer_descriptor.hpp"
#include "rtn/model_file.hpp"

namespace rtn {

namespace {

using namespace io;

constexpr int kFormatVersion = 1;
constexpr const char* kFormatName = "rtn";

// ---------------------------------------------------------------------------------------------------
// JSON tree -> ModelDefinition.

// The keys a layer type accepts besides "type" and "weights": its parameters, named as PyTorch's constructor
// arguments (rtn/layer_descriptor.hpp).
std::vector<std::string> layer_parameter_keys(const LayerDescriptor& descriptor) {
  std::vector<std::string> keys;
  for (const LayerParameter& parameter : descriptor.parameters) {
    if (!parameter.name.empty()) keys.push_back(parameter.name);
  }
  return keys;
}

// The parameter that gives the layer's input size: its name is where a chain of mismatched sizes is reported.
const LayerParameter& input_parameter(const LayerDescriptor& descriptor) {
  static const LayerParameter none = LayerParameter::integer("input_size", "", &LayerSpec::input_size);
  const LayerParameter* parameter = find_parameter(descriptor, &LayerSpec::input_size);
  return parameter ? *parameter : none;
}

// The kinds a v1 file can describe: a WaveNet's architecture comes only from a .nam file.
std::vector<std::string> layer_type_names() {
  std::vector<std::string> names;
  for (const LayerDescriptor* descriptor : layer_descriptors()) {
    if (descriptor->not_in_model_files.empty()) names.push_back(descriptor->name);
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
    LayerDefinition definition;
    definition.spec = read_layer_spec(layer, path, channels_in, true);
    check_chain(layer, path, index, definition.spec, channels_in, previous);
    check_cost(path, definition.spec);
    definition.weights = read_weights(layer, path, definition.spec);
    return definition;
  }

 public:
  // The layer's type and parameters, checked (validate()); its weights are read later.
  LayerSpec read_layer_spec(const Json& layer, const std::string& path, std::optional<int> channels_in,
                            bool with_weights) const {
    if (!layer.is_object()) fail(path, "expected an object describing a layer, got " + describe(layer));

    const auto type = layer.find("type");
    if (type == layer.end()) fail(path + ".type", "missing (expected one of: " + known_layer_types() + ")");
    if (!type->is_string()) {
      fail(path + ".type", "expected a string naming the layer type, got " + describe(*type));
    }
    const std::optional<LayerKind> kind = parse_layer_kind(type->get_ref<const std::string&>());
    if (!kind) {
      fail(path + ".type", "unknown layer type " + describe(*type) +
                               suggestion(type->get_ref<const std::string&>(), layer_type_names()) +
                               " (known: " + known_layer_types() + ")");
    }
    const LayerDescriptor& descriptor = layer_descriptor(*kind);
    if (!descriptor.not_in_model_files.empty()) fail(path + ".type", descriptor.not_in_model_files);

    std::vector<std::string> allowed = {"type"};
    const std::vector<std::string> parameters = layer_parameter_keys(descriptor);
    allowed.insert(allowed.end(), parameters.begin(), parameters.end());
    if (with_weights) allowed.emplace_back("weights");
    check_keys(layer, path, allowed, descriptor.name);

    LayerSpec spec = read_spec(layer, path, descriptor, channels_in);  // not const: returned by move
    if (const std::string problem = spec.validate(); !problem.empty()) fail(path, problem);
    return spec;
  }

 private:
  // Each parameter the kind reads from files, in the descriptor's order; an absent one takes LayerSpec's
  // default (an activation's channels: what it receives).
  LayerSpec read_spec(const Json& layer, const std::string& path, const LayerDescriptor& descriptor,
                      std::optional<int> channels_in) const {
    LayerSpec spec;
    spec.kind = descriptor.kind;
    for (const LayerParameter& parameter : descriptor.parameters) {
      if (parameter.name.empty()) continue;
      const std::string& key = parameter.name;
      if (const auto field = std::get_if<int LayerSpec::*>(&parameter.field)) {
        std::optional<int> fallback;
        if (parameter.defaults_to_input) {
          fallback = channels_in;
        } else if (!parameter.required) {
          fallback = spec.**field;
        }
        spec.**field = read_int(layer, path, key, fallback, parameter.min, parameter.max);
      } else if (const auto flag = std::get_if<bool LayerSpec::*>(&parameter.field)) {
        spec.**flag = read_bool(layer, path, key, spec.**flag);
      } else if (const auto number = std::get_if<float LayerSpec::*>(&parameter.field)) {
        spec.**number = read_float(layer, path, key, spec.**number, parameter.non_negative);
      }
    }
    if (descriptor.keeps_size) spec.output_size = spec.input_size;
    if (descriptor.frame_sizes) descriptor.frame_sizes(spec);
    if (descriptor.file_limit) {
      const auto [key, problem] = descriptor.file_limit(spec);
      if (!problem.empty()) fail(path + "." + key, problem);
    }
    return spec;
  }

  // The layer's input size must be what the previous layer (or the model input) gives.
  void check_chain(const Json& layer, const std::string& path, std::size_t index, const LayerSpec& spec,
                   int channels_in, const std::vector<LayerDefinition>& previous) const {
    if (spec.input_size == channels_in) return;
    const std::string source = index == 0 ? "the model's input_channels is " + std::to_string(channels_in)
                                          : layer_name(index - 1, previous.back().spec.kind) + " outputs " +
                                                std::to_string(channels_in);
    if (!find_parameter(layer_descriptor(spec.kind), &LayerSpec::input_size)) {
      // No parameter is the input size: the frame is a grid of several (conv2d: features x channels).
      fail(path, std::string(layer_kind_name(spec.kind)) + " takes frames of " + std::to_string(spec.input_size) +
                     " floats, but " + source);
    }
    const LayerParameter& input = input_parameter(layer_descriptor(spec.kind));
    const std::string& key = input.name;
    if (input.defaults_to_input) fail(path + "." + key, "is " + layer.at(key).dump() + ", but " + source);
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
    // Arrays the formats that models are exported from carry, which the layer does not use (BatchNorm1d's
    // training counter): accepting them keeps exporters trivial.
    for (const std::string& ignored : layer_descriptor(spec.kind).ignored_weights) weights.erase(ignored);
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

LayerSpec parse_layer_json(std::string_view text, const std::string& source, const std::string& path,
                           std::optional<int> channels_in) {
  const Json layer = parse_json_document(text, source);
  return ModelReader(source).read_layer_spec(layer, path, channels_in, false);
}

}  // namespace rtn
