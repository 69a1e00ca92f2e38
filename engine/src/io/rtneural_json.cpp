// The reader of RTNeural's JSON model files as its Keras exporter writes them (RTNeural's
// python/model_utils.py: {"in_shape", "layers": [{"type", "activation", "shape", "weights", ...}]}), and of
// AIDA-X's variant, which adds in_skip, in_gain, out_gain and samplerate. docs/compatible-formats.md
// describes what is read and how.
//
// The file holds Keras' own arrays (layer.get_weights()), so it has Keras' semantics, which this reader
// converts at load into rtn's PyTorch layouts and semantics:
//   Dense      kernel [in][out]                 -> weight [out][in]
//   Conv1D     kernel [k][in/groups][out]       -> weight [out][in/groups][k] (both cross-correlate, causal)
//   LSTM       kernel [in][4H], gates i,f,c,o   -> weight_ih [4H][in], gates i,f,g,o (the same order)
//   GRU        kernel [in][3H], gates z,r,h     -> weight_ih [3H][in], gates r,z,n; bias [2][3H] is Keras'
//              reset_after=True ([input; recurrent], as PyTorch), bias [3H] is reset_after=False (rtn's
//              LayerSpec::reset_after == false: the reset gate scales h before the recurrent product)
//   Conv2D     kernel [kt][kf][in][out]          -> conv2d weight [out][in][kt][kf] (frames of features x
//              filters; causal along time, "valid" or "same" along features as Keras)
//   BatchNormalization [gamma, beta,] mean, var -> batchnorm1d (batchnorm2d on 4-D shapes) weight, bias,
//              running_mean, running_var
//   PReLU      alpha, shared over time          -> prelu with one slope per channel, or one for all
// Every error is an rtn::Error reading "<source> (RTNeural format): <path>: <what>" ("AIDA-X format" for
// the variant).
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/formats.hpp"
#include "io/json_document.hpp"
#include "rtn/error.hpp"

namespace rtn {

namespace {

using namespace io;

// AIDA-X turns a gain in dB into a factor as 10^(dB/20), and treats -90 dB and below as silence.
constexpr double kSilenceDecibels = -90.0;

const std::vector<std::string>& known_layer_types() {
  static const std::vector<std::string> types = {
      "dense", "time-distributed-dense", "conv1d", "conv2d", "gru", "lstm", "prelu", "batchnorm", "batchnorm2d",
      "activation"};
  return types;
}

const std::vector<std::string>& known_activations() {
  static const std::vector<std::string> names = {"tanh", "relu", "sigmoid", "softmax", "elu", "linear"};
  return names;
}

std::string shape_text(const std::vector<int>& shape) { return Tensor{shape, {}}.shape_string(); }

// A float as people write it: 0.001, not 0.0010000000474974513.
std::string float_text(float value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.7g", static_cast<double>(value));
  return text;
}

class KerasReader {
 public:
  KerasReader(const std::string& source, KerasFlavour flavour)
      : source_(source),
        prefix_(source + (flavour == KerasFlavour::aida_x ? " (AIDA-X format): " : " (RTNeural format): ")) {}

  ModelDefinition read(const Json& root) {
    if (!root.is_object()) fail("", "expected a JSON object at the top level, got " + describe(root));
    ModelDefinition model;
    model.input_channels = read_input_channels(root);

    const Json* layers = &read_layers_array(root, prefix_);
    int channels = model.input_channels;
    for (std::size_t index = 0; index < layers->size(); ++index) {
      read_layer((*layers)[index], element_path("layers", index), channels, model.layers);
      if (!model.layers.empty()) channels = model.layers.back().spec.output_size;
    }
    if (model.layers.empty()) {
      fail("layers", "every layer is an activation layer without an activation: the model computes nothing");
    }
    model.output_channels = channels;

    read_aida_x_keys(root, model);
    model.name = read_name(root);
    return model;
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw Error(prefix_ + (path.empty() ? "" : path + ": ") + what);
  }

  // ----------------------------------------------------------------------------------------------------
  // Scalars.

  // An integer in [min, max] at `path`.
  int integer_in(const Json& value, const std::string& path, long long min, long long max) const {
    const std::optional<long long> number = integer_value(value);
    if (!number || *number < min) {
      fail(path, "expected an integer >= " + std::to_string(min) + ", got " + describe(value));
    }
    if (*number > max) {
      fail(path, "must be at most " + std::to_string(max) + " (a limit against malformed files), got " +
                     describe(value));
    }
    return static_cast<int>(*number);
  }

  // Keras writes kernel_size and dilation_rate as tuples ([3]); a plain integer is accepted too.
  std::optional<int> tuple_integer(const Json& layer, const std::string& path, const char* key,
                                   long long max) const {
    const auto found = layer.find(key);
    if (found == layer.end()) return std::nullopt;
    const std::string place = member_path(path, key);
    if (found->is_array()) {
      if (found->size() != 1) {
        fail(place, "expected one value like [3] (a Conv1D has one spatial axis), got an array of " +
                        std::to_string(found->size()));
      }
      return integer_in(found->front(), element_path(place, 0), 1, max);
    }
    return integer_in(*found, place, 1, max);
  }

