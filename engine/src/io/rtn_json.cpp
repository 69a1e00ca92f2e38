// The loader of rtn's own JSON model format, v1 (docs/model-format.md, docs/rtn-model.schema.json).
//
// Two passes: a SAX pass builds the JSON tree and rejects what nlohmann would otherwise accept
// silently (duplicate keys, absurd nesting); then a validating pass turns the tree into a
// ModelDefinition. Every error is an rtn::Error whose message reads
// "<source>: <path>: <what was expected>, got <what was found>".
#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtn/error.hpp"
#include "rtn/model_file.hpp"

namespace rtn {

namespace {

using Json = nlohmann::json;

constexpr int kFormatVersion = 1;
constexpr const char* kFormatName = "rtn";

// Limits that keep a hostile or corrupt file from making us allocate without bound: they are far
// above any real audio model.
// Channels, features, hidden sizes, kernel size, groups. Audio models use tens; 4096 keeps the scratch a
// model prepares (3 x 4096 frames x widest layer) under 200 MB even for a hostile file.
constexpr int kMaxSize = 4096;
constexpr long long kMaxKernelSpan = 1 << 20;  // kernel_size * dilation of one conv1d
constexpr int kMaxRecurrentLayers = 64;        // num_layers of a gru/lstm
constexpr std::size_t kMaxLayers = 65536;
constexpr std::size_t kMaxTotalWeights = std::size_t{1} << 28;       // floats over the whole model
constexpr std::size_t kMaxConvHistoryFloats = std::size_t{1} << 26;  // conv1d state over the whole model
constexpr std::size_t kMaxWeightDimensions = 3;
constexpr std::size_t kMaxNesting = 64;  // JSON arrays/objects inside each other, anywhere
constexpr std::size_t kMaxShownText = 40;

// ---------------------------------------------------------------------------------------------------
// Paths and value descriptions for messages.

bool is_plain_key(const std::string& key) {
  if (key.empty() || key.size() > kMaxShownText) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A JSON string as it would be written, shortened for messages.
std::string quoted(const std::string& text) {
  std::string shown = text.size() > kMaxShownText ? text.substr(0, kMaxShownText) : text;
  // The parser has checked the UTF-8, but a cut may split a character: replace rather than throw.
  std::string result = Json(shown).dump(-1, ' ', false, Json::error_handler_t::replace);
  if (shown.size() < text.size()) result.insert(result.size() - 1, "...");
  return result;
}

// Keys are shown bare when they look like identifiers, quoted otherwise (spaces, dots, very long).
std::string key_text(const std::string& key) { return is_plain_key(key) ? key : quoted(key); }

std::string member_path(const std::string& path, const std::string& key) {
  return path.empty() ? key_text(key) : path + "." + key_text(key);
}

std::string element_path(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// What was found, for "expected X, got Y": scalars as written, containers by kind.
std::string describe(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return quoted(value.get_ref<const std::string&>());
    default:
      return value.dump();
  }
}

// The value of an integer, also when written as 3.0 or 1e3 (JSON Schema's "integer" allows those too);
// nullopt for anything else. Huge magnitudes saturate, which every range check then refuses.
std::optional<long long> integer_value(const Json& value) {
  constexpr long long kHuge = 1LL << 62;
  if (value.is_number_unsigned()) {
    return static_cast<long long>(std::min<unsigned long long>(value.get<unsigned long long>(), kHuge));
  }
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (number != std::floor(number)) return std::nullopt;
    return static_cast<long long>(
        std::clamp(number, -static_cast<double>(kHuge), static_cast<double>(kHuge)));
  }
  return std::nullopt;
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean "hidden_size"?)" when a known name is a small typo away.
std::string suggestion(const std::string& unknown, const std::vector<std::string>& known) {
  if (unknown.size() > 64) return "";
  std::size_t best_distance = 3;
  const std::string* best = nullptr;
  for (const std::string& name : known) {
    const std::size_t distance = edit_distance(unknown, name);
    if (distance < best_distance) {
      best_distance = distance;
      best = &name;
    }
  }
  return best ? " (did you mean \"" + *best + "\"?)" : "";
}

// ---------------------------------------------------------------------------------------------------
// Pass 1: text -> JSON tree.

// Builds the tree like nlohmann's own DOM parser, and also rejects a key that appears twice in one
// object (nlohmann keeps the last silently, which would hide a typo or an exporter bug) and nesting
// deeper than kMaxNesting.
class TreeBuilder final : public nlohmann::json_sax<Json> {
 public:
  TreeBuilder(Json& root, const std::string& source) : root_(root), source_(source) {}

