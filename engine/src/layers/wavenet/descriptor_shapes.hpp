#pragma once
// The WaveNet architectures (LayerKind::wavenet) its descriptor gives the tests and benchmarks.
#include <vector>

#include "rtn/layer_spec.hpp"

namespace rtn {

// Neural Amp Modeler's classic shapes and its newer features (gating, blending, bottleneck, groups, head1x1,
// FiLM, a condition network, a post-stack head), a few seconds of conformance testing in all.
std::vector<LayerSpec> wavenet_conformance_shapes();
// A shortened "standard" preset.
LayerSpec wavenet_typical_shape();

}  // namespace rtn
