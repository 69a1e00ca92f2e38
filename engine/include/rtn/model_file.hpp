#pragma once
// Reading model files. rtn's own JSON format v1 is documented in docs/model-format.md and
// docs/rtn-model.schema.json; RTNeural's, AIDA-X's and GuitarML's JSON files are read too, recognised by
// their content whatever the file's name (docs/compatible-formats.md).
#include <string>
#include <string_view>

#include "rtn/model.hpp"

namespace rtn {

// Reads and validates a model file in any of those formats. Allocates. Throws rtn::Error whose message
// starts with the file name (and, for the other tools' formats, the format) and gives the exact place of
// the problem ("m.json: layers[2].weights.weight_hh_l0: expected 160x40, got 160x39", "amp.json (RTNeural
// format): layers[1].weights[2]: expected 2x24 ..."). Never crashes on malformed input.
ModelDefinition load_model_file(const std::string& path);
// The same for a document already in memory; `source_name` prefixes error messages.
ModelDefinition parse_model_json(std::string_view text, const std::string& source_name = "<memory>");

}  // namespace rtn
