// nn.LSTM (gates i,f,g,o), optionally with a stored initial state that reset() restores (Neural Amp Modeler's).
#include <tuple>

#include "layers/recurrent_descriptor.hpp"

namespace rtn {

std::vector<LayerDescriptor> lstm_descriptors() {
  LayerDescriptor lstm = recurrent_descriptor(LayerKind::lstm, "lstm");
  // Not a key of rtn's JSON: the loaders of formats that store an initial state set it.
  LayerParameter initial_state = LayerParameter::flag("", "initial_state", &LayerSpec::initial_state);
  initial_state.key_only_when_changed = true;
  lstm.parameters.push_back(initial_state);
  lstm.conformance_shapes = [] {
    std::vector<LayerSpec> shapes = recurrent_conformance_shapes(LayerKind::lstm);
    // A stored initial state (Neural Amp Modeler's LSTM), which reset() restores.
    for (auto [in, hidden, layers] : {std::tuple{1, 3, 1}, {2, 17, 2}}) {
      LayerSpec spec = LayerSpec::lstm(in, hidden, layers, true);
      spec.initial_state = true;
      shapes.push_back(spec);
    }
    return shapes;
  };
  lstm.typical_shape = [] { return LayerSpec::lstm(3, 17, 2); };
  return {lstm};
}

}  // namespace rtn
