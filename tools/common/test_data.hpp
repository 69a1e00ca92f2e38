#pragma once
// Random weights and signals, the shape grid every kernel is tested on, and error measures.
#include <random>
#include <string>
#include <vector>

#include "rtn/layer_spec.hpp"
#include "rtn/model.hpp"
#include "rtn/registry.hpp"
#include "rtn/weights.hpp"

namespace rtn::testing {

// Weights of every array the spec needs, uniform in the kind's test range (rtn/layer_descriptor.hpp), by
// default +-1/sqrt(fan-in) as PyTorch initialises them. Deterministic for a given generator state.
Weights random_weights(const LayerSpec& spec, std::mt19937& rng);
// A model of `specs` in a chain, each layer with random_weights() from a generator seeded with `seed`; its
// channels are the first layer's input and the last one's output.
ModelDefinition random_model(const std::vector<LayerSpec>& specs, unsigned seed, bool input_skip = false);
// frames x channels uniform values in [-amplitude, amplitude].
std::vector<float> random_signal(int frames, int channels, std::mt19937& rng, float amplitude = 1.0f);

// The shapes the conformance test runs each kernel of `kind` on (its descriptor's): sizes 1, 2, 3, 7, 8, 13,
// 16, 17, 24, 32, 40, 64 (odd sizes and non-multiples of every SIMD width), and for conv1d kernels 1-5,
// dilations 1, 2, 4 and groups.
std::vector<LayerSpec> conformance_shapes(LayerKind kind);
// One mid-sized, typical shape of `kind` (for the block-size and allocation tests).
LayerSpec typical_shape(LayerKind kind);
// typical_shape(entry.kind) if the entry computes it, else the largest conformance shape it computes (a
// fixed-size kernel's).
LayerSpec typical_shape(const KernelEntry& entry);

// max |actual - expected| / max(max |expected|, 1): relative to the signal's peak, absolute below 1.
double normalised_max_error(const std::vector<float>& actual, const std::vector<float>& expected);
double max_abs_error(const std::vector<float>& actual, const std::vector<float>& expected);

// The error bound a kernel of `kind` must meet against libtorch: 1e-5 relative (normalised as above)
// for stateless layers, 1e-4 absolute for recurrent ones.
double tolerance(LayerKind kind);

// A GoogleTest-safe name of a registry entry: "dense_xsimd_fixed".
std::string kernel_test_name(const KernelEntry& entry);
// An implementation's name with '.' and '-' as '_', for test names: "xsimd_fixed".
std::string test_name(Implementation implementation);
bool is_recurrent(LayerKind kind);

}  // namespace rtn::testing
