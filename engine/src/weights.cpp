#include "rtn/weights.hpp"

#include <cmath>
#include <set>
#include <sstream>

#include "rtn/error.hpp"
#include "rtn/layer_descriptor.hpp"

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
  std::vector<WeightShape> shapes;
  const LayerDescriptor* descriptor = find_layer_descriptor(spec.kind);
  if (descriptor && descriptor->weights) descriptor->weights(spec, shapes);
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
