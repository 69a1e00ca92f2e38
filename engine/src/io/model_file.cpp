// Reading a model file: the format is detected from the document's content (not from the file name), then
// the reader of that format turns it into a ModelDefinition.
//
//   rtn JSON     {"format": "rtn", "version": 1, ...}                       io/rtn_json.cpp
//   NAM          {"architecture", "config", "weights", "version"}           Neural Amp Modeler .nam
//   GuitarML     {"model_data", "state_dict"}                               io/guitarml_json.cpp
//   AIDA-X       RTNeural + any of in_skip, in_gain, out_gain, samplerate   io/rtneural_json.cpp
//   RTNeural     {"in_shape", "layers"}                                     io/rtneural_json.cpp
//
// A document that matches none is read as rtn JSON, whose reader then says what is missing.
#include "rtn/model_file.hpp"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <new>
#include <string>

#include "io/formats.hpp"
#include "io/json_document.hpp"
#include "io/nam.hpp"
#include "rtn/error.hpp"

namespace rtn {

namespace {

enum class Format { rtn, nam, guitarml, aida_x, rtneural };

bool has_extension(const std::string& source, const char* extension) {
  std::string found = std::filesystem::path(source).extension().string();
  for (char& c : found) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return found == extension;
}

// A PyTorch state dict on its own ({"weight": ..., "bias": ...}, "conv.weight", ...): every value an array, a
// weight among them. RTNeural's torch_helpers read such files into layers built in C++ code (its StridedConv1D,
// ConvTranspose1D, GRU, ...), which say what the file does not: the layer kinds, strides and dilations.
bool is_bare_state_dict(const io::Json& root) {
  if (root.empty()) return false;
  bool weight = false;
  for (auto item = root.begin(); item != root.end(); ++item) {
    if (!item.value().is_array()) return false;
    const std::string& key = item.key();
    weight = weight || key == "weight" || (key.size() > 7 && key.compare(key.size() - 7, 7, ".weight") == 0);
  }
  return weight;
}

Format detect(const io::Json& root, const std::string& source) {
  if (!root.is_object() || root.contains("format")) return Format::rtn;
  if (is_bare_state_dict(root)) {
    throw Error(source + ": a PyTorch state dict alone (weight arrays without the layers' kinds or sizes), as "
                "RTNeural's torch_helpers load into layers built in C++ code (Conv1D, StridedConv1D, "
                "ConvTranspose1D, GRU, LSTM, ...): it does not say the layers' kinds, strides, dilations or "
                "order, so no loader can read it alone. Export the PyTorch module with rtn_export (python -m "
                "rtn_export; docs/exporters.md), which writes the architecture with the weights");
  }
  if (root.contains("architecture")) return Format::nam;
  if (root.contains("model_data") || root.contains("state_dict")) return Format::guitarml;
  if (root.contains("in_shape")) {
    for (const char* key : {"in_skip", "in_gain", "out_gain", "samplerate"}) {
      if (root.contains(key)) return Format::aida_x;
    }
    return has_extension(source, ".aidax") ? Format::aida_x : Format::rtneural;
  }
  return Format::rtn;
}

ModelDefinition read_document(std::string_view text, const std::string& source, const LoadOptions& options) {
  check_slimmable_size(options, source);
  const io::Json root = io::parse_json_document(text, source);
  switch (detect(root, source)) {
    case Format::nam:
      return read_nam_model(root, source, options);
    case Format::guitarml:
      return read_guitarml_model(root, source);
    case Format::aida_x:
      return read_keras_model(root, source, KerasFlavour::aida_x);
    case Format::rtneural:
      return read_keras_model(root, source, KerasFlavour::rtneural);
    case Format::rtn:
      break;
  }
  return read_rtn_model(root, source);
}

}  // namespace

ModelDefinition parse_model_json(std::string_view text, const std::string& source_name,
                                 const LoadOptions& options) {
  try {
    return read_document(text, source_name, options);
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Error(source_name + ": out of memory while reading the model");
  } catch (const std::exception& error) {
    // Not expected (the readers check types before every access), but never let one escape as anything
    // other than rtn::Error.
    throw Error(source_name + ": cannot read the model: " + error.what());
  }
}

ModelDefinition load_model_file(const std::string& path, const LoadOptions& options) {
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
  return parse_model_json(text, path, options);
}

}  // namespace rtn
