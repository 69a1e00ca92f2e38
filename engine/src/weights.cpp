#include "rtn/weights.hpp"

#include <cmath>
#include <set>
#include <sstream>

#include "rtn/error.hpp"
#include "rtn/wavenet_spec.hpp"

namespace rtn {

std::string Tensor::shape_string() const {
  if (shape.empty()) return "scalar";
  std::string text;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) text += 'x';
    text += std::to_string(shape[i]);
  }
  return text;
}

std::vector<WeightShape> expected_weights(const LayerSpec& spec) {
  const int in = spec.input_size, out = spec.output_size;
  std::vector<WeightShape> shapes;
  switch (spec.kind) {
    case LayerKind::dense:
      shapes.push_back({"weight", {out, in}});
      if (spec.bias) shapes.push_back({"bias", {out}});
      break;
    case LayerKind::conv1d:
      shapes.push_back({"weight", {out, in / spec.groups, spec.kernel_size}});
      if (spec.bias) shapes.push_back({"bias", {out}});
      break;
    case LayerKind::gru:
    case LayerKind::lstm: {
      const int gates = (spec.kind == LayerKind::gru ? 3 : 4) * out;
      for (int layer = 0; layer < spec.num_layers; ++layer) {
        const std::string suffix = "_l" + std::to_string(layer);
        shapes.push_back({"weight_ih" + suffix, {gates, layer == 0 ? in : out}});
        shapes.push_back({"weight_hh" + suffix, {gates, out}});
        if (spec.bias) {
          shapes.push_back({"bias_ih" + suffix, {gates}});
          shapes.push_back({"bias_hh" + suffix, {gates}});
        }
      }
      if (spec.initial_state) {
        for (int layer = 0; layer < spec.num_layers; ++layer) {
          shapes.push_back({"initial_h_l" + std::to_string(layer), {out}});
          shapes.push_back({"initial_c_l" + std::to_string(layer), {out}});
        }
      }
      break;
    }
    case LayerKind::batchnorm1d:
      for (const char* name : {"weight", "bias", "running_mean", "running_var"}) shapes.push_back({name, {in}});
      break;
    case LayerKind::prelu:
      shapes.push_back({"weight", {spec.num_parameters}});
      break;
    case LayerKind::wavenet:
      if (spec.architecture) spec.architecture->append_expected_weights(shapes);
      break;
    default:
      break;
  }
  return shapes;
}

namespace {

std::string shape_text(const std::vector<int>& shape) { return Tensor{shape, {}}.shape_string(); }

}  // namespace

void check_weights(const LayerSpec& spec, const Weights& weights) {
  const std::vector<WeightShape> expected = expected_weights(spec);
  std::set<std::string> known;
  for (const WeightShape& want : expected) {
    known.insert(want.name);
    const auto found = weights.find(want.name);
    if (found == weights.end()) {
      throw Error("weights." + want.name + ": missing (expected " + shape_text(want.shape) + ")");
    }
    const Tensor& tensor = found->second;
    if (tensor.shape != want.shape) {
      throw Error("weights." + want.name + ": expected " + shape_text(want.shape) + ", got " +
                  tensor.shape_string());
    }
    std::size_t count = 1;
    for (int extent : tensor.shape) count *= static_cast<std::size_t>(extent);
    if (tensor.values.size() != count) {
      throw Error("weights." + want.name + ": shape " + tensor.shape_string() + " needs " +
                  std::to_string(count) + " values, got " + std::to_string(tensor.values.size()));
    }
    for (std::size_t i = 0; i < tensor.values.size(); ++i) {
      if (!std::isfinite(tensor.values[i])) {
        std::ostringstream message;
        message << "weights." << want.name << ": value " << i << " is " << tensor.values[i]
                << " (weights must be finite)";
        throw Error(message.str());
      }
    }
  }
  for (const auto& [name, tensor] : weights) {
    if (!known.count(name)) {
      std::string names;
      for (const WeightShape& want : expected) names += (names.empty() ? "" : ", ") + want.name;
      throw Error("weights." + name + ": not a weight of " + std::string(layer_kind_name(spec.kind)) +
                  " (expected: " + (names.empty() ? "none" : names) + ")");
    }
  }
}

}  // namespace rtn
