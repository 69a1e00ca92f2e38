#pragma once
// The interface between `rtn` and its libtorch plugin (librtn-torch-plugin.so, built beside it).
// libtorch takes most of a second to load; `rtn info` and `rtn process` should not pay that, so only
// `rtn bench` loads it, on demand, with dlopen. Plain C types and function pointers cross the
// boundary, and no exception does: both sides come from the same build.
#include "rtn/model.hpp"

extern "C" {

struct RtnTorchPluginApi {
  int version;  // kRtnTorchPluginVersion
  // A libtorch model running `definition` block by block with carried state; nullptr on failure, with
  // the reason in `error` (at most error_size bytes, terminated).
  void* (*create)(const rtn::ModelDefinition* definition, char* error, int error_size);
  void (*destroy)(void* model);
  // frames x input_channels in, frames x output_channels out; false (and `error` set) if torch threw.
  bool (*process)(void* model, const float* in, float* out, int frames, char* error, int error_size);
  void (*reset)(void* model);
  // libtorch on the calling thread only, as an audio callback would run it.
  void (*use_one_thread)();
  // "libtorch 1.13.1, BLAS: ..., 1 thread" into `text`.
  void (*describe)(char* text, int size);
};

// The plugin's one exported symbol.
const RtnTorchPluginApi* rtn_torch_plugin_api();
}

constexpr int kRtnTorchPluginVersion = 1;
