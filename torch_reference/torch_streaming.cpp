#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_streaming.hpp"

#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

namespace {

// One layer, streaming, from its kind's torch reference. Throws NoTorchEquivalent for a kind without one.
std::unique_ptr<TorchLayer> streaming_layer(const LayerSpec& spec, const Weights& weights) {
  torch::NoGradGuard no_grad;
  const TorchReference* reference = find_torch_reference(spec.kind);
  if (!reference || !reference->streaming) {
    throw NoTorchEquivalent("libtorch has no streaming equivalent of " + spec.to_string() + " here");
  }
  return reference->streaming(spec, weights);
}

ModelDefinition one_layer_model(const LayerSpec& spec, const Weights& weights) {
  ModelDefinition definition;
  definition.name = spec.to_string();
  definition.input_channels = spec.input_size;
  definition.output_channels = spec.output_size;
  definition.layers.push_back({spec, weights});
  return definition;
}

// The file behind the BLAS that this process loaded (libtorch links libblas.so.3, which Debian's
// alternatives point at reference BLAS, OpenBLAS, BLIS or MKL).
std::string loaded_blas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const std::size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string name = path.substr(path.rfind('/') + 1);
    if (name.find("blas") != std::string::npos || name.find("mkl_rt") != std::string::npos ||
        name.find("blis") != std::string::npos) {
      return path;
    }
  }
  return "unknown";
}

}  // namespace

struct TorchStreamingModel::Impl {
  ModelDefinition definition;  // metadata; the weights live in the modules
  std::vector<std::unique_ptr<TorchLayer>> layers;
  std::vector<LayerSpec> specs;  // each layer's, for the frames it writes
};

TorchStreamingModel::TorchStreamingModel(const ModelDefinition& definition)
    : impl_(std::make_unique<Impl>()) {
  impl_->definition = definition;
  impl_->definition.layers.clear();
  for (const LayerDefinition& layer : definition.layers) {
    impl_->layers.push_back(streaming_layer(layer.spec, layer.weights));
    impl_->specs.push_back(layer.spec);
  }
}

TorchStreamingModel::TorchStreamingModel(const LayerSpec& spec, const Weights& weights)
    : TorchStreamingModel(one_layer_model(spec, weights)) {}

TorchStreamingModel::~TorchStreamingModel() = default;
TorchStreamingModel::TorchStreamingModel(TorchStreamingModel&&) noexcept = default;
TorchStreamingModel& TorchStreamingModel::operator=(TorchStreamingModel&&) noexcept = default;

int TorchStreamingModel::process(const float* in, float* out, int frames) {
  // InferenceMode: no autograd bookkeeping, libtorch's fastest path for inference.
  c10::InferenceMode inference;
  const ModelDefinition& definition = impl_->definition;
  torch::Tensor x =
      torch::from_blob(const_cast<float*>(in), {1, frames, definition.input_channels}, torch::kFloat32);
  if (definition.input_gain != 1.0f) x = x * definition.input_gain;
  torch::Tensor y = x;
  for (const auto& layer : impl_->layers) y = layer->forward(y);
  if (definition.input_skip) y = y + x;
  if (definition.output_gain != 1.0f) y = y * definition.output_gain;
  y = y.contiguous();
  std::memcpy(out, y.data_ptr<float>(), sizeof(float) * static_cast<std::size_t>(y.numel()));
  return static_cast<int>(y.size(1));
}

void TorchStreamingModel::reset() {
  for (const auto& layer : impl_->layers) layer->reset();
}

int TorchStreamingModel::input_channels() const noexcept { return impl_->definition.input_channels; }
int TorchStreamingModel::output_channels() const noexcept { return impl_->definition.output_channels; }

int TorchStreamingModel::max_output_frames(int frames) const {
  for (const LayerSpec& spec : impl_->specs) frames = spec.max_output_frames(frames);
  return frames;
}

std::string torch_configuration() {
  std::string blas_info = "unknown";
  const std::string config = at::show_config();
  if (const std::size_t at = config.find("BLAS_INFO="); at != std::string::npos) {
    blas_info = config.substr(at + 10, config.find(',', at) - at - 10);
  }
  std::string blas = loaded_blas();
  // Through the alternatives symlinks to the library really in use.
  char resolved[4096];
  if (blas != "unknown" && realpath(blas.c_str(), resolved)) blas = resolved;
  return "libtorch " + std::string(TORCH_VERSION) + ", BLAS_INFO=" + blas_info + ", BLAS library " + blas +
         ", intra-op threads " + std::to_string(at::get_num_threads()) + ", inter-op threads " +
         std::to_string(at::get_num_interop_threads());
}

void use_one_torch_thread() {
  at::set_num_threads(1);
  // The inter-op pool can be sized only once, before any parallel work; later calls throw.
  try {
    at::set_num_interop_threads(1);
  } catch (const std::exception&) {
  }
}

}  // namespace rtn::testing
