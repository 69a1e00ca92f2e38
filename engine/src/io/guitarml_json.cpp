// The reader of GuitarML's model files: the JSON that Automated-GuitarAmpModelling's CoreAudioML SimpleRNN
// writes (save_model) and that Proteus, NeuralPi and others load:
//   {"model_data": {"model": "SimpleRNN", "unit_type": "LSTM" | "GRU", "input_size", "hidden_size",
//                   "output_size", "num_layers", "skip", "bias_fl"},
//    "state_dict": {"rec.weight_ih_l0", "rec.weight_hh_l0", "rec.bias_ih_l0", "rec.bias_hh_l0", ...,
//                   "lin.weight", "lin.bias"}}
// It is a PyTorch state dict, already in rtn's layout: the model is nn.LSTM / nn.GRU, then nn.Linear, and
// SimpleRNN.forward adds the first `skip` input channels to the output. docs/compatible-formats.md says
// more. Every error is an rtn::Error reading "<source> (GuitarML format): <path>: <what>".
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "io/formats.hpp"
#include "io/json_document.hpp"
#include "rtn/error.hpp"

namespace rtn {

namespace {

using namespace io;

class GuitarmlReader {
 public:
  explicit GuitarmlReader(const std::string& source)
      : source_(source), prefix_(source + " (GuitarML format): ") {}

  ModelDefinition read(const Json& root) {
    if (!root.is_object()) fail("", "expected a JSON object at the top level, got " + describe(root));
    const Json& data = object_at(root, "model_data", "the model's description");
    const Json& state = object_at(root, "state_dict", "PyTorch's state dict: named weight arrays");

    if (const auto model = data.find("model"); model != data.end()) {
      if (!model->is_string() || model->get_ref<const std::string&>() != "SimpleRNN") {
        fail("model_data.model",
             "expected \"SimpleRNN\" (the only GuitarML model rtn reads), got " + describe(*model));
      }
    }
    const std::string unit = read_unit_type(data);
    const int input_size = size(data, "input_size", kMaxSize);
    const int hidden_size = size(data, "hidden_size", kMaxSize);
    const int output_size = size(data, "output_size", kMaxSize);
    const int num_layers = data.contains("num_layers") ? size(data, "num_layers", kMaxRecurrentLayers) : 1;
    const bool linear_bias = read_bias_flag(data);
    const auto skip_value = data.find("skip");
    if (skip_value == data.end()) {
      fail("model_data.skip",
           "missing (expected how many input channels the model adds to its output: 0, or "
           "input_size)");
    }
    const int skip = integer_in(*skip_value, "model_data.skip", 0, kMaxSize);
    const int gates = unit == "LSTM" ? 4 : 3;
    check_cost(static_cast<std::size_t>(gates) * hidden_size * (input_size + hidden_size + 2) * num_layers);

    ModelDefinition model;
    model.name = std::filesystem::path(source_).stem().string();
    model.input_channels = input_size;
    model.output_channels = output_size;
    model.sample_rate_known = false;
    read_sample_rate(root, data, model);
    if (skip != 0) {
      if (skip != input_size || skip != output_size) {
        fail("model_data.skip",
             "is " + std::to_string(skip) + ": the model adds its first " + std::to_string(skip) +
                 " input channels to its output, which rtn supports only for all of them, with "
                 "as many outputs (input_size " +
                 std::to_string(input_size) + ", output_size " + std::to_string(output_size) + ")");
      }
      model.input_skip = true;
    }

    // The recurrent stack: rec.<name> is nn.LSTM / nn.GRU's <name>.
    std::set<std::string> used;
    const bool recurrent_bias = state.contains("rec.bias_ih_l0") || state.contains("rec.bias_hh_l0");
    LayerDefinition recurrent;
    recurrent.spec = unit == "LSTM" ? LayerSpec::lstm(input_size, hidden_size, num_layers, recurrent_bias)
                                    : LayerSpec::gru(input_size, hidden_size, num_layers, recurrent_bias);
    for (const WeightShape& want : expected_weights(recurrent.spec)) {
      recurrent.weights[want.name] = weight(state, "rec." + want.name, want.shape, used);
    }
    LayerDefinition linear{LayerSpec::dense(hidden_size, output_size, linear_bias), {}};
    for (const WeightShape& want : expected_weights(linear.spec)) {
      linear.weights[want.name] = weight(state, "lin." + want.name, want.shape, used);
    }
    for (const auto& item : state.items()) {
      if (used.count(item.key())) continue;
      std::vector<std::string> known(used.begin(), used.end());
      std::string why;
      if (item.key() == "lin.bias") why = " (model_data.bias_fl is false)";
      if (item.key().rfind("rec.", 0) == 0 && item.key().find("_reverse") != std::string::npos) {
        why = " (a bidirectional RNN cannot stream)";
      }
      fail(member_path("state_dict", item.key()), "not a weight of this " + unit + " SimpleRNN" + why +
                                                      suggestion(item.key(), known) +
                                                      " (expected: " + join(known) + ")");
    }
    model.layers.push_back(std::move(recurrent));
    model.layers.push_back(std::move(linear));
    return model;
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& what) const {
    throw Error(prefix_ + (path.empty() ? "" : path + ": ") + what);
  }

