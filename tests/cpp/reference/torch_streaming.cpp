#include "reference/torch_streaming.hpp"
#include "reference/torch_reference.hpp"

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

#include "reference/torch_tensors.hpp"

namespace rtn::testing {

namespace {

namespace F = torch::nn::functional;

void copy_parameters(torch::nn::Module& module, const Weights& weights, const LayerSpec& spec) {
  for (auto& parameter : module.named_parameters()) {
    const auto found = weights.find(parameter.key());
    if (found == weights.end()) {
      throw std::logic_error("TorchStreamingModel: no weight " + parameter.key() + " for " +
                             spec.to_string());
    }
    parameter.value().copy_(to_torch(found->second));
  }
}

// One layer, streaming: forward() takes and returns [1, frames, channels] and keeps what the next call needs.
class StreamingLayer {
 public:
  StreamingLayer(const LayerSpec& spec, const Weights& weights) : spec_(spec) {
    torch::NoGradGuard no_grad;
    switch (spec.kind) {
      case LayerKind::dense:
        linear_ =
            torch::nn::Linear(torch::nn::LinearOptions(spec.input_size, spec.output_size).bias(spec.bias));
        copy_parameters(*linear_, weights, spec);
        break;
      case LayerKind::conv1d:
        conv_weight_ = to_torch(weights.at("weight"));
        if (spec.bias) conv_bias_ = to_torch(weights.at("bias"));
        break;
      case LayerKind::gru:
        // torch::nn::GRU computes PyTorch's GRU (reset gate after the recurrent product) only.
        if (spec.to_string().find("reset_after=0") != std::string::npos) {
          throw NoTorchEquivalent("libtorch has no GRU with reset_after=false (" + spec.to_string() + ")");
        }
        gru_ = torch::nn::GRU(torch::nn::GRUOptions(spec.input_size, spec.output_size)
                                  .num_layers(spec.num_layers)
                                  .bias(spec.bias)
                                  .batch_first(true));
        copy_parameters(*gru_, weights, spec);
        break;
      case LayerKind::lstm:
        lstm_ = torch::nn::LSTM(torch::nn::LSTMOptions(spec.input_size, spec.output_size)
                                    .num_layers(spec.num_layers)
                                    .bias(spec.bias)
                                    .batch_first(true));
        copy_parameters(*lstm_, weights, spec);
        // A learned initial state (NAM's LSTM), per layer: what reset() returns to instead of zeros.
        if (weights.count("initial_h_l0")) {
          std::vector<torch::Tensor> h, c;
          for (int layer = 0; layer < spec.num_layers; ++layer) {
            h.push_back(
                to_torch(weights.at("initial_h_l" + std::to_string(layer))).reshape({1, spec.output_size}));
            c.push_back(
                to_torch(weights.at("initial_c_l" + std::to_string(layer))).reshape({1, spec.output_size}));
          }
          initial_h_ = torch::stack(h);
          initial_c_ = torch::stack(c);
        }
        break;
      case LayerKind::batchnorm1d:
        batchnorm_ = torch::nn::BatchNorm1d(torch::nn::BatchNorm1dOptions(spec.input_size).eps(spec.epsilon));
        batchnorm_->weight.copy_(to_torch(weights.at("weight")));
        batchnorm_->bias.copy_(to_torch(weights.at("bias")));
        batchnorm_->running_mean.copy_(to_torch(weights.at("running_mean")));
        batchnorm_->running_var.copy_(to_torch(weights.at("running_var")));
        batchnorm_->eval();
        break;
      case LayerKind::prelu:
        prelu_weight_ = to_torch(weights.at("weight"));
        break;
      default:
        if (!is_activation(spec.kind)) {
          throw NoTorchEquivalent("libtorch has no streaming equivalent of " + spec.to_string() + " here");
        }
        break;
    }
    reset();
  }

  void reset() {
    // The state rtn's reset() gives: an RNN's h (and c) of [layers, batch 1, hidden] (zero, or the learned
    // initial state), a convolution's (k-1)*d frames of zero input history.
    const auto zeros = [](std::initializer_list<int64_t> shape) {
      return torch::zeros(shape, torch::kFloat32);
    };
    if (spec_.kind == LayerKind::gru || spec_.kind == LayerKind::lstm) {
      h_ = initial_h_.defined() ? initial_h_.clone() : zeros({spec_.num_layers, 1, spec_.output_size});
      c_ = initial_c_.defined() ? initial_c_.clone() : zeros({spec_.num_layers, 1, spec_.output_size});
    }
    if (spec_.kind == LayerKind::conv1d) history_ = zeros({1, spec_.input_size, spec_.history_frames()});
  }