  // The channels of one frame from a Keras shape: its last entry, or the last two multiplied for the 4-D
  // [batch, time, features, filters] shapes of 2-D layers, which RTNeural flattens feature by feature.
  int frame_size(const Json& shape, const std::string& path) const {
    if (!shape.is_array() || shape.size() < 2 || shape.size() > 4) {
      fail(path, "expected a Keras shape like [null, 8] or [null, null, 8], got " +
                     (shape.is_array() ? "an array of " + std::to_string(shape.size()) : describe(shape)));
    }
    const std::size_t last = shape.size() - 1;
    const int channels = integer_in(shape[last], element_path(path, last), 1, kMaxSize);
    if (shape.size() < 4) return channels;
    const int features = integer_in(shape[last - 1], element_path(path, last - 1), 1, kMaxSize);
    if (static_cast<long long>(features) * channels > kMaxSize) {
      fail(path, "a frame of " + std::to_string(features) + " x " + std::to_string(channels) +
                     " values is more than the limit of " + std::to_string(kMaxSize));
    }
    return features * channels;
  }

  int read_input_channels(const Json& root) const {
    const auto shape = root.find("in_shape");
    if (shape == root.end())
      fail("in_shape", "missing (expected the model's input shape, like [null, null, 1])");
    return frame_size(*shape, "in_shape");
  }

  // A sample rate given as a number or, as some AIDA-X exporters write it, a string ("48000").
  double rate_value(const Json& value, const std::string& path) const {
    double rate = 0;
    if (value.is_number()) {
      rate = value.get<double>();
    } else if (value.is_string()) {
      const std::string& text = value.get_ref<const std::string&>();
      char* end = nullptr;
      rate = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size()) rate = 0;
    }
    if (!(rate > 0) || !std::isfinite(rate)) {
      fail(path,
           "expected a sample rate in Hz (a number > 0, or a string holding one), got " + describe(value));
    }
    return rate;
  }

  // The AIDA-X keys, with AIDA-X's semantics (its plugin's loader): output = out_gain * (net(x) + x) with
  // x = in_gain * input when in_skip is 1, else out_gain * net(x); gains are in dB.
  void read_aida_x_keys(const Json& root, ModelDefinition& model) const {
    if (const auto skip = root.find("in_skip"); skip != root.end()) {
      const std::optional<long long> value = integer_value(*skip);
      if (!value || (*value != 0 && *value != 1)) {
        fail("in_skip",
             "expected 0 or 1 (how many input channels are added to the output), got " + describe(*skip));
      }
      if (*value == 1 && model.input_channels != model.output_channels) {
        fail("in_skip",
             "1 adds the first input channel to the output, which rtn supports only when the model "
             "has as many input channels as output channels (this one has " +
                 std::to_string(model.input_channels) + " in, " + std::to_string(model.output_channels) +
                 " out)");
      }
      model.input_skip = *value == 1;
    }
    model.input_gain = read_gain(root, "in_gain");
    model.output_gain = read_gain(root, "out_gain");

    model.sample_rate_known = false;
    if (const auto rate = root.find("samplerate"); rate != root.end()) {
      model.sample_rate = rate_value(*rate, "samplerate");
      model.sample_rate_known = true;
    } else if (const auto metadata = root.find("metadata"); metadata != root.end() && metadata->is_object()) {
      if (const auto nested = metadata->find("samplerate"); nested != metadata->end()) {
        model.sample_rate = rate_value(*nested, "metadata.samplerate");
        model.sample_rate_known = true;
      }
    }
  }

  float read_gain(const Json& root, const char* key) const {
    const auto found = root.find(key);
    if (found == root.end()) return 1.0f;
    if (!found->is_number()) fail(key, "expected a gain in dB (a number), got " + describe(*found));
    const double decibels = found->get<double>();
    if (decibels <= kSilenceDecibels) return 0.0f;
    const double factor = std::pow(10.0, decibels / 20.0);
    if (!(factor <= FLT_MAX)) fail(key, "a gain of " + found->dump() + " dB is too large for a float");
    return static_cast<float>(factor);
  }

  std::string read_name(const Json& root) const {
    // AIDA-X files carry a name in their metadata; otherwise the file name without directory and extension.
    if (const auto metadata = root.find("metadata"); metadata != root.end() && metadata->is_object()) {
      if (const auto name = metadata->find("name"); name != metadata->end() && name->is_string()) {
        return name->get<std::string>();
      }
    }
    return std::filesystem::path(source_).stem().string();
  }

  // ----------------------------------------------------------------------------------------------------
  // Layers.

  struct KerasLayer {
    const Json& object;
    std::string path;
    std::string type;
    std::string activation;    // "" for none
    std::optional<int> units;  // the last entry of "shape", when given
    std::vector<Tensor> weights;
    int channels_in;
  };

