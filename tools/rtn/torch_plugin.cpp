// librtn-torch-plugin.so: rtn's libtorch reference model (torch_reference/torch_streaming) behind the
// C interface of torch_plugin_api.hpp.
#include <cstdio>
#include <exception>

#include "tools/rtn/torch_plugin_api.hpp"
#include "torch_reference/torch_streaming.hpp"

namespace {

void write_error(char* error, int size, const char* text) {
  if (error && size > 0) std::snprintf(error, static_cast<std::size_t>(size), "%s", text);
}

void* create(const rtn::ModelDefinition* definition, char* error, int error_size) {
  try {
    return new rtn::testing::TorchStreamingModel(*definition);
  } catch (const std::exception& exception) {
    write_error(error, error_size, exception.what());
  }
  return nullptr;
}

void destroy(void* model) { delete static_cast<rtn::testing::TorchStreamingModel*>(model); }

bool process(void* model, const float* in, float* out, int frames, char* error, int error_size) {
  try {
    static_cast<rtn::testing::TorchStreamingModel*>(model)->process(in, out, frames);
    return true;
  } catch (const std::exception& exception) {
    write_error(error, error_size, exception.what());
  }
  return false;
}

void reset(void* model) { static_cast<rtn::testing::TorchStreamingModel*>(model)->reset(); }

void use_one_thread() { rtn::testing::use_one_torch_thread(); }

void describe(char* text, int size) { write_error(text, size, rtn::testing::torch_configuration().c_str()); }

const RtnTorchPluginApi kApi = {kRtnTorchPluginVersion, &create, &destroy, &process, &reset, &use_one_thread,
                                &describe};

}  // namespace

extern "C" __attribute__((visibility("default"))) const RtnTorchPluginApi* rtn_torch_plugin_api() { return &kApi; }