  torch::Tensor forward(const torch::Tensor& x) {
    switch (spec_.kind) {
      case LayerKind::dense:
        return linear_->forward(x);
      case LayerKind::conv1d: {
        // [1, channels, history + frames]; the convolution without padding gives exactly `frames` outputs.
        const torch::Tensor extended = torch::cat({history_, x.transpose(1, 2)}, 2);
        auto options = F::Conv1dFuncOptions().dilation(spec_.dilation).groups(spec_.groups);
        if (spec_.bias) options.bias(conv_bias_);
        const torch::Tensor y = F::conv1d(extended, conv_weight_, options);
        const int64_t keep = spec_.history_frames();
        if (keep > 0) history_ = extended.slice(2, extended.size(2) - keep).contiguous();
        return y.transpose(1, 2);
      }
      case LayerKind::gru: {
        auto [y, h] = gru_->forward(x, h_);
        h_ = h;
        return y;
      }
      case LayerKind::lstm: {
        auto [y, state] = lstm_->forward(x, std::make_tuple(h_, c_));
        h_ = std::get<0>(state);
        c_ = std::get<1>(state);
        return y;
      }
      case LayerKind::batchnorm1d:
        return batchnorm_->forward(x.transpose(1, 2)).transpose(1, 2);
      case LayerKind::tanh:
        return torch::tanh(x);
      case LayerKind::relu:
        return torch::relu(x);
      case LayerKind::sigmoid:
        return torch::sigmoid(x);
      case LayerKind::softmax:
        return torch::softmax(x, -1);
      case LayerKind::elu:
        return F::elu(x, F::ELUFuncOptions().alpha(spec_.alpha));
      case LayerKind::leaky_relu:
        return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(spec_.negative_slope));
      case LayerKind::prelu:
        return torch::prelu(x.transpose(1, 2).contiguous(), prelu_weight_).transpose(1, 2);
      default:
        break;
    }
    throw std::logic_error("TorchStreamingModel: cannot run " + spec_.to_string());
  }

 private:
  LayerSpec spec_;
  torch::nn::Linear linear_{nullptr};
  torch::nn::GRU gru_{nullptr};
  torch::nn::LSTM lstm_{nullptr};
  torch::nn::BatchNorm1d batchnorm_{nullptr};
  torch::Tensor conv_weight_, conv_bias_, prelu_weight_;
  torch::Tensor initial_h_, initial_c_;  // [layers, 1, hidden], when the weights hold a learned initial state
  torch::Tensor h_, c_, history_;
};

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
  std::vector<StreamingLayer> layers;
};

TorchStreamingModel::TorchStreamingModel(const ModelDefinition& definition)
    : impl_(std::make_unique<Impl>()) {
  impl_->definition = definition;
  impl_->definition.layers.clear();
  for (const LayerDefinition& layer : definition.layers)
    impl_->layers.emplace_back(layer.spec, layer.weights);
}

TorchStreamingModel::TorchStreamingModel(const LayerSpec& spec, const Weights& weights)
    : TorchStreamingModel(one_layer_model(spec, weights)) {}

TorchStreamingModel::~TorchStreamingModel() = default;
TorchStreamingModel::TorchStreamingModel(TorchStreamingModel&&) noexcept = default;
TorchStreamingModel& TorchStreamingModel::operator=(TorchStreamingModel&&) noexcept = default;

void TorchStreamingModel::process(const float* in, float* out, int frames) {
  // InferenceMode: no autograd bookkeeping, libtorch's fastest path for inference.
  c10::InferenceMode inference;
  const ModelDefinition& definition = impl_->definition;
  torch::Tensor x =
      torch::from_blob(const_cast<float*>(in), {1, frames, definition.input_channels}, torch::kFloat32);
  if (definition.input_gain != 1.0f) x = x * definition.input_gain;
  torch::Tensor y = x;
  for (StreamingLayer& layer : impl_->layers) y = layer.forward(y);
  if (definition.input_skip) y = y + x;
  if (definition.output_gain != 1.0f) y = y * definition.output_gain;
  y = y.contiguous();
  std::memcpy(out, y.data_ptr<float>(),
              sizeof(float) * static_cast<std::size_t>(frames) * definition.output_channels);
}

void TorchStreamingModel::reset() {
  for (StreamingLayer& layer : impl_->layers) layer.reset();
}

int TorchStreamingModel::input_channels() const noexcept { return impl_->definition.input_channels; }
int TorchStreamingModel::output_channels() const noexcept { return impl_->definition.output_channels; }

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