  void read_layer(const Json& object, const std::string& path, int channels_in,
                  std::vector<LayerDefinition>& out) {
    if (!object.is_object()) fail(path, "expected an object describing a layer, got " + describe(object));
    const auto type = object.find("type");
    if (type == object.end())
      fail(path + ".type", "missing (expected one of: " + join(known_layer_types()) + ")");
    if (!type->is_string())
      fail(path + ".type", "expected a string naming the layer type, got " + describe(*type));

    KerasLayer layer{object, path, type->get<std::string>(), "", std::nullopt, {}, channels_in};
    if (const auto activation = object.find("activation"); activation != object.end()) {
      if (!activation->is_string()) {
        fail(path + ".activation", "expected a string naming an activation, got " + describe(*activation));
      }
      layer.activation = activation->get<std::string>();
    }
    if (const auto shape = object.find("shape"); shape != object.end()) {
      layer.units = frame_size(*shape, path + ".shape");
    }
    layer.weights = read_weights(object, path);

    const std::size_t first = out.size();
    if (layer.type == "dense" || layer.type == "time-distributed-dense") {
      read_dense(layer, out);
    } else if (layer.type == "conv1d") {
      read_conv1d(layer, out);
    } else if (layer.type == "conv2d") {
      read_conv2d(layer, out);
    } else if (layer.type == "gru") {
      read_gru(layer, out);
    } else if (layer.type == "lstm") {
      read_lstm(layer, out);
    } else if (layer.type == "prelu") {
      read_prelu(layer, out);
    } else if (layer.type == "batchnorm") {
      read_batchnorm(layer, out, 0);
    } else if (layer.type == "batchnorm2d") {
      read_batchnorm2d(layer, out);
    } else if (layer.type == "activation") {
      expect_no_weights(layer);
      expect_units(layer, channels_in, keeps_size("an activation", channels_in));
      add_activation(layer, channels_in, out);
    } else {
      fail(path + ".type", "unknown layer type " + describe(*type) +
                               suggestion(layer.type, known_layer_types()) +
                               " (known: " + join(known_layer_types()) + ")");
    }
    // A safety net: what this reader builds must be what the kernels accept.
    for (std::size_t i = first; i < out.size(); ++i) {
      const LayerSpec& spec = out[i].spec;
      std::string problem = spec.validate();
      if (problem.empty()) {
        try {
          check_weights(spec, out[i].weights);
        } catch (const Error& error) {
          problem = error.what();
        }
      }
      if (!problem.empty()) fail(path, "cannot convert this layer (" + spec.to_string() + "): " + problem);
      total_weights_ += spec.parameter_count();
      conv_history_floats_ += static_cast<std::size_t>(spec.history_frames()) * spec.input_size;
    }
    if (total_weights_ > kMaxTotalWeights) {
      fail(path, "the model would hold more than " + std::to_string(kMaxTotalWeights) +
                     " weights (a limit against malformed files)");
    }
    if (conv_history_floats_ > kMaxConvHistoryFloats) {
      fail(path, "the convolutions would keep more than " + std::to_string(kMaxConvHistoryFloats) +
                     " floats of history (a limit against malformed files)");
    }
  }

  std::vector<Tensor> read_weights(const Json& object, const std::string& path) const {
    std::vector<Tensor> weights;
    const auto found = object.find("weights");
    if (found == object.end()) return weights;
    const std::string place = path + ".weights";
    if (!found->is_array()) {
      fail(place, "expected an array of weight arrays (Keras' layer.get_weights()), got " + describe(*found));
    }
    if (found->size() > 4) {
      fail(place, "expected at most 4 weight arrays, got " + std::to_string(found->size()));
    }
    for (std::size_t i = 0; i < found->size(); ++i) {
      weights.push_back(read_weight_tensor((*found)[i], element_path(place, i), prefix_));
    }
    return weights;
  }

  // "layers[2].weights[0]"
  static std::string weight_path(const KerasLayer& layer, std::size_t index) {
    return element_path(layer.path + ".weights", index);
  }

  void expect_weight_count(const KerasLayer& layer, std::size_t min, std::size_t max,
                           const std::string& what) const {
    const std::size_t count = layer.weights.size();
    if (count < min || count > max) {
      fail(layer.path + ".weights",
           "expected " + what + ", got " + std::to_string(count) + " array" + (count == 1 ? "" : "s"));
    }
  }

  void expect_no_weights(const KerasLayer& layer) const {
    if (!layer.weights.empty()) expect_weight_count(layer, 0, 0, "no weight arrays for " + layer.type);
  }

  void expect_shape(const KerasLayer& layer, std::size_t index, const std::vector<int>& shape,
                    const std::string& meaning) const {
    const Tensor& tensor = layer.weights[index];
    if (tensor.shape != shape) {
      fail(weight_path(layer, index),
           "expected " + shape_text(shape) + " (" + meaning + "), got " + tensor.shape_string());
    }
  }