  bool null() override { return add(Json(nullptr)); }
  bool boolean(bool value) override { return add(Json(value)); }
  bool number_integer(number_integer_t value) override { return add(Json(value)); }
  bool number_unsigned(number_unsigned_t value) override { return add(Json(value)); }
  // nlohmann itself refuses a number that overflows a double ("number overflow parsing '1e400'").
  bool number_float(number_float_t value, const string_t&) override { return add(Json(value)); }
  bool string(string_t& value) override { return add(Json(std::move(value))); }
  bool binary(binary_t& value) override { return add(Json(std::move(value))); }

  bool start_object(std::size_t) override { return open(Json::object()); }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }

  bool key(string_t& key) override {
    const Json& object = *containers_.back();
    if (object.find(key) != object.end()) {
      keys_.back() = key;
      fail(pending_path(), "duplicate key (a key may appear only once in an object)");
    }
    keys_.back() = std::move(key);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&, const Json::exception& error) override {
    parse_error_ = error.what();
    parse_error_position_ = position;
    return false;
  }

  const std::string& parse_error_message() const { return parse_error_; }
  // Bytes read when the parser gave up.
  std::size_t parse_error_position() const { return parse_error_position_; }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw Error(source_ + ": " + (path.empty() ? "" : path + ": ") + what);
  }

  // The path of the value about to be added.
  std::string pending_path() const {
    std::string path;
    for (std::size_t level = 0; level < containers_.size(); ++level) {
      const Json& container = *containers_[level];
      if (container.is_object()) {
        path = member_path(path, keys_[level]);
      } else {
        // A container below the top is the last element of its parent; at the top, the next one.
        const bool top = level + 1 == containers_.size();
        path = element_path(path, container.size() - (top ? 0 : 1));
      }
    }
    return path;
  }

  bool add(Json&& value) {
    insert(std::move(value));
    return true;
  }

  Json* insert(Json&& value) {
    if (containers_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *containers_.back();
    if (parent.is_array()) {
      auto& elements = parent.get_ref<Json::array_t&>();
      elements.push_back(std::move(value));
      return &elements.back();
    }
    Json& slot = parent[keys_.back()];
    slot = std::move(value);
    return &slot;
  }

  bool open(Json&& container) {
    if (containers_.size() >= kMaxNesting) {
      fail(pending_path(),
           "arrays and objects nested deeper than " + std::to_string(kMaxNesting) + " levels");
    }
    Json* added = insert(std::move(container));
    containers_.push_back(added);
    keys_.emplace_back();
    return true;
  }

  bool close() {
    containers_.pop_back();
    keys_.pop_back();
    return true;
  }

  Json& root_;
  const std::string& source_;
  std::vector<Json*> containers_;  // the open arrays and objects, outermost first
  std::vector<std::string> keys_;  // per open container: the key of the member being read (objects)
  std::string parse_error_;
  std::size_t parse_error_position_ = 0;
};

// "line 3, column 5" of the byte offset, counted as nlohmann counts (column = bytes since the newline).
std::string text_position(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + offset, '\n'));
  const std::size_t line_start = text.rfind('\n', offset == 0 ? 0 : offset - 1);
  const std::size_t column =
      line_start == std::string_view::npos || offset == 0 ? offset : offset - line_start - 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// True when the token the parser stopped at starts like NaN or Infinity.
bool stopped_at_nan_or_infinity(const std::string& detail) {
  const std::string lead = "last read: '";
  const std::size_t start = detail.find(lead);
  if (start == std::string::npos) return false;
  std::size_t end = detail.find("'; expected", start);
  if (end == std::string::npos) end = detail.rfind('\'');
  if (end == std::string::npos || end <= start + lead.size()) return false;
  const char last = detail[end - 1];
  return last == 'N' || last == 'I';
}

