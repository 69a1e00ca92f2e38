#include <algorithm>

#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

namespace {

namespace F = torch::nn::functional;

// PyTorch's ConvTranspose1d(padding=0) on [1, channels, frames], the bias left out, with output_padding making
// it at least frames * stride long: (frames - 1) s + d (k - 1) + 1 + output_padding.
torch::Tensor transposed(const LayerSpec& spec, const torch::Tensor& weight, const torch::Tensor& x) {
  const int span = spec.dilation * (spec.kernel_size - 1) + 1;
  return F::conv_transpose1d(x, weight,
                             F::ConvTranspose1dFuncOptions()
                                 .stride(spec.stride)
                                 .dilation(spec.dilation)
                                 .groups(spec.groups)
                                 .output_padding(std::max(0, spec.stride - span)));
}

torch::Tensor bias_of(const LayerSpec& spec, const Weights& weights) {
  return spec.bias ? to_torch(weights.at("bias")) : torch::zeros({spec.output_size}, torch::kFloat32);
}

// The whole signal at once: PyTorch's output frames 0 ... frames * stride - 1, what the stream writes for
// `frames` input frames (docs/strided-convolutions.md). Where PyTorch's output is shorter (a kernel's span
// below the stride), output_padding's frames are the bias alone, as the stream's.
std::vector<float> torch_conv_transpose1d(const LayerSpec& spec, const Weights& weights,
                                          const std::vector<float>& input, int frames) {
  const torch::Tensor x = frames_to_torch(input, frames, spec.input_size).transpose(1, 2);
  torch::Tensor y = transposed(spec, to_torch(weights.at("weight")), x).slice(2, 0, int64_t{frames} * spec.stride);
  y = y + bias_of(spec, weights).view({1, -1, 1});
  return from_torch(y.transpose(1, 2));
}

// Streaming by overlap-add in torch: each call's transposed convolution, its first frames * stride frames plus
// what the previous calls left over them out, the rest kept for the next call.
class StreamingConvTranspose1d final : public TorchLayer {
 public:
  StreamingConvTranspose1d(const LayerSpec& spec, const Weights& weights)
      : spec_(spec), weight_(to_torch(weights.at("weight"))), bias_(bias_of(spec, weights).view({1, -1, 1})) {
    reset();
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    const int64_t frames = x.size(1);
    if (frames == 0) return torch::zeros({1, 0, spec_.output_size}, torch::kFloat32);
    torch::Tensor y = transposed(spec_, weight_, x.transpose(1, 2));
    const int64_t carried = tail_.size(2);
    y = torch::cat({y.slice(2, 0, carried) + tail_, y.slice(2, carried)}, 2);
    const int64_t emitted = frames * spec_.stride;
    tail_ = y.slice(2, emitted).contiguous();
    return (y.slice(2, 0, emitted) + bias_).transpose(1, 2);
  }

  void reset() override { tail_ = torch::zeros({1, spec_.output_size, 0}, torch::kFloat32); }

 private:
  LayerSpec spec_;
  torch::Tensor weight_, bias_, tail_;
};

std::unique_ptr<TorchLayer> torch_conv_transpose1d_layer(const LayerSpec& spec, const Weights& weights) {
  return std::make_unique<StreamingConvTranspose1d>(spec, weights);
}

}  // namespace

std::vector<TorchReference> torch_conv_transpose1d_references() {
  return {{"conv_transpose1d", &torch_conv_transpose1d, &torch_conv_transpose1d_layer}};
}

}  // namespace rtn::testing
