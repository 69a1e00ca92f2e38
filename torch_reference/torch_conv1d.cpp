#include "torch_reference/torch_layer.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

std::vector<float> torch_conv1d(const LayerSpec& spec, const Weights& weights,
                                const std::vector<float>& input, int frames) {
  namespace F = torch::nn::functional;
  // Conv1d convolves along the last dimension: [batch, channels, time]. Padding only the past with
  // (k-1)*d zeros makes it causal and starts it from zero history, as a streaming kernel after reset(). With a
  // stride s, ceil(frames / s) outputs: the first at input frame 0.
  torch::Tensor x = frames_to_torch(input, frames, spec.input_size).transpose(1, 2);
  x = F::pad(x, F::PadFuncOptions({spec.history_frames(), 0}));
  auto options = F::Conv1dFuncOptions().stride(spec.stride).padding(0).dilation(spec.dilation).groups(spec.groups);
  if (spec.bias) options.bias(to_torch(weights.at("bias")));
  const torch::Tensor y = F::conv1d(x, to_torch(weights.at("weight")), options);
  return from_torch(y.transpose(1, 2));  // back to [1, frames, channels]: interleaved frames
}

namespace {

// Conv1d as a function on a history tensor: the last (k-1)*d frames of input are kept for the next call, and
// with a stride the frame of the next call that is the next output.
class StreamingConv1d final : public TorchLayer {
 public:
  StreamingConv1d(const LayerSpec& spec, const Weights& weights)
      : spec_(spec), weight_(to_torch(weights.at("weight"))) {
    if (spec.bias) bias_ = to_torch(weights.at("bias"));
    reset();
  }

  torch::Tensor forward(const torch::Tensor& x) override {
    namespace F = torch::nn::functional;
    // [1, channels, history + frames]; the convolution without padding gives exactly `frames` outputs (with a
    // stride: from the next output's frame on, every stride-th).
    const torch::Tensor extended = torch::cat({history_, x.transpose(1, 2)}, 2);
    const int64_t frames = x.size(1);
    torch::Tensor y = torch::zeros({1, spec_.output_size, 0}, torch::kFloat32);
    if (next_output_ < frames) {
      auto options = F::Conv1dFuncOptions().stride(spec_.stride).dilation(spec_.dilation).groups(spec_.groups);
      if (spec_.bias) options.bias(bias_);
      y = F::conv1d(extended.slice(2, next_output_), weight_, options);
    }
    next_output_ += y.size(2) * spec_.stride - frames;
    const int64_t keep = spec_.history_frames();
    if (keep > 0) history_ = extended.slice(2, extended.size(2) - keep).contiguous();
    return y.transpose(1, 2);
  }

  void reset() override {
    history_ = torch::zeros({1, spec_.input_size, spec_.history_frames()}, torch::kFloat32);
    next_output_ = 0;
  }

 private:
  LayerSpec spec_;
  torch::Tensor weight_, bias_, history_;
  int64_t next_output_ = 0;
};

}  // namespace

std::unique_ptr<TorchLayer> torch_conv1d_layer(const LayerSpec& spec, const Weights& weights) {
  return std::make_unique<StreamingConv1d>(spec, weights);
}

std::vector<TorchReference> torch_conv1d_references() { return {{"conv1d", &torch_conv1d, &torch_conv1d_layer}}; }

}  // namespace rtn::testing
