#include <algorithm>

#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

namespace {

namespace F = torch::nn::functional;

// TensorFlow's "same" split of the zeros along features, written out from its definition (not from rtn's):
// enough for ceil(features / stride) outputs, the odd one after. {before, after}; "valid": none.
std::pair<int64_t, int64_t> feature_padding(const LayerSpec& spec) {
  if (!spec.same_padding) return {0, 0};
  const int64_t outputs = (spec.features + spec.stride - 1) / spec.stride;
  const int64_t total = std::max<int64_t>((outputs - 1) * spec.stride + spec.kernel_features - spec.features, 0);
  return {total / 2, total - total / 2};
}

// Conv2d on an image whose time axis already holds the (k-1)*d frames of history before the outputs' frames.
torch::Tensor convolve(const LayerSpec& spec, const torch::Tensor& weight, const torch::Tensor& bias,
                       const torch::Tensor& image) {
  const auto [before, after] = feature_padding(spec);
  const torch::Tensor padded = F::pad(image, F::PadFuncOptions({before, after, 0, 0}));
  auto options = F::Conv2dFuncOptions().stride({1, spec.stride}).dilation({spec.dilation, 1}).groups(spec.groups);
  if (spec.bias) options.bias(bias);
  return F::conv2d(padded, weight, options);
}

// Conv2d streaming: the last (k-1)*d frames of input are kept for the next call.
class StreamingConv2d final : public TorchLayer {
 public:
  StreamingConv2d(const LayerSpec& spec, const Weights& weights) : spec_(spec), weight_(to_torch(weights.at("weight"))) {
    if (spec.bias) bias_ = to_torch(weights.at("bias"));
    reset();
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    const torch::Tensor extended = torch::cat({history_, frames_to_image(x, spec_.features, spec_.in_channels)}, 2);
    const torch::Tensor y = convolve(spec_, weight_, bias_, extended);
    const int64_t keep = spec_.history_frames();
    if (keep > 0) history_ = extended.slice(2, extended.size(2) - keep).contiguous();
    return image_to_frames(y);
  }

  void reset() override {
    history_ = torch::zeros({1, spec_.in_channels, spec_.history_frames(), spec_.features}, torch::kFloat32);
  }

 private:
  LayerSpec spec_;
  torch::Tensor weight_, bias_, history_;
};

}  // namespace

std::vector<float> torch_conv2d(const LayerSpec& spec, const Weights& weights, const std::vector<float>& input,
                                int frames) {
  // Causal along time: (k-1)*d zero frames before the first, none after.
  torch::Tensor image = frames_to_image(frames_to_torch(input, frames, spec.input_size), spec.features, spec.in_channels);
  image = F::pad(image, F::PadFuncOptions({0, 0, spec.history_frames(), 0}));
  const torch::Tensor bias = spec.bias ? to_torch(weights.at("bias")) : torch::Tensor();
  return from_torch(image_to_frames(convolve(spec, to_torch(weights.at("weight")), bias, image)));
}

std::unique_ptr<TorchLayer> torch_conv2d_layer(const LayerSpec& spec, const Weights& weights) {
  return std::make_unique<StreamingConv2d>(spec, weights);
}

std::vector<TorchReference> torch_conv2d_references() {
  return {{"conv2d", &torch_conv2d, &torch_conv2d_layer}};
}

}  // namespace rtn::testing