// nlohmann says "[json.exception.parse_error.101] parse error at line 3, column 5: syntax error ...";
// we say "not valid JSON: syntax error ... at line 3, column 5". Some of its errors give no position
// ("number overflow parsing '1e400'"): then we work it out from the byte offset.
std::string describe_parse_error(const std::string& what, std::string_view text, std::size_t offset) {
  std::string detail = what;
  if (detail.rfind("[json.exception.", 0) == 0) {
    const std::size_t end = detail.find("] ");
    if (end != std::string::npos) detail.erase(0, end + 2);
  }
  std::string position;
  const std::string lead = "parse error at ";
  if (detail.rfind(lead, 0) == 0) {
    const std::size_t colon = detail.find(": ", lead.size());
    if (colon != std::string::npos) {
      position = detail.substr(lead.size(), colon - lead.size());
      detail.erase(0, colon + 2);
    }
  } else if (detail.rfind("parse error: ", 0) == 0) {
    detail.erase(0, std::strlen("parse error: "));
  }
  // A long "last read" token (a cut-off string, say) would bury the position.
  if (detail.size() > 300) detail = detail.substr(0, 300) + "...";
  // nlohmann shows control characters as <U+000A> but passes other bytes through, broken UTF-8 included.
  for (char& c : detail) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  if (position.empty()) position = text_position(text, offset);
  std::string message = "not valid JSON: " + detail + " at " + position;
  // Python's json.dump writes NaN and Infinity, which are not JSON.
  if (stopped_at_nan_or_infinity(detail)) {
    message += " (JSON has no NaN or Infinity, and weights must be finite)";
  }
  return message;
}

// ---------------------------------------------------------------------------------------------------
// Pass 2: JSON tree -> ModelDefinition.

