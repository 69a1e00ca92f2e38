#include "layers/recurrent_descriptor.hpp"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "layers/layer_grids.hpp"
#include "layers/variant_with_kernel.hpp"

namespace rtn {

namespace {

// Gates per recurrent layer: r,z,n for GRU; i,f,g,o for LSTM.
int gates_per_unit(LayerKind kind) { return kind == LayerKind::gru ? 3 : 4; }

LayerSpec make(LayerKind kind, int in, int hidden, int layers, bool bias) {
  return kind == LayerKind::gru ? LayerSpec::gru(in, hidden, layers, bias) : LayerSpec::lstm(in, hidden, layers, bias);
}

void append_weights(const LayerSpec& spec, std::vector<WeightShape>& shapes) {
  const int in = spec.input_size, out = spec.output_size, gates = gates_per_unit(spec.kind) * out;
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
}

double flops_per_frame(const LayerSpec& spec) {
  const double out = spec.output_size, gates = gates_per_unit(spec.kind) * out;
  double total = 0;
  for (int layer = 0; layer < spec.num_layers; ++layer) {
    const double layer_in = layer == 0 ? spec.input_size : out;
    // Matrix-vector products, bias adds, one transcendental per gate, the state update.
    total += 2 * gates * (layer_in + out) + (spec.bias ? 2 * gates : 0) + gates + 5 * out;
  }
  return total;
}

}  // namespace

LayerDescriptor recurrent_descriptor(LayerKind kind, const char* name) {
  LayerDescriptor recurrent;
  recurrent.kind = kind;
  recurrent.name = name;
  recurrent.recurrent = true;
  recurrent.parameters = {
      LayerParameter::integer("input_size", "in", &LayerSpec::input_size, true),
      LayerParameter::integer("hidden_size", "hidden", &LayerSpec::output_size, true),
      LayerParameter::integer("num_layers", "layers", &LayerSpec::num_layers, false, kMaxRecurrentLayers),
      LayerParameter::flag("bias", "bias", &LayerSpec::bias)};
  recurrent.weights = &append_weights;
  recurrent.flops_per_frame = &flops_per_frame;
  recurrent.default_implementation = [](const LayerSpec& spec, int) -> Implementation {
    // xsimd.fixed where it has the hidden size, else xsimd (docs/backends.md). LSTM: xsimd by 7-30% at every
    // size and block, fixed within noise to 8% faster. GRU (Zen 4, 2026-11-30): fixed over xsimd by 12-153%
    // per sample and up to 35% in blocks (a tie at hidden 64); xsimd over Eigen by 36% in blocks, multi-input
    // GRUs too.
    if (auto fixed = variant_with_kernel(spec, "xsimd.fixed")) return *fixed;
    return Backend::xsimd;
  };
  recurrent.test_weight_range = [](const LayerSpec& spec, const WeightShape&) {
    const float bound = 1.0f / std::sqrt(static_cast<float>(std::max(spec.output_size, 1)));  // PyTorch's
    return WeightRange{-bound, bound};
  };
  recurrent.benchmark_shapes = kind == LayerKind::gru ? +[] {
    std::vector<LayerSpec> shapes;
    for (int hidden : {8, 16, 24, 32, 40, 64}) shapes.push_back(LayerSpec::gru(1, hidden));
    shapes.push_back(LayerSpec::gru(16, 16, 2));
    return shapes;
  } : +[] {
    std::vector<LayerSpec> shapes;
    for (int hidden : {8, 16, 24, 32, 40, 64}) shapes.push_back(LayerSpec::lstm(1, hidden));
    shapes.push_back(LayerSpec::lstm(16, 16, 2));
    return shapes;
  };
  return recurrent;
}

std::vector<LayerSpec> recurrent_conformance_shapes(LayerKind kind) {
  std::vector<LayerSpec> shapes;
  for (int hidden : test_sizes()) {
    shapes.push_back(make(kind, 1, hidden, 1, true));
    shapes.push_back(make(kind, hidden == 1 ? 2 : hidden - 1, hidden, 1, hidden % 2 == 0));
  }
  // (48: a fixed size whose LSTM keeps weight_hh packed, kPackedRecurrent, as 64's do, in each layer.)
  for (auto [in, hidden, layers] : {std::tuple{1, 8, 2}, {2, 13, 2}, {16, 16, 3}, {3, 40, 2}, {5, 48, 2}}) {
    shapes.push_back(make(kind, in, hidden, layers, true));
  }
  return shapes;
}

}  // namespace rtn
