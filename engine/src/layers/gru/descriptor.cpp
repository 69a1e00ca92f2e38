// nn.GRU (gates r,z,n), and Keras' reset_after=False variant, where the reset gate scales h before W_hn.
#include <tuple>

#include "layers/recurrent_descriptor.hpp"

namespace rtn {

std::vector<LayerDescriptor> gru_descriptors() {
  LayerDescriptor gru = recurrent_descriptor(LayerKind::gru, "gru");
  LayerParameter reset_after = LayerParameter::flag("reset_after", "reset_after", &LayerSpec::reset_after);
  reset_after.key_only_when_changed = true;  // so the keys of PyTorch-style GRUs in existing profiles stay valid
  gru.parameters.push_back(reset_after);
  gru.conformance_shapes = [] {
    std::vector<LayerSpec> shapes = recurrent_conformance_shapes(LayerKind::gru);
    // Keras' reset_after=False (r scales h before W_hn): odd, padded and stacked sizes, with and without bias.
    for (auto [in, hidden, layers, bias] : {std::tuple{1, 1, 1, true}, {1, 8, 1, true}, {3, 17, 1, false},
                                            {16, 16, 1, true}, {1, 40, 1, true}, {2, 13, 2, true}}) {
      LayerSpec spec = LayerSpec::gru(in, hidden, layers, bias);
      spec.reset_after = false;
      shapes.push_back(spec);
    }
    return shapes;
  };
  gru.typical_shape = [] { return LayerSpec::gru(3, 17, 2); };
  return {gru};
}

}  // namespace rtn