// The keys each layer type accepts besides "type" and "weights", named as PyTorch's constructor
// arguments. The first entry of a non-activation layer is the key of its input size.
std::vector<std::string> layer_parameter_keys(LayerKind kind) {
  switch (kind) {
    case LayerKind::dense:
      return {"in_features", "out_features", "bias"};
    case LayerKind::conv1d:
      return {"in_channels", "out_channels", "kernel_size", "dilation", "groups", "bias"};
    case LayerKind::gru:
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

std::string known_layer_types() {
  std::vector<std::string> names;
  for (LayerKind kind : all_layer_kinds()) names.emplace_back(layer_kind_name(kind));
  return join(names);
}

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
    model.input_channels = read_int(root, "", "input_channels", std::nullopt, 1, kMaxSize);
    model.output_channels = read_int(root, "", "output_channels", std::nullopt, 1, kMaxSize);
    model.input_skip = read_bool(root, "", "input_skip", false);
    if (const auto metadata = root.find("metadata"); metadata != root.end() && !metadata->is_object()) {
      fail("metadata", "expected an object (free-form, ignored by rtn), got " + describe(*metadata));
    }

    const auto layers = root.find("layers");
    if (layers == root.end()) fail("layers", "missing (expected an array of layers)");
    if (!layers->is_array()) fail("layers", "expected an array of layers, got " + describe(*layers));
    if (layers->empty()) fail("layers", "a model needs at least one layer, got an empty array");
    if (layers->size() > kMaxLayers) {
      fail("layers", "a model may have at most " + std::to_string(kMaxLayers) + " layers, got " +
                         std::to_string(layers->size()));
    }

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
      std::string hint;
      if (root.contains("in_shape")) hint = " (this looks like an RTNeural model file)";
      if (root.contains("architecture")) hint = " (this looks like a Neural Amp Modeler file)";
      if (root.contains("state_dict")) hint = " (this looks like a GuitarML state-dict file)";
      fail("format", std::string("missing (expected \"") + kFormatName + "\")" + hint);
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
    if (!kind) {
      std::vector<std::string> names;
      for (LayerKind known : all_layer_kinds()) names.emplace_back(layer_kind_name(known));
      fail(path + ".type", "unknown layer type " + describe(*type) +
                               suggestion(type->get_ref<const std::string&>(), names) +
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
        return kind == LayerKind::gru ? LayerSpec::gru(in, hidden, num_layers, bias)
                                      : LayerSpec::lstm(in, hidden, num_layers, bias);
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
        weights[item.key()] = read_tensor(item.value(), member_path(weights_path, item.key()));
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

  // A number, or arrays nested up to kMaxWeightDimensions deep whose lengths give the shape.
  Tensor read_tensor(const Json& value, const std::string& path) const {
    Tensor tensor;
    std::size_t count = 1;
    for (const Json* level = &value; level->is_array(); level = &level->front()) {
      if (tensor.shape.size() == kMaxWeightDimensions) {
        fail(path, "arrays nested deeper than " + std::to_string(kMaxWeightDimensions) +
                       " levels (a weight has at most " + std::to_string(kMaxWeightDimensions) +
                       " dimensions)");
      }
      // Both factors are <= kMaxTotalWeights (2^28) here, so the product cannot overflow.
      if (level->size() > kMaxTotalWeights || (count *= level->size()) > kMaxTotalWeights) {
        fail(path,
             "more than " + std::to_string(kMaxTotalWeights) + " values (a limit against malformed files)");
      }
      tensor.shape.push_back(static_cast<int>(level->size()));
      if (level->empty()) break;
    }
    tensor.values.reserve(count);
    std::size_t index[kMaxWeightDimensions] = {};
    read_values(value, 0, index, path, tensor);
    return tensor;
  }

  // Checks that every array at depth `depth` has the length of the first one (no ragged rows) and
  // appends the numbers in row-major order. Recursion is bounded by kMaxWeightDimensions.
  void read_values(const Json& value, std::size_t depth, std::size_t* index, const std::string& path,
                   Tensor& tensor) const {
    if (depth == tensor.shape.size()) {
      if (!value.is_number()) {
        fail(indexed_path(path, index, depth), "expected a number, got " + describe(value));
      }
      const double number = value.get<double>();
      if (!(std::fabs(number) <= FLT_MAX)) {
        const std::string problem = " is outside the range of a float (weights must be finite floats)";
        fail(indexed_path(path, index, depth), value.dump() + problem);
      }
      tensor.values.push_back(static_cast<float>(number));
      return;
    }
    const std::size_t length = static_cast<std::size_t>(tensor.shape[depth]);
    if (!value.is_array() || value.size() != length) {
      const std::string found =
          value.is_array() ? "an array of " + std::to_string(value.size()) : describe(value);
      fail(indexed_path(path, index, depth), "expected an array of " + std::to_string(length) +
                                                 " like the first one at this depth, got " + found +
                                                 " (a weight array must not be ragged)");
    }
    for (std::size_t i = 0; i < length; ++i) {
      index[depth] = i;
      read_values(value[i], depth + 1, index, path, tensor);
    }
  }

  // Built only for a message: "layers[0].weights.weight[2][1]".
  static std::string indexed_path(const std::string& path, const std::size_t* index, std::size_t depth) {
    std::string result = path;
    for (std::size_t i = 0; i < depth; ++i) result = element_path(result, index[i]);
    return result;
  }

  const std::string& source_;
  std::size_t total_weights_ = 0;
  std::size_t conv_history_floats_ = 0;
};

ModelDefinition parse_document(std::string_view text, const std::string& source_name) {
  Json root;
  TreeBuilder builder(root, source_name);
  if (!Json::sax_parse(text.begin(), text.end(), &builder)) {
    throw Error(source_name + ": " +
                describe_parse_error(builder.parse_error_message(), text, builder.parse_error_position()));
  }
  return ModelReader(source_name).read(root);
}

}  // namespace

ModelDefinition parse_model_json(std::string_view text, const std::string& source_name) {
  try {
    return parse_document(text, source_name);
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Error(source_name + ": out of memory while reading the model");
  } catch (const std::exception& error) {
    // Not expected (the reader checks types before every access), but never let one escape as anything
    // other than rtn::Error.
    throw Error(source_name + ": cannot read the model: " + error.what());
  }
}

ModelDefinition load_model_file(const std::string& path) {
  std::string text;
  try {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      throw Error("cannot open model file '" + path + "': " + std::strerror(EISDIR));
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) throw Error("cannot open model file '" + path + "': " + std::strerror(errno));
    char chunk[1 << 16];
    while (file.read(chunk, sizeof chunk) || file.gcount() > 0) {
      text.append(chunk, static_cast<std::size_t>(file.gcount()));
    }
    if (file.bad()) throw Error("cannot read model file '" + path + "': " + std::strerror(errno));
  } catch (const std::bad_alloc&) {
    throw Error("cannot read model file '" + path + "': out of memory");
  }
  return parse_model_json(text, path);
}

}  // namespace rtn
