#pragma once
// The reader of Neural Amp Modeler .nam files (io/nam.cpp), given the parsed document; model_file.cpp's
// format detection calls it for documents with "architecture", "config" and "weights".
#include <nlohmann/json.hpp>
#include <string>

#include "rtn/model.hpp"
#include "rtn/model_file.hpp"

namespace rtn {

// True when the document looks like a .nam file: an object with "architecture" (and, in any real file,
// "config" and "weights"). Never throws.
bool looks_like_nam(const nlohmann::json& root) noexcept;

// Reads a .nam document of version 0.5.x to 0.7.x: WaveNet (slimmable or not), LSTM, ConvNet, Linear or
// SlimmableContainer, slimmable models at options.slimmable_size. Throws rtn::Error
// "<source> (Neural Amp Modeler format): <path>: <what>" for anything it cannot read exactly, unsupported
// features included ("amp.nam (Neural Amp Modeler format): weights: expected 13802 values for this
// architecture, got 13801"). Allocates.
ModelDefinition read_nam_model(const nlohmann::json& root, const std::string& source,
                               const LoadOptions& options);

// Throws rtn::Error "<source>: slimmable size: expected a number from 0 to 1, got 1.5" unless the size is in
// [0, 1]. Every format checks it, also those that have no slimmable models.
void check_slimmable_size(const LoadOptions& options, const std::string& source);

// The wavenet layer a WaveNet "config" object of a .nam file describes (no weights): what a tuning suite
// uses to name a WaveNet. Throws rtn::Error like read_nam_model(), with paths inside `config`. Allocates.
LayerSpec nam_wavenet_layer(const nlohmann::json& config, const std::string& source);

}  // namespace rtn