  // A weight that must be a matrix; returns its shape for the caller to derive sizes from.
  const Tensor& matrix(const KerasLayer& layer, std::size_t index, const std::string& meaning) const {
    const Tensor& tensor = layer.weights[index];
    if (tensor.shape.size() != 2) {
      fail(weight_path(layer, index), "expected a matrix (" + meaning + "), got " + tensor.shape_string());
    }
    return tensor;
  }

  // The layer's first weight array has `rows` rows; they must be the channels it receives.
  void expect_input_rows(const KerasLayer& layer, int rows, const std::string& meaning) const {
    if (rows != layer.channels_in) {
      fail(weight_path(layer, 0), "has " + std::to_string(rows) + " rows (" + meaning +
                                      "), but the layer receives " + std::to_string(layer.channels_in) +
                                      " channels" + source_of_input(layer));
    }
  }

  static std::string source_of_input(const KerasLayer& layer) {
    return layer.path == "layers[0]" ? " (in_shape)" : " from the layer before";
  }

  // "shape" (when given) must agree with the size the weights give: `reason` says why it is `units`.
  void expect_units(const KerasLayer& layer, int units, const std::string& reason) const {
    if (layer.units && *layer.units != units) {
      fail(layer.path + ".shape", "says " + std::to_string(*layer.units) + " channels, but " + reason);
    }
  }

  static std::string keeps_size(const std::string& what, int channels) {
    return what + " keeps its size, and it receives " + std::to_string(channels);
  }

  int checked_size(const KerasLayer& layer, long long size, const std::string& what) const {
    if (size < 1 || size > kMaxSize) {
      fail(layer.path + ".weights",
           what + " is " + std::to_string(size) + ", outside 1.." + std::to_string(kMaxSize));
    }
    return static_cast<int>(size);
  }

  void add_activation(const KerasLayer& layer, int channels, std::vector<LayerDefinition>& out) const {
    const std::string& name = layer.activation;
    if (name.empty() || name == "linear") return;
    LayerSpec spec;
    if (name == "tanh") {
      spec = LayerSpec::activation(LayerKind::tanh, channels);
    } else if (name == "relu") {
      spec = LayerSpec::activation(LayerKind::relu, channels);
    } else if (name == "sigmoid") {
      spec = LayerSpec::activation(LayerKind::sigmoid, channels);
    } else if (name == "softmax") {
      spec = LayerSpec::activation(LayerKind::softmax, channels);
    } else if (name == "elu") {
      spec = LayerSpec::elu(channels, 1.0f);  // Keras' "elu" string means alpha = 1
    } else {
      fail(layer.path + ".activation", "unknown activation " + quoted(name) +
                                           suggestion(name, known_activations()) +
                                           " (known: " + join(known_activations()) + ")");
    }
    out.push_back({spec, {}});
  }

  // Dense: kernel [in][out], bias [out] -> weight [out][in], bias.
  void read_dense(const KerasLayer& layer, std::vector<LayerDefinition>& out) const {
    expect_weight_count(layer, 1, 2, "[kernel] or [kernel, bias]");
    const Tensor& kernel = matrix(layer, 0, "the kernel: inputs x units");
    expect_input_rows(layer, kernel.shape[0], "the kernel: inputs x units");
    const int units = checked_size(layer, kernel.shape[1], "the kernel's column count (units)");
    expect_units(layer, units, "the kernel has " + std::to_string(units) + " columns (units)");
    const bool bias = layer.weights.size() == 2;
    if (bias) expect_shape(layer, 1, {units}, "the bias: units");

    LayerDefinition dense{LayerSpec::dense(layer.channels_in, units, bias), {}};
    dense.weights["weight"] = transposed(kernel);
    if (bias) dense.weights["bias"] = layer.weights[1];
    out.push_back(std::move(dense));
    add_activation(layer, units, out);
  }

  // Conv1D (causal): kernel [k][in/groups][out] -> weight [out][in/groups][k]; Keras and PyTorch both
  // cross-correlate, so the taps keep their order (tap k-1 meets the newest input).
  // RTNeural's loader has no strided conv1d: it reads every "conv1d" at stride 1, whatever the layer says. Its
  // StridedConv1D is built in C++ code (weights from a PyTorch state dict) and holds each output for `stride`
  // frames. A file that states a stride means one of the two, and which one is not written: refused
  // (docs/compatible-formats.md).
  void refuse_strides(const KerasLayer& layer) const {
    for (const char* key : {"strides", "stride"}) {
      const std::optional<int> stride = tuple_integer(layer.object, layer.path, key, kMaxKernelSpan);
      if (!stride || *stride == 1) continue;
      fail(member_path(layer.path, key),
           "is " + std::to_string(*stride) +
               ", but RTNeural's loader reads every conv1d at stride 1 (its StridedConv1D is built in C++ code, not "
               "read from this format, and repeats each output for `stride` frames): rtn does not guess which was "
               "meant. For PyTorch's strided Conv1d (the layers after it at the decimated rate) write rtn JSON "
               "(conv1d \"stride\", or export the model with rtn_export); docs/compatible-formats.md");
    }
  }

