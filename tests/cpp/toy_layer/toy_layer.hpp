#pragma once
// A toy layer kind added from outside the engine, through the public extension points only
// (rtn/layer_descriptor.hpp, rtn/registry.hpp, torch_reference/torch_reference.hpp), as a program that embeds
// rtn would add one: the tests that register it prove that a new kind is picked up by the conformance,
// allocation and tuner loops without an edit to the engine's sources.
//
// toy_scale: y = gain * x + bias, per channel. "gain" is its parameter (kept in LayerSpec::alpha, a float field
// of the spec), "bias" its one weight array.
#include "rtn/layer_spec.hpp"

namespace rtn::testing {

// The kind's name in model files, suites and keys.
constexpr const char* kToyLayerName = "toy_scale";

// Registers the kind and its kernel on every compiled-in backend, the first time; returns its LayerKind.
// Allocates the first time.
LayerKind toy_layer_kind();
// A toy_scale layer of `channels` channels.
LayerSpec toy_layer(int channels, float gain);

// Registers the kind's libtorch reference (toy_layer_reference.cpp, for the programs that link libtorch).
void register_toy_layer_reference();

}  // namespace rtn::testing
