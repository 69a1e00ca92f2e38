#pragma once
// What GRU and LSTM describe alike (rtn/layer_descriptor.hpp): stacks of layers with PyTorch's weights
// weight_ih_l{n}, weight_hh_l{n}, bias_ih_l{n}, bias_hh_l{n} of `gates` gates each; their descriptors
// (gru/descriptor.cpp, lstm/descriptor.cpp) add what differs. The default rule is shared: xsimd.fixed where it
// has the hidden size, else xsimd.
#include "rtn/layer_descriptor.hpp"

namespace rtn {

LayerDescriptor recurrent_descriptor(LayerKind kind, const char* name);

// The conformance grid both kinds share: every test size as hidden size, on one input and on another size,
// and stacks of 2 and 3 layers.
std::vector<LayerSpec> recurrent_conformance_shapes(LayerKind kind);

}  // namespace rtn
