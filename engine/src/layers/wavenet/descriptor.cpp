// Neural Amp Modeler's WaveNet as one layer: what it computes is its architecture (rtn/wavenet_spec.hpp), which
// only a .nam file (or a suite's "config") describes.
#include <algorithm>
#include <cmath>

#include "layers/variant_with_kernel.hpp"
#include "layers/wavenet/descriptor_shapes.hpp"
#include "rtn/layer_descriptor.hpp"
#include "rtn/wavenet_spec.hpp"

namespace rtn {

namespace {

std::string validate(const LayerSpec& spec) {
  if (!spec.architecture) return "a wavenet layer needs its architecture";
  if (spec.input_size < 1) return "input size must be at least 1, got " + std::to_string(spec.input_size);
  if (spec.output_size < 1) return "output size must be at least 1, got " + std::to_string(spec.output_size);
  if (std::string inconsistency = spec.architecture->validate(); !inconsistency.empty()) return inconsistency;
  const WaveNetSpec& architecture = *spec.architecture;
  if (spec.input_size != architecture.input_size || spec.output_size != architecture.output_size()) {
    return "wavenet sizes (" + std::to_string(spec.input_size) + " in, " + std::to_string(spec.output_size) +
           " out) differ from its architecture's (" + std::to_string(architecture.input_size) + " in, " +
           std::to_string(architecture.output_size()) + " out)";
  }
  return "";
}

}  // namespace

std::vector<LayerDescriptor> wavenet_descriptors() {
  LayerDescriptor wavenet;
  wavenet.kind = LayerKind::wavenet;
  wavenet.name = "wavenet";
  wavenet.validate = &validate;
  wavenet.key = [](const LayerSpec& spec) { return spec.architecture ? spec.architecture->to_string() : "none"; };
  wavenet.weights = [](const LayerSpec& spec, std::vector<WeightShape>& shapes) {
    if (spec.architecture) spec.architecture->append_expected_weights(shapes);
  };
  wavenet.flops_per_frame = [](const LayerSpec& spec) {
    return spec.architecture ? spec.architecture->flops_per_frame() : 0.0;
  };
  wavenet.history_frames = [](const LayerSpec& spec) {
    return spec.architecture ? static_cast<int>(spec.architecture->history_frames()) : 0;
  };
  wavenet.not_in_model_files = "a wavenet cannot be described in rtn JSON v1; load the Neural Amp Modeler .nam file itself";
  // xsimd: since the register-blocked products and the shifted-product convolution, interleaved on NAM WaveNets
  // (docs/backends.md): standard in blocks of 64 xsimd 2343 vs eigen 3611 ns/sample, nano 1704 vs 2912, standard
  // per sample 8915 vs 11669 (a loaded machine: the ratios count). WaveNets of one width that xsimd.fixed is
  // compiled for (A2, 8 channels): in blocks of 64, 8% faster than xsimd at the median block latency
  // (interleaved, a loaded machine).
  // xsimd.lanes (a chunk's frames in the SIMD lanes) on the networks it computes, in blocks of 8 frames or more:
  // rtn bench, blocks of 64, Emerald Rapids (AVX-512), quiet: A2 717 -> 260 ns/sample (xsimd.fixed -> lanes),
  // nano 446 -> 55, feather 493 -> 120, standard 636 -> 352 (xsimd -> lanes); A2 in blocks of 8 1028 -> 950,
  // per sample 2490 -> 7447 (a chunk of one frame fills one lane of each register).
  wavenet.default_implementation = [](const LayerSpec& spec, int block) -> Implementation {
    if (block >= 8) {
      if (auto lanes = variant_with_kernel(spec, "xsimd.lanes")) return *lanes;
    }
    if (auto fixed = variant_with_kernel(spec, "xsimd.fixed")) return *fixed;
    return Backend::xsimd;
  };
  wavenet.conformance_shapes = &wavenet_conformance_shapes;
  wavenet.typical_shape = &wavenet_typical_shape;
  wavenet.benchmark_shapes = [] { return std::vector<LayerSpec>{wavenet_typical_shape()}; };  // a whole network
  wavenet.test_weight_range = [](const LayerSpec& spec, const WeightShape& weight) {
    // Its convolutions ([out][in/groups][kernel]): their own fan-in; the rest: the input size.
    const int fan_in = weight.shape.size() == 3 ? weight.shape[1] * weight.shape[2] : spec.input_size;
    const float bound = 1.0f / std::sqrt(static_cast<float>(std::max(fan_in, 1)));
    return WeightRange{-bound, bound};
  };
  return {wavenet};
}

}  // namespace rtn
