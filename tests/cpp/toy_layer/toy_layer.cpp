#include "toy_layer/toy_layer.hpp"

#include <memory>
#include <vector>

#include "rtn/backend.hpp"
#include "rtn/kernel.hpp"
#include "rtn/layer_descriptor.hpp"
#include "rtn/registry.hpp"

namespace rtn::testing {

namespace {

// The kernel: plain C++, registered for every backend (a real layer would instantiate its kernel template
// with each backend's ops).
class ToyScaleKernel final : public Kernel {
 public:
  ToyScaleKernel(const LayerSpec& spec, const Weights& weights)
      : Kernel(spec, Backend::stl), bias_(weights.at("bias").values) {}

  void prepare(int) override {}
  void reset() noexcept override {}
  void process(const float* in, float* out, int frames) noexcept override {
    const int channels = input_size();
    const float gain = spec().alpha;
    for (int f = 0; f < frames; ++f) {
      for (int c = 0; c < channels; ++c) out[f * channels + c] = gain * in[f * channels + c] + bias_[c];
    }
  }

 private:
  std::vector<float> bias_;
};

std::unique_ptr<Kernel> make_toy_kernel(const LayerSpec& spec, const Weights& weights) {
  return std::make_unique<ToyScaleKernel>(spec, weights);
}

LayerDescriptor toy_descriptor() {
  LayerDescriptor toy;
  toy.name = kToyLayerName;
  LayerParameter channels = LayerParameter::integer("channels", "channels", &LayerSpec::input_size, true);
  channels.defaults_to_input = true;
  toy.parameters = {channels, LayerParameter::number("gain", "gain", &LayerSpec::alpha)};
  toy.keeps_size = true;
  toy.validate = [](const LayerSpec& spec) -> std::string {
    return spec.alpha == 0.0f ? "a toy_scale with gain 0 outputs only its bias" : "";
  };
  toy.weights = [](const LayerSpec& spec, std::vector<WeightShape>& shapes) {
    shapes.push_back({"bias", {spec.input_size}});
  };
  toy.conformance_shapes = [] {
    std::vector<LayerSpec> shapes;
    for (int channels : {1, 3, 8, 17}) shapes.push_back(toy_layer(channels, channels % 2 ? 0.5f : -2.0f));
    return shapes;
  };
  toy.typical_shape = [] { return toy_layer(13, 0.75f); };
  return toy;
}

}  // namespace

LayerKind toy_layer_kind() {
  static const LayerKind kind = [] {
    const LayerKind registered = register_layer_kind(toy_descriptor());
    for (Backend backend : compiled_backends()) register_kernel({registered, backend, &make_toy_kernel});
    return registered;
  }();
  return kind;
}

LayerSpec toy_layer(int channels, float gain) {
  LayerSpec spec = LayerSpec::activation(toy_layer_kind(), channels);
  spec.alpha = gain;
  return spec;
}

}  // namespace rtn::testing