  void read_conv1d(const KerasLayer& layer, std::vector<LayerDefinition>& out) const {
    expect_weight_count(layer, 1, 2, "[kernel] or [kernel, bias]");
    const Tensor& kernel = layer.weights[0];
    if (kernel.shape.size() != 3) {
      fail(weight_path(layer, 0),
           "expected a 3-D kernel (kernel_size x inputs/groups x filters), got " + kernel.shape_string());
    }
    const int kernel_size =
        checked_size(layer, kernel.shape[0], "the kernel's first dimension (kernel_size)");
    const int filters = checked_size(layer, kernel.shape[2], "the kernel's last dimension (filters)");
    const std::string& path = layer.path;
    const int groups = layer.object.contains("groups")
                           ? integer_in(layer.object.at("groups"), path + ".groups", 1, kMaxSize)
                           : 1;
    if (const std::optional<int> stated = tuple_integer(layer.object, path, "kernel_size", kMaxSize);
        stated && *stated != kernel_size) {
      fail(path + ".kernel_size", "is " + std::to_string(*stated) + ", but the kernel has " +
                                      std::to_string(kernel_size) + " taps (weights[0] is " +
                                      kernel.shape_string() + ")");
    }
    const int dilation = tuple_integer(layer.object, path, "dilation", kMaxKernelSpan).value_or(1);
    refuse_strides(layer);
    if (static_cast<long long>(kernel_size) * dilation > kMaxKernelSpan) {
      fail(path + ".dilation", "kernel_size * dilation is " + std::to_string(kernel_size) + " * " +
                                   std::to_string(dilation) + ", more than the limit of " +
                                   std::to_string(kMaxKernelSpan) + " (a limit against malformed files)");
    }
    if (layer.channels_in % groups != 0 || filters % groups != 0) {
      fail(path + ".groups", "is " + std::to_string(groups) + ", which must divide both the " +
                                 std::to_string(layer.channels_in) + " input channels and the " +
                                 std::to_string(filters) + " filters");
    }
    const int group_inputs = layer.channels_in / groups;
    expect_shape(layer, 0, {kernel_size, group_inputs, filters}, "kernel_size x inputs/groups x filters");
    expect_units(layer, filters, "the kernel has " + std::to_string(filters) + " filters");
    const bool bias = layer.weights.size() == 2;
    if (bias) expect_shape(layer, 1, {filters}, "the bias: filters");

    LayerDefinition conv{LayerSpec::conv1d(layer.channels_in, filters, kernel_size, dilation, groups, bias),
                         {}};
    Tensor weight{{filters, group_inputs, kernel_size}, {}};
    weight.values.resize(kernel.values.size());
    for (int o = 0; o < filters; ++o) {
      for (int i = 0; i < group_inputs; ++i) {
        for (int k = 0; k < kernel_size; ++k) {
          weight.values[(static_cast<std::size_t>(o) * group_inputs + i) * kernel_size + k] =
              kernel.values[(static_cast<std::size_t>(k) * group_inputs + i) * filters + o];
        }
      }
    }
    conv.weights["weight"] = std::move(weight);
    if (bias) conv.weights["bias"] = layer.weights[1];
    out.push_back(std::move(conv));
    add_activation(layer, filters, out);
  }

  // The recurrent layers' own activation is not applied after them: it is the cell's (RTNeural ignores it,
  // and AIDA-X's exporter writes ""). Only tanh is what rtn's cells compute.
  void expect_cell_activation(const KerasLayer& layer) const {
    if (!layer.activation.empty() && layer.activation != "tanh") {
      fail(layer.path + ".activation", "is " + quoted(layer.activation) + ", but rtn's (and RTNeural's) " +
                                           layer.type + " cell computes tanh");
    }
  }

  // The hidden size of a recurrent layer from its recurrent kernel [H][gates*H].
  int recurrent_units(const KerasLayer& layer, int gates) const {
    const Tensor& recurrent =
        matrix(layer, 1, "the recurrent kernel: units x " + std::to_string(gates) + "*units");
    const int units = checked_size(layer, recurrent.shape[0], "the recurrent kernel's row count (units)");
    expect_shape(layer, 1, {units, gates * units},
                 "the recurrent kernel: units x " + std::to_string(gates) + "*units");
    expect_units(layer, units, "the recurrent kernel has " + std::to_string(units) + " rows (units)");
    const Tensor& kernel = matrix(layer, 0, "the kernel: inputs x " + std::to_string(gates) + "*units");
    expect_input_rows(layer, kernel.shape[0], "the kernel: inputs x " + std::to_string(gates) + "*units");
    expect_shape(layer, 0, {layer.channels_in, gates * units},
                 "the kernel: inputs x " + std::to_string(gates) + "*units");
    return units;
  }

