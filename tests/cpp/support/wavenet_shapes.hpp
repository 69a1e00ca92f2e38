#pragma once
// The WaveNet architectures (LayerKind::wavenet) that conformance_shapes() and typical_shape() give: its
// descriptor's (engine/src/layers/wavenet/descriptor_shapes.cpp).
#include <vector>

#include "rtn/layer_descriptor.hpp"

namespace rtn::testing {

// Neural Amp Modeler's classic shapes and its newer features (gating, blending, bottleneck, groups, head1x1,
// FiLM, a condition network, a post-stack head), a few seconds of conformance testing in all.
inline std::vector<LayerSpec> wavenet_conformance_shapes() {
  return layer_descriptor(LayerKind::wavenet).conformance_shapes();
}
// A shortened "standard" preset.
inline LayerSpec wavenet_typical_shape() { return layer_descriptor(LayerKind::wavenet).typical_shape(); }

}  // namespace rtn::testing
