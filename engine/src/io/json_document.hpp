#pragma once
// What the JSON model loaders share (rtn JSON, RTNeural/AIDA-X, GuitarML, and any other JSON format):
// a strict parser (duplicate keys and absurd nesting are errors), the limits that bound what a hostile
// file can make us allocate, JSON paths and value descriptions for messages, and a reader for weight
// arrays written as nested JSON arrays. Errors are rtn::Error reading "<prefix><path>: <what>".
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rtn/layer_descriptor.hpp"
#include "rtn/weights.hpp"

namespace rtn::io {

using Json = nlohmann::json;

// Limits far above any real audio model (docs/model-format.md, "Limits").
// Channels, features, hidden sizes, kernel size, groups. Audio models use tens; 4096 keeps the scratch a
// model prepares (3 x 4096 frames x widest layer) under 200 MB even for a hostile file.
constexpr int kMaxSize = kMaxLayerSize;  // rtn/layer_descriptor.hpp
// kMaxKernelSpan and kMaxRecurrentLayers: rtn/layer_descriptor.hpp.
constexpr std::size_t kMaxLayers = 65536;
constexpr std::size_t kMaxTotalWeights = std::size_t{1} << 28;       // floats over the whole model
constexpr std::size_t kMaxConvHistoryFloats = std::size_t{1} << 26;  // conv1d state over the whole model
constexpr std::size_t kMaxWeightDimensions = 4;  // a conv2d weight: [out][in][time][features]
constexpr std::size_t kMaxNesting = 64;  // JSON arrays/objects inside each other, anywhere

// Parses a whole document. Throws rtn::Error "<source>: not valid JSON: ... at line L, column C", or
// "<source>: <path>: duplicate key ..." / "... nested deeper than 64 levels". Allocates.
Json parse_json_document(std::string_view text, const std::string& source);

// A JSON string as it would be written, shortened for messages.
std::string quoted(const std::string& text);
// "layers[2].weights.weight_ih_l0"; keys that are not identifiers are quoted.
std::string member_path(const std::string& path, const std::string& key);
std::string element_path(const std::string& path, std::size_t index);
// What was found, for "expected X, got Y": scalars as written, containers as "an object"/"an array".
std::string describe(const Json& value);
// The value of an integer, also when written as 3.0 or 1e3 (as JSON Schema's "integer" allows); nullopt for
// anything else. Huge magnitudes saturate, which every range check then refuses.
std::optional<long long> integer_value(const Json& value);
std::string join(const std::vector<std::string>& items);
// " (did you mean "hidden_size"?)" when a known name is a small typo away; "" otherwise.
std::string suggestion(const std::string& unknown, const std::vector<std::string>& known);

// A weight array: a number (shape {}), or arrays nested up to kMaxWeightDimensions deep whose lengths give
// the shape, read in row-major order. Throws rtn::Error "<prefix><path>[i][j]: ..." for a ragged array, a
// value that is not a number or not a finite float, too deep nesting, or more than kMaxTotalWeights values.
Tensor read_weight_tensor(const Json& value, const std::string& path, const std::string& prefix);

// The document's "layers": a non-empty array of at most kMaxLayers entries. Throws rtn::Error
// "<prefix>layers: ..." otherwise.
const Json& read_layers_array(const Json& root, const std::string& prefix);

}  // namespace rtn::io