  const Json& object_at(const Json& parent, const char* key, const std::string& meaning) const {
    const auto found = parent.find(key);
    if (found == parent.end()) fail(key, "missing (expected an object: " + meaning + ")");
    if (!found->is_object()) fail(key, "expected an object (" + meaning + "), got " + describe(*found));
    return *found;
  }

  int integer_in(const Json& value, const std::string& path, long long min, long long max) const {
    const std::optional<long long> number = integer_value(value);
    if (!number || *number < min)
      fail(path, "expected an integer >= " + std::to_string(min) + ", got " + describe(value));
    if (*number > max) {
      fail(path, "must be at most " + std::to_string(max) + " (a limit against malformed files), got " +
                     describe(value));
    }
    return static_cast<int>(*number);
  }

  int size(const Json& data, const char* key, int max) const {
    const std::string path = member_path("model_data", key);
    const auto found = data.find(key);
    if (found == data.end()) fail(path, "missing (expected an integer >= 1)");
    return integer_in(*found, path, 1, max);
  }

  std::string read_unit_type(const Json& data) const {
    const auto found = data.find("unit_type");
    if (found == data.end()) fail("model_data.unit_type", "missing (expected \"LSTM\" or \"GRU\")");
    if (!found->is_string())
      fail("model_data.unit_type", "expected \"LSTM\" or \"GRU\", got " + describe(*found));
    const std::string& unit = found->get_ref<const std::string&>();
    if (unit == "RNN")
      fail("model_data.unit_type", "\"RNN\" (an Elman RNN) is not supported; rtn reads \"LSTM\" and \"GRU\"");
    if (unit != "LSTM" && unit != "GRU")
      fail("model_data.unit_type", "expected \"LSTM\" or \"GRU\", got " + describe(*found));
    return unit;
  }

  // Python writes bias_fl as true/false, or 1/0 when a config file gave a number.
  bool read_bias_flag(const Json& data) const {
    const auto found = data.find("bias_fl");
    if (found == data.end()) return true;  // SimpleRNN's default
    if (found->is_boolean()) return found->get<bool>();
    const std::optional<long long> number = integer_value(*found);
    if (!number || (*number != 0 && *number != 1)) {
      fail("model_data.bias_fl", "expected true or false, got " + describe(*found));
    }
    return *number == 1;
  }

  // SimpleRNN does not record a sample rate; some tools add one, to model_data or the top level.
  void read_sample_rate(const Json& root, const Json& data, ModelDefinition& model) const {
    for (const auto& [object, path] : {std::pair{&data, std::string("model_data.samplerate")},
                                       std::pair{&root, std::string("samplerate")}}) {
      const auto found = object->find("samplerate");
      if (found == object->end()) continue;
      if (!found->is_number() || !(found->get<double>() > 0) || !(found->get<double>() < 1e12)) {
        fail(path, "expected a sample rate in Hz (a number > 0), got " + describe(*found));
      }
      model.sample_rate = found->get<double>();
      model.sample_rate_known = true;
      return;
    }
  }

  // Bounds what the model will allocate before any weight array is read.
  void check_cost(std::size_t weights) const {
    if (weights > kMaxTotalWeights) {
      fail("model_data", "the model would hold more than " + std::to_string(kMaxTotalWeights) +
                             " weights (a limit against malformed files)");
    }
  }

  Tensor weight(const Json& state, const std::string& name, const std::vector<int>& shape,
                std::set<std::string>& used) const {
    const std::string path = member_path("state_dict", name);
    const auto found = state.find(name);
    if (found == state.end()) {
      std::string why;
      if (name == "lin.bias") why = " (model_data.bias_fl is true)";
      fail(path, "missing (expected " + Tensor{shape, {}}.shape_string() + ")" + why);
    }
    Tensor tensor = read_weight_tensor(*found, path, prefix_);
    if (tensor.shape != shape) {
      fail(path, "expected " + Tensor{shape, {}}.shape_string() + " (from model_data), got " +
                     tensor.shape_string());
    }
    used.insert(name);
    return tensor;
  }

  const std::string& source_;
  const std::string prefix_;
};

}  // namespace

ModelDefinition read_guitarml_model(const io::Json& root, const std::string& source) {
  return GuitarmlReader(source).read(root);
}

}  // namespace rtn
