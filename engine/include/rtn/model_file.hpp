#pragma once
// Reading model files. rtn's own JSON format v1 is documented in docs/model-format.md and
// docs/rtn-model.schema.json; RTNeural's, AIDA-X's and GuitarML's JSON files are read too, recognised by
// their content whatever the file's name (docs/compatible-formats.md).
#include <optional>
#include <string>
#include <string_view>

#include "rtn/model.hpp"

namespace rtn {

// Choices made while reading a model file.
struct LoadOptions {
  // The size of a slimmable Neural Amp Modeler model (docs/nam.md): a SlimmableContainer, which picks one of
  // its submodels, or a slimmable WaveNet, whose channels are cut. From 0 (the smallest) to 1 (the largest,
  // the default, as Neural Amp Modeler's plugin loads such a model). Other models ignore it; a value outside
  // [0, 1] is an rtn::Error.
  double slimmable_size = 1.0;
};

// Reads and validates a model file in any of those formats. Allocates. Throws rtn::Error whose message
// starts with the file name (and, for the other tools' formats, the format) and gives the exact place of
// the problem ("m.json: layers[2].weights.weight_hh_l0: expected 160x40, got 160x39", "amp.json (RTNeural
// format): layers[1].weights[2]: expected 2x24 ..."). Never crashes on malformed input.
ModelDefinition load_model_file(const std::string& path, const LoadOptions& options = {});
// The same for a document already in memory; `source_name` prefixes error messages.
ModelDefinition parse_model_json(std::string_view text, const std::string& source_name = "<memory>",
                                 const LoadOptions& options = {});
// One layer of rtn's JSON format without its weights ({"type": "gru", "input_size": 1, "hidden_size": 8}),
// read and checked as a model file's layers are (rtn-tune's suites describe their layers so). `channels_in`:
// what the layer receives, the default of an activation's "channels" (none: it must be given). Allocates.
// Throws rtn::Error "<source>: <path>.<key>: <what was expected>, got <what was found>".
LayerSpec parse_layer_json(std::string_view text, const std::string& source, const std::string& path,
                           std::optional<int> channels_in = std::nullopt);

}  // namespace rtn
