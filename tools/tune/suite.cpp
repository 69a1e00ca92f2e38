#include "tools/tune/suite.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <variant>

#include "rtn/error.hpp"
#include "rtn/layer_descriptor.hpp"
#include "rtn/model_file.hpp"
#include "rtn/nam_file.hpp"

namespace rtn::tune {

namespace {

using Json = nlohmann::json;

// A parameter's value as rtn's model format types it: suites write flags as true/false or 1/0.
Json typed_value(const LayerParameter& parameter, double value) {
  if (std::holds_alternative<bool LayerSpec::*>(parameter.field)) return value != 0;
  if (std::holds_alternative<int LayerSpec::*>(parameter.field) && value == std::floor(value) &&
      std::fabs(value) < 1e15) {
    return static_cast<long long>(value);
  }
  return value;  // a number, or a fractional "integer" that the model format's reader refuses by name
}

std::string read_text(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw Error("cannot read '" + path + "': it is a directory");
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error("cannot open '" + path + "'");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void add_shape(Suite& suite, const LayerSpec& spec) {
  for (const LayerSpec& known : suite.shapes) {
    if (known == spec) return;
  }
  suite.shapes.push_back(spec);
}

class SuiteReader {
 public:
  SuiteReader(Suite& suite, std::string path) : suite_(suite), path_(std::move(path)) {}

  void read(const Json& root) {
    if (!root.is_object()) fail("", "expected an object");
    for (const auto& item : root.items()) {
      static const char* known[] = {"format", "version", "description", "blocks", "models", "layers"};
      bool found = false;
      for (const char* key : known) found = found || item.key() == key;
      if (!found)
        fail(item.key(), "unknown key (known: format, version, description, blocks, models, layers)");
    }
    if (!root.contains("format") || root["format"] != "rtn-suite") fail("format", "expected \"rtn-suite\"");
    if (!root.contains("version") || root["version"] != 1) fail("version", "expected 1");
    if (root.contains("blocks")) {
      const Json& blocks = root["blocks"];
      if (!blocks.is_array() || blocks.empty()) fail("blocks", "expected a non-empty array of block sizes");
      for (std::size_t b = 0; b < blocks.size(); ++b) {
        if (!blocks[b].is_number_integer() || blocks[b].get<long long>() < 1 ||
            blocks[b].get<long long>() > 65536) {
          fail("blocks[" + std::to_string(b) + "]", "expected an integer in 1...65536");
        }
        suite_.blocks.push_back(blocks[b].get<int>());
      }
    }
    if (root.contains("models")) {
      const Json& models = root["models"];
      if (!models.is_array()) fail("models", "expected an array of model file paths");
      const std::filesystem::path base = std::filesystem::path(path_).parent_path();
      for (std::size_t m = 0; m < models.size(); ++m) {
        if (!models[m].is_string()) fail("models[" + std::to_string(m) + "]", "expected a path");
        // Relative to the suite file, so a suite travels with its models.
        std::filesystem::path model = models[m].get<std::string>();
        if (model.is_relative()) model = base / model;
        add_model(suite_, model.lexically_normal().string());
      }
    }
    if (root.contains("layers")) {
      const Json& layers = root["layers"];
      if (!layers.is_array()) fail("layers", "expected an array of layers");
      for (std::size_t l = 0; l < layers.size(); ++l)
        read_layer(layers[l], "layers[" + std::to_string(l) + "]");
    }
  }

 private:
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw Error(path_ + ": " + (where.empty() ? "" : where + ": ") + what);
  }

  void read_layer(const Json& layer, const std::string& where) {
    if (!layer.is_object()) fail(where, "expected an object");
    if (!layer.contains("type") || !layer["type"].is_string()) fail(where + ".type", "expected a layer type");
    const std::string type = layer["type"].get<std::string>();
    const std::optional<LayerKind> kind = parse_layer_kind(type);
    if (!kind) fail(where + ".type", "unknown layer type '" + type + "'");
    if (*kind == LayerKind::wavenet) {
      // A Neural Amp Modeler WaveNet, named by its .nam config: {"type": "wavenet", "config": {...}}.
      for (const auto& item : layer.items()) {
        if (item.key() != "type" && item.key() != "config" && item.key() != "comment")
          fail(where + "." + item.key(), "unknown key of a wavenet layer (known: config, comment)");
      }
      if (!layer.contains("config")) fail(where, "a wavenet layer needs the \"config\" of a WaveNet .nam file");
      add_shape(suite_, parse_nam_wavenet_config(layer["config"].dump(), path_ + ": " + where));
      return;
    }
    const LayerDescriptor& descriptor = layer_descriptor(*kind);
    if (!descriptor.not_in_model_files.empty()) {
      fail(where + ".type", "suites cannot describe " + type + " layers yet; tune a model file that has one");
    }
    std::vector<const LayerParameter*> parameters;
    std::string known;
    for (const LayerParameter& parameter : descriptor.parameters) {
      if (parameter.name.empty()) continue;
      parameters.push_back(&parameter);
      known += (known.empty() ? "" : ", ") + parameter.name;
    }
    const auto find = [&](const std::string& key) -> const LayerParameter* {
      for (const LayerParameter* parameter : parameters) {
        if (parameter->name == key) return parameter;
      }
      return nullptr;
    };

    // Each parameter: its values (a list is an axis of the grid), or the name of another parameter it equals.
    std::vector<std::pair<std::string, std::vector<double>>> axes;
    std::map<std::string, std::string> tied;
    for (const auto& [key, value] : layer.items()) {
      if (key == "type" || key == "comment") continue;
      if (!find(key)) fail(where + "." + key, "unknown parameter of " + type + " (known: " + known + ")");
      if (value.is_string()) {
        tied[key] = value.get<std::string>();
        continue;
      }
      std::vector<double> values;
      const Json list = value.is_array() ? value : Json::array({value});
      if (list.empty()) fail(where + "." + key, "an empty list");
      for (const Json& item : list) {
        if (item.is_boolean()) {
          values.push_back(item.get<bool>() ? 1 : 0);
        } else if (item.is_number() && std::isfinite(item.get<double>())) {
          values.push_back(item.get<double>());
        } else {
          fail(where + "." + key,
               "expected a number, true/false, a list of them, or another parameter's name");
        }
      }
      axes.emplace_back(key, values);
    }
    for (const auto& [key, other] : tied) {
      bool found = false;
      for (const auto& axis : axes) found = found || axis.first == other;
      if (!found) fail(where + "." + key, "'" + other + "' is not a numeric parameter of this layer");
    }

    // Every combination of the axes, each read as a model file's layer is (rtn/model_file.hpp), so a suite
    // takes every parameter, default and check of the format.
    std::vector<std::size_t> index(axes.size(), 0);
    for (;;) {
      std::map<std::string, double> values;
      for (std::size_t a = 0; a < axes.size(); ++a) values[axes[a].first] = axes[a].second[index[a]];
      for (const auto& [key, other] : tied) values[key] = values[other];
      Json point = Json::object();
      point["type"] = type;
      for (const auto& [key, value] : values) point[key] = typed_value(*find(key), value);
      add_shape(suite_, parse_layer_json(point.dump(), path_, where));

      std::size_t a = 0;
      while (a < axes.size() && ++index[a] == axes[a].second.size()) index[a++] = 0;
      if (a == axes.size()) break;
    }
  }

  Suite& suite_;
  std::string path_;
};

}  // namespace

bool is_suite_file(const std::string& path) {
  try {
    const Json root = Json::parse(read_text(path), nullptr, false);
    return root.is_object() && root.contains("format") && root["format"] == "rtn-suite";
  } catch (const std::exception&) {
    return false;
  }
}

void add_suite(Suite& suite, const std::string& path) {
  const std::string text = read_text(path);
  Json root;
  try {
    root = Json::parse(text);
  } catch (const nlohmann::json::parse_error& error) {
    throw Error(path + ": not valid JSON: " + error.what());
  }
  SuiteReader(suite, path).read(root);
  suite.sources.push_back(path);
}

void add_model(Suite& suite, const std::string& path, const LoadOptions& options) {
  const ModelDefinition definition = load_model_file(path, options);
  for (const LayerDefinition& layer : definition.layers) add_shape(suite, layer.spec);
  suite.sources.push_back(path);
}

}  // namespace rtn::tune
