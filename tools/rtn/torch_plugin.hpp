#pragma once
// `rtn bench`'s access to libtorch: loads librtn-torch-plugin.so from the directory of the running
// executable (or $RTN_TORCH_PLUGIN) the first time it is needed.
#include <memory>
#include <string>

#include "rtn/model.hpp"
#include "tools/rtn/torch_plugin_api.hpp"

namespace rtn::cli {

// A libtorch model from the plugin. Its methods throw rtn::Error when torch fails.
class TorchModel {
 public:
  TorchModel(const RtnTorchPluginApi& api, void* model) : api_(api), model_(model) {}
  ~TorchModel() { api_.destroy(model_); }
  TorchModel(const TorchModel&) = delete;
  TorchModel& operator=(const TorchModel&) = delete;

  void process(const float* in, float* out, int frames);
  void reset() { api_.reset(model_); }

 private:
  const RtnTorchPluginApi& api_;
  void* model_;
};

// The plugin's interface, or nullptr with the reason in `why_not` (not built, not found, wrong version).
const RtnTorchPluginApi* load_torch_plugin(std::string& why_not);
// A libtorch model of `definition`; throws rtn::Error with the reason if libtorch cannot run it.
std::unique_ptr<TorchModel> make_torch_model(const RtnTorchPluginApi& api, const ModelDefinition& definition);
// "libtorch 1.13.1, BLAS: ..., 1 thread".
std::string describe_torch(const RtnTorchPluginApi& api);

}  // namespace rtn::cli
