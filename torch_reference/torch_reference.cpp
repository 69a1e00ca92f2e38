#include "torch_reference/torch_reference.hpp"

#include <stdexcept>
#include <string>

#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

torch::Tensor to_torch(const Tensor& weight) {
  std::vector<int64_t> shape(weight.shape.begin(), weight.shape.end());
  return torch::tensor(weight.values, torch::kFloat32).reshape(shape).clone();
}

torch::Tensor frames_to_torch(const std::vector<float>& frames, int count, int channels) {
  return torch::tensor(std::vector<float>(frames.begin(), frames.begin() + static_cast<long>(count) * channels),
                       torch::kFloat32)
      .reshape({1, count, channels});
}

std::vector<float> from_torch(const torch::Tensor& tensor) {
  const torch::Tensor flat = tensor.contiguous().to(torch::kFloat32).reshape({-1});
  return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

torch::Tensor frames_to_image(const torch::Tensor& frames, int features, int channels) {
  return frames.reshape({1, frames.size(1), features, channels}).permute({0, 3, 1, 2});
}

torch::Tensor image_to_frames(const torch::Tensor& image) {
  return image.permute({0, 2, 3, 1}).reshape({1, image.size(2), image.size(1) * image.size(3)});
}

// Each layer folder's references (torch_reference/torch_<folder>.cpp).
#define RTN_LAYER(layer) std::vector<TorchReference> torch_##layer##_references();
#include "layers/layers.def"
#undef RTN_LAYER

namespace {

// Every built-in layer kind's references: one function per layer folder of engine/src/layers/layers.def,
// torch_<folder>_references() in torch_reference/torch_<folder>.cpp (or the file of its family).
std::vector<TorchReference>& reference_table() {
  static std::vector<TorchReference> table = [] {
    std::vector<TorchReference> references;
#define RTN_LAYER(layer) \
  for (TorchReference& reference : torch_##layer##_references()) references.push_back(std::move(reference));
#include "layers/layers.def"
#undef RTN_LAYER
    return references;
  }();
  return table;
}

}  // namespace

const TorchReference* find_torch_reference(LayerKind kind) {
  const std::string_view name = layer_kind_name(kind);
  for (const TorchReference& reference : reference_table()) {
    if (reference.kind == name) return &reference;
  }
  return nullptr;
}

void register_torch_reference(TorchReference reference) { reference_table().push_back(std::move(reference)); }

std::vector<float> torch_reference(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                   int frames) {
  torch::NoGradGuard no_grad;
  const TorchReference* reference = find_torch_reference(spec.kind);
  if (!reference) throw NoTorchEquivalent("no torch reference for " + spec.to_string());
  if (reference->whole) return reference->whole(spec, weights, input, frames);
  const std::unique_ptr<TorchLayer> layer = reference->streaming(spec, weights);
  return from_torch(layer->forward(frames_to_torch(input, frames, spec.input_size)));
}

}  // namespace rtn::testing
