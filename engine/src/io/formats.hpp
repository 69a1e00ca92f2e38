#pragma once
// The readers of the model file formats, each given the parsed document. model_file.cpp detects which
// format a document is in and calls its reader. Each throws rtn::Error naming the source, the format (for
// the formats that are not rtn's own) and the JSON path of the problem. Allocate.
#include <string>

#include "io/json_document.hpp"
#include "rtn/model.hpp"

namespace rtn {

// rtn's own JSON format, v1 (io/rtn_json.cpp).
ModelDefinition read_rtn_model(const io::Json& root, const std::string& source);

// RTNeural's JSON as its Keras exporter writes it, and AIDA-X's variant of it, which adds in_skip, in_gain,
// out_gain and samplerate (io/rtneural_json.cpp). `flavour` only names the format in messages: both read
// the same keys.
enum class KerasFlavour { rtneural, aida_x };
ModelDefinition read_keras_model(const io::Json& root, const std::string& source, KerasFlavour flavour);

// GuitarML's (Automated-GuitarAmpModelling's) PyTorch state-dict JSON: model_data + state_dict of a
// SimpleRNN (io/guitarml_json.cpp).
ModelDefinition read_guitarml_model(const io::Json& root, const std::string& source);

}  // namespace rtn