  // GRU: Keras gates z, r, h -> PyTorch r, z, n. The bias says which GRU it is: [2][3H] is reset_after=True
  // (Keras 2's default, and PyTorch's formula: rows are the input and the recurrent bias), [3H] is
  // reset_after=False. Without a bias nothing says, and reset_after=True (the default) is assumed.
  void read_gru(const KerasLayer& layer, std::vector<LayerDefinition>& out) const {
    expect_weight_count(layer, 2, 3, "[kernel, recurrent_kernel] or [kernel, recurrent_kernel, bias]");
    expect_cell_activation(layer);
    const int units = recurrent_units(layer, 3);
    const bool bias = layer.weights.size() == 3;
    bool reset_after = true;
    if (bias) {
      const Tensor& keras_bias = layer.weights[2];
      if (keras_bias.shape == std::vector<int>{3 * units}) {
        reset_after = false;
      } else {
        expect_shape(
            layer, 2, {2, 3 * units},
            "the bias: [input; recurrent] x 3*units for reset_after=True, or 3*units for reset_after=False");
      }
    }
    // PyTorch gate g (r, z, n) is Keras gate kKerasGate[g] (z, r, h).
    constexpr int kKerasGate[3] = {1, 0, 2};
    LayerSpec spec = LayerSpec::gru(layer.channels_in, units, 1, bias);
    spec.reset_after = reset_after;
    LayerDefinition gru{spec, {}};
    gru.weights["weight_ih_l0"] = gates_transposed(layer.weights[0], units, kKerasGate, 3);
    gru.weights["weight_hh_l0"] = gates_transposed(layer.weights[1], units, kKerasGate, 3);
    if (bias) {
      const Tensor& keras_bias = layer.weights[2];
      const std::size_t row = static_cast<std::size_t>(3) * units;
      gru.weights["bias_ih_l0"] = gates_reordered(keras_bias.values.data(), units, kKerasGate, 3);
      // reset_after=False has one bias: it all goes to bias_ih (b_hn adds outside the reset gate then).
      gru.weights["bias_hh_l0"] = reset_after
                                      ? gates_reordered(keras_bias.values.data() + row, units, kKerasGate, 3)
                                      : Tensor{{3 * units}, std::vector<float>(row, 0.0f)};
    }
    out.push_back(std::move(gru));
  }

  // LSTM: Keras gates i, f, c, o are PyTorch's i, f, g, o; one bias, which becomes bias_ih.
  void read_lstm(const KerasLayer& layer, std::vector<LayerDefinition>& out) const {
    expect_weight_count(layer, 2, 3, "[kernel, recurrent_kernel] or [kernel, recurrent_kernel, bias]");
    expect_cell_activation(layer);
    const int units = recurrent_units(layer, 4);
    const bool bias = layer.weights.size() == 3;
    if (bias) expect_shape(layer, 2, {4 * units}, "the bias: 4*units");
    constexpr int kSameGate[4] = {0, 1, 2, 3};
    LayerDefinition lstm{LayerSpec::lstm(layer.channels_in, units, 1, bias), {}};
    lstm.weights["weight_ih_l0"] = gates_transposed(layer.weights[0], units, kSameGate, 4);
    lstm.weights["weight_hh_l0"] = gates_transposed(layer.weights[1], units, kSameGate, 4);
    if (bias) {
      lstm.weights["bias_ih_l0"] = layer.weights[2];
      lstm.weights["bias_hh_l0"] =
          Tensor{{4 * units}, std::vector<float>(static_cast<std::size_t>(4) * units, 0.0f)};
    }
    out.push_back(std::move(lstm));
  }

  // PReLU: Keras' alpha has the input's shape without the batch axis, with 1 along shared axes. A streaming
  // model shares it over time (shared_axes=[1]), leaving one slope per channel, or one for all.
  void read_prelu(const KerasLayer& layer, std::vector<LayerDefinition>& out) const {
    expect_weight_count(layer, 1, 1, "[alpha]");
    expect_units(layer, layer.channels_in, keeps_size("a PReLU", layer.channels_in));
    const Tensor& alpha = layer.weights[0];
    const int channels = layer.channels_in;
    const std::size_t count = alpha.values.size();
    if (count != 1 && count != static_cast<std::size_t>(channels)) {
      fail(weight_path(layer, 0), "alpha is " + alpha.shape_string() + ": expected one slope per channel (" +
                                      std::to_string(channels) +
                                      ") or one for all; a slope that changes along time (PReLU without "
                                      "shared_axes=[1]) cannot stream");
    }
    LayerDefinition prelu{LayerSpec::prelu(channels, static_cast<int>(count)), {}};
    prelu.weights["weight"] = Tensor{{static_cast<int>(count)}, alpha.values};
    out.push_back(std::move(prelu));
  }

  float read_epsilon(const KerasLayer& layer) const {
    const auto found = layer.object.find("epsilon");
    if (found == layer.object.end()) return 1e-3f;  // Keras' default
    if (!found->is_number() || !(found->get<double>() >= 0) || !(found->get<double>() <= FLT_MAX)) {
      fail(layer.path + ".epsilon", "expected a number >= 0, got " + describe(*found));
    }
    return static_cast<float>(found->get<double>());
  }

