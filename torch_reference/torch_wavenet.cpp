// The oracle for LayerKind::wavenet: Neural Amp Modeler's WaveNet (rtn/wavenet_spec.hpp has the formulas)
// computed with torch over the whole signal at once, [batch 1, channels, time]: every convolution is
// F::conv1d on its input left-padded with (k-1)*d zeros, so it is causal and starts from zero history.
#include <stdexcept>
#include <string>

#include "rtn/wavenet_spec.hpp"
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_tensors.hpp"

namespace rtn::testing {

namespace {

namespace F = torch::nn::functional;
using torch::Tensor;

class TorchWaveNet {
 public:
  explicit TorchWaveNet(const Weights& weights) : weights_(weights) {}

  // input: [1, input_size, T] -> [1, output_size, T].
  Tensor run(const WaveNetSpec& spec, const std::string& prefix, const Tensor& input) const {
    const Tensor condition = spec.condition ? run(*spec.condition, prefix + "condition.", input) : input;
    Tensor x = input;
    Tensor head_out;
    for (std::size_t a = 0; a < spec.arrays.size(); ++a) {
      const WaveNetLayerArray& array = spec.arrays[a];
      const std::string name = prefix + "layer_arrays." + std::to_string(a) + ".";
      x = conv(name + "rechannel", x, 1, 1, false);
      Tensor head = a == 0 ? torch::zeros({1, array.head_input_size(), input.size(2)}) : head_out;
      for (std::size_t l = 0; l < array.layers.size(); ++l) {
        const std::string layer_name = name + "layers." + std::to_string(l) + ".";
        std::tie(x, head) = layer(array, array.layers[l], layer_name, x, head, condition);
      }
      head_out = conv(name + "head_rechannel", head, 1, 1, array.head_bias);
    }
    Tensor out = head_out * weights_.at(prefix + "head_scale").values.at(0);
    if (spec.post_head) {
      for (std::size_t i = 0; i < spec.post_head->kernel_sizes.size(); ++i) {
        out = conv(prefix + "head.layers." + std::to_string(i), activation(spec.post_head->activation, out),
                   1, 1, true);
      }
    }
    return out;
  }

 private:
  const Tensor weight(const std::string& name) const { return to_torch(weights_.at(name)); }

  // A causal Conv1d of the weights `name` (.weight [out][in/groups][k], .bias [out]).
  Tensor conv(const std::string& name, const Tensor& x, int dilation, int groups, bool bias) const {
    const Tensor w = weight(name + ".weight");
    const long long history = (w.size(2) - 1) * dilation;
    auto options = F::Conv1dFuncOptions().dilation(dilation).groups(groups);
    if (bias) options.bias(weight(name + ".bias"));
    return F::conv1d(F::pad(x, F::PadFuncOptions({history, 0})), w, options);
  }

  Tensor film(const WaveNetFilm& spec, const std::string& name, const Tensor& x,
              const Tensor& condition) const {
    const Tensor params = conv(name, condition, 1, spec.groups, true);
    const long long width = x.size(1);
    const Tensor scaled = x * params.slice(1, 0, width);
    return spec.shift ? scaled + params.slice(1, width, 2 * width) : scaled;
  }

  static Tensor activation(const WaveNetActivation& a, const Tensor& x) {
    using Type = WaveNetActivation::Type;
    switch (a.type) {
      case Type::tanh:
        return torch::tanh(x);
      case Type::hard_tanh:
        return F::hardtanh(x);
      case Type::relu:
        return torch::relu(x);
      case Type::leaky_relu:
        return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(a.negative_slope));
      case Type::prelu: {
        Tensor slopes = a.negative_slopes.empty()
                            ? torch::full({1}, a.negative_slope)
                            : torch::tensor(a.negative_slopes, torch::kFloat32).reshape({1, -1, 1});
        return torch::where(x > 0, x, slopes * x);
      }
      case Type::sigmoid:
        return torch::sigmoid(x);
      case Type::silu:
        return F::silu(x);
      case Type::hardswish:
        return torch::hardswish(x);
      case Type::leaky_hard_tanh: {
        const Tensor below = (x - a.min_val) * a.min_slope + a.min_val;
        const Tensor above = (x - a.max_val) * a.max_slope + a.max_val;
        return torch::where(x < a.min_val, below, torch::where(x > a.max_val, above, x));
      }
      case Type::softsign:
        return F::softsign(x);
    }
    throw std::logic_error("torch_wavenet: unknown activation");
  }

  std::pair<Tensor, Tensor> layer(const WaveNetLayerArray& array, const WaveNetLayer& spec,
                                  const std::string& name, Tensor x, Tensor head,
                                  const Tensor& condition) const {
    const auto film_at = [&](WaveNetFilmSite site) -> const WaveNetFilm& { return array.film_at(site); };
    const auto film_name = [&](WaveNetFilmSite site) {
      return name + wavenet_film_site_name(site) + "_film";
    };
    const auto modulate = [&](WaveNetFilmSite site, const Tensor& v) {
      return film_at(site).active ? film(film_at(site), film_name(site), v, condition) : v;
    };
    Tensor z =
        conv(name + "conv", modulate(WaveNetFilmSite::conv_pre, x), spec.dilation, array.groups_input, true);
    z = modulate(WaveNetFilmSite::conv_post, z);
    Tensor mixin = conv(name + "input_mixin", modulate(WaveNetFilmSite::input_mixin_pre, condition), 1,
                        array.groups_input_mixin, false);
    z = modulate(WaveNetFilmSite::activation_pre, z + modulate(WaveNetFilmSite::input_mixin_post, mixin));
    const long long b = array.bottleneck;
    Tensor a;
    if (spec.gating == WaveNetGating::none) {
      a = activation(spec.activation, z);
    } else {
      const Tensor top = z.slice(1, 0, b), bottom = activation(spec.secondary, z.slice(1, b, 2 * b));
      a = spec.gating == WaveNetGating::gated
              ? activation(spec.activation, top) * bottom
              : bottom * activation(spec.activation, top) + (1 - bottom) * top;
    }
    a = modulate(WaveNetFilmSite::activation_post, a);
    if (array.layer1x1) {
      Tensor residual = conv(name + "layer1x1", a, 1, array.layer1x1_groups, true);
      // Neural Amp Modeler applies layer1x1's FiLM in blending layers only.
      if (spec.gating == WaveNetGating::blended)
        residual = modulate(WaveNetFilmSite::layer1x1_post, residual);
      x = x + residual;
    }
    if (array.head1x1) {
      head = head + modulate(WaveNetFilmSite::head1x1_post,
                             conv(name + "head1x1", a, 1, array.head1x1_groups, true));
    } else {
      head = head + a;
    }
    return {x, head};
  }

  const Weights& weights_;
};

}  // namespace

std::vector<float> torch_wavenet(const LayerSpec& spec, const Weights& weights,
                                 const std::vector<float>& input, int frames) {
  if (!spec.architecture) throw std::logic_error("torch_wavenet: no architecture");
  const Tensor x = frames_to_torch(input, frames, spec.input_size).transpose(1, 2);
  const Tensor y = TorchWaveNet(weights).run(*spec.architecture, "", x);
  return from_torch(y.transpose(1, 2));
}

// No streaming module: Neural Amp Modeler's WaveNet is not a torch module.
std::vector<TorchReference> torch_wavenet_references() { return {{"wavenet", &torch_wavenet, nullptr}}; }

}  // namespace rtn::testing
