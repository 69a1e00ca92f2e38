#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "rtn/error.hpp"
#include "tools/rtn/torch_plugin.hpp"

namespace rtn::cli {

namespace {

constexpr int kMessageSize = 1024;

std::string executable_directory() {
  char path[4096];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return ".";
  std::string text(path, static_cast<std::size_t>(length));
  const std::size_t slash = text.rfind('/');
  return slash == std::string::npos ? "." : text.substr(0, slash);
}

}  // namespace

void TorchModel::process(const float* in, float* out, int frames) {
  char error[kMessageSize] = "";
  if (!api_.process(model_, in, out, frames, error, kMessageSize)) throw Error(std::string("libtorch: ") + error);
}

const RtnTorchPluginApi* load_torch_plugin(std::string& why_not) {
  static const RtnTorchPluginApi* api = nullptr;
  static std::string failure;
  static bool tried = false;
  if (!tried) {
    tried = true;
    const char* configured = std::getenv("RTN_TORCH_PLUGIN");
    const std::string path = configured ? configured : executable_directory() + "/librtn-torch-plugin.so";
    if (void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
      using Entry = const RtnTorchPluginApi* (*)();
      const auto entry = reinterpret_cast<Entry>(dlsym(library, "rtn_torch_plugin_api"));
      if (!entry) {
        failure = path + " has no rtn_torch_plugin_api";
      } else if (entry()->version != kRtnTorchPluginVersion) {
        failure = path + " is from another version of rtn";
      } else {
        api = entry();
      }
    } else {
      const char* reason = dlerror();
      failure = "cannot load the libtorch plugin (" + std::string(reason ? reason : path) +
                "); this rtn may have been built without libtorch (RTN_CLI_WITH_TORCH)";
    }
  }
  why_not = failure;
  return api;
}

std::unique_ptr<TorchModel> make_torch_model(const RtnTorchPluginApi& api, const ModelDefinition& definition) {
  char error[kMessageSize] = "";
  void* model = api.create(&definition, error, kMessageSize);
  if (!model) throw Error(error);
  return std::make_unique<TorchModel>(api, model);
}

std::string describe_torch(const RtnTorchPluginApi& api) {
  char text[kMessageSize] = "";
  api.describe(text, kMessageSize);
  return text;
}

}  // namespace rtn::cli