  // BatchNormalization: [gamma, beta, mean, variance], or [mean, variance] with center=False and
  // scale=False. With only one of center and scale there are three arrays, and nothing in the file says
  // which one is missing (RTNeural reads such a file wrongly), so that is refused. `features` > 0: over the
  // filters of a [features][filters] frame (a batchnorm2d), else over the channels (a batchnorm1d).
  void read_batchnorm(const KerasLayer& layer, std::vector<LayerDefinition>& out, int features) const {
    const int channels = layer.channels_in;
    expect_units(layer, channels, keeps_size("a batch normalisation", channels));
    const std::size_t count = layer.weights.size();
    if (count == 3) {
      fail(layer.path + ".weights",
           "has 3 arrays: a BatchNormalization with only one of center and scale, and "
           "nothing says which (re-export with both center and scale, or neither)");
    }
    expect_weight_count(layer, 2, 4,
                        "[gamma, beta, moving_mean, moving_variance] or, with center=False and "
                        "scale=False, [moving_mean, moving_variance]");
    const int filters = features > 0 ? channels / features : channels;
    const std::string meaning = features > 0 ? "one value per filter" : "one value per channel";
    for (std::size_t i = 0; i < count; ++i) expect_shape(layer, i, {filters}, meaning);
    const bool affine = count == 4;
    const float epsilon = read_epsilon(layer);
    LayerDefinition norm{features > 0 ? LayerSpec::batchnorm2d(filters, features, epsilon)
                                      : LayerSpec::batchnorm1d(channels, epsilon),
                         {}};
    norm.weights["weight"] = affine ? layer.weights[0] : Tensor{{filters}, std::vector<float>(filters, 1.0f)};
    norm.weights["bias"] = affine ? layer.weights[1] : Tensor{{filters}, std::vector<float>(filters, 0.0f)};
    norm.weights["running_mean"] = layer.weights[affine ? 2 : 0];
    norm.weights["running_var"] = layer.weights[affine ? 3 : 1];
    // Keras allows any moving variance (an initializer may even make it negative); what must hold is that
    // variance + epsilon, under a square root, is positive.
    const std::vector<float>& variances = layer.weights[affine ? 3 : 1].values;
    for (std::size_t c = 0; c < variances.size(); ++c) {
      if (!(static_cast<double>(variances[c]) + epsilon > 0)) {
        fail(element_path(weight_path(layer, affine ? 3 : 1), c),
             "moving variance + epsilon must be > 0, got " + float_text(variances[c]) + " + " +
                 float_text(epsilon));
      }
    }
    out.push_back(std::move(norm));
  }

  // An integer key a 2-D layer must have (RTNeural's conv2d and batchnorm2d).
  int required_size(const KerasLayer& layer, const char* key, long long max) const {
    const auto found = layer.object.find(key);
    if (found == layer.object.end()) fail(member_path(layer.path, key), "missing (expected an integer >= 1)");
    return integer_in(*found, member_path(layer.path, key), 1, max);
  }

  // num_features_in x num_filters_in: the frame a 2-D layer says it receives, which must be what it receives.
  void expect_frame(const KerasLayer& layer, int features, int filters) const {
    if (static_cast<long long>(filters) * features == layer.channels_in) return;
    fail(layer.path, "num_features_in x num_filters_in is " + std::to_string(features) + " x " +
                         std::to_string(filters) + ", but the layer receives " + std::to_string(layer.channels_in) +
                         " channels" + source_of_input(layer));
  }

  // BatchNormalization over the filters of a [features][filters] frame (RTNeural's "batchnorm2d").
  void read_batchnorm2d(const KerasLayer& layer, std::vector<LayerDefinition>& out) const {
    const int filters = required_size(layer, "num_filters_in", kMaxSize);
    const int features = required_size(layer, "num_features_in", kMaxSize);
    expect_frame(layer, features, filters);
    read_batchnorm(layer, out, features);
  }

