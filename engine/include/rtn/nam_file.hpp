#pragma once
// Neural Amp Modeler .nam files (versions 0.5.x to 0.7.x; WaveNet, LSTM, ConvNet, Linear and
// SlimmableContainer architectures, slimmable WaveNets).
// load_model_file() (rtn/model_file.hpp) recognises them by their content and reads them with this reader;
// parse_nam() reads a document known to be one. docs/nam.md says what is supported and how each architecture
// maps onto rtn's layers.
#include <string>
#include <string_view>

#include "rtn/model.hpp"
#include "rtn/model_file.hpp"

namespace rtn {

// Reads a .nam document. Allocates. Throws rtn::Error whose message starts with `source_name` and names the
// format, the place and the problem ("amp.nam (Neural Amp Modeler format): weights: expected 13802 values for
// this architecture, got 13801"; "amp.nam (Neural Amp Modeler format): slimmable size: expected a number from
// 0 to 1, got 1.5"; "amp.nam: not valid JSON: ..."). Never crashes on malformed input.
// `options.slimmable_size` chooses the size of a slimmable model: a SlimmableContainer's submodel (the first
// whose max_value is above the size, else the last), or a slimmable WaveNet's channels; 1 (the default) is
// the full model.
ModelDefinition parse_nam(std::string_view text, const std::string& source_name = "<memory>",
                          const LoadOptions& options = {});

// The wavenet layer (no weights) that a WaveNet "config" object of a .nam file describes, given as JSON text:
// how a tuning suite names a WaveNet (docs/tuning.md). Allocates. Throws rtn::Error as parse_nam() does, with
// paths inside the config.
LayerSpec parse_nam_wavenet_config(std::string_view config_json, const std::string& source_name = "<memory>");

}  // namespace rtn