  // Conv2D over frames of [features][filters] (RTNeural's "conv2d", time x features kernels): kernel
  // [kt][kf][in][out] -> weight [out][in][kt][kf]. Keras cross-correlates as PyTorch does, so the taps keep
  // their order (time tap kt-1 meets the newest frame). Along time it streams causally, as RTNeural does
  // (Keras' own padding along time only shifts its output: docs/compatible-formats.md).
  void read_conv2d(const KerasLayer& layer, std::vector<LayerDefinition>& out) const {
    const std::string& path = layer.path;
    expect_weight_count(layer, 1, 2, "[kernel] or [kernel, bias]");
    const int filters_in = required_size(layer, "num_filters_in", kMaxSize);
    const int features = required_size(layer, "num_features_in", kMaxSize);
    const int filters_out = required_size(layer, "num_filters_out", kMaxSize);
    expect_frame(layer, features, filters_in);
    const int kernel_time = required_size(layer, "kernel_size_time", kMaxSize);
    const int kernel_features = required_size(layer, "kernel_size_feature", kMaxSize);
    const int dilation = tuple_integer(layer.object, path, "dilation", kMaxKernelSpan).value_or(1);
    const int stride = tuple_integer(layer.object, path, "strides", kMaxSize).value_or(1);
    if (stride > features) {
      fail(path + ".strides", "is " + std::to_string(stride) + ", larger than the frame's " +
                                  std::to_string(features) + " features (num_features_in)");
    }
    const auto padding = layer.object.find("padding");
    const std::vector<std::string> paddings = {"valid", "same"};
    if (padding == layer.object.end()) fail(path + ".padding", "missing (expected \"valid\" or \"same\")");
    if (!padding->is_string() || (*padding != "valid" && *padding != "same")) {
      fail(path + ".padding", "unknown padding " + describe(*padding) +
                                  (padding->is_string() ? suggestion(padding->get<std::string>(), paddings) : "") +
                                  " (known: valid, same)");
    }
    const bool same = *padding == "same";
    const bool bias = layer.weights.size() == 2;
    LayerSpec spec = LayerSpec::conv2d(filters_in, filters_out, features, kernel_time, kernel_features, dilation,
                                       stride, same, 1, bias);
    if (const std::string problem = spec.validate(); !problem.empty()) fail(path, problem);
    expect_shape(layer, 0, {kernel_time, kernel_features, filters_in, filters_out},
                 "kernel_size_time x kernel_size_feature x num_filters_in x num_filters_out");
    if (bias) expect_shape(layer, 1, {filters_out}, "the bias: num_filters_out");
    expect_units(layer, spec.output_size,
                 "the convolution outputs " + std::to_string(conv2d_output_features(spec)) + " features x " +
                     std::to_string(filters_out) + " filters");

    const Tensor& kernel = layer.weights[0];
    Tensor weight{{filters_out, filters_in, kernel_time, kernel_features}, std::vector<float>(kernel.values.size())};
    for (int o = 0; o < filters_out; ++o) {
      for (int i = 0; i < filters_in; ++i) {
        for (int t = 0; t < kernel_time; ++t) {
          for (int q = 0; q < kernel_features; ++q) {
            weight.values[((static_cast<std::size_t>(o) * filters_in + i) * kernel_time + t) * kernel_features + q] =
                kernel.values[((static_cast<std::size_t>(t) * kernel_features + q) * filters_in + i) * filters_out + o];
          }
        }
      }
    }
    LayerDefinition conv{spec, {}};
    conv.weights["weight"] = std::move(weight);
    if (bias) conv.weights["bias"] = layer.weights[1];
    out.push_back(std::move(conv));
    add_activation(layer, spec.output_size, out);
  }

  // ----------------------------------------------------------------------------------------------------
  // Layout conversions.

  // [rows][columns] -> [columns][rows].
  static Tensor transposed(const Tensor& matrix) {
    const int rows = matrix.shape[0], columns = matrix.shape[1];
    Tensor result{{columns, rows}, std::vector<float>(matrix.values.size())};
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < columns; ++c) {
        result.values[static_cast<std::size_t>(c) * rows + r] =
            matrix.values[static_cast<std::size_t>(r) * columns + c];
      }
    }
    return result;
  }

  // Keras [inputs][gates*units] -> PyTorch [gates*units][inputs], PyTorch gate g taken from Keras gate
  // keras_gate[g].
  static Tensor gates_transposed(const Tensor& keras, int units, const int* keras_gate, int gates) {
    const int inputs = keras.shape[0], columns = keras.shape[1];
    Tensor result{{gates * units, inputs}, std::vector<float>(keras.values.size())};
    for (int g = 0; g < gates; ++g) {
      for (int j = 0; j < units; ++j) {
        const int row = g * units + j, column = keras_gate[g] * units + j;
        for (int i = 0; i < inputs; ++i) {
          result.values[static_cast<std::size_t>(row) * inputs + i] =
              keras.values[static_cast<std::size_t>(i) * columns + column];
        }
      }
    }
    return result;
  }

  static Tensor gates_reordered(const float* keras, int units, const int* keras_gate, int gates) {
    Tensor result{{gates * units}, std::vector<float>(static_cast<std::size_t>(gates) * units)};
    for (int g = 0; g < gates; ++g) {
      for (int j = 0; j < units; ++j)
        result.values[static_cast<std::size_t>(g) * units + j] = keras[keras_gate[g] * units + j];
    }
    return result;
  }

  const std::string& source_;
  const std::string prefix_;
  std::size_t total_weights_ = 0;
  std::size_t conv_history_floats_ = 0;
};

}  // namespace

ModelDefinition read_keras_model(const io::Json& root, const std::string& source, KerasFlavour flavour) {
  return KerasReader(source, flavour).read(root);
}

}  // namespace rtn
