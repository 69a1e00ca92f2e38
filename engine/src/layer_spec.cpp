#include "rtn/layer_spec.hpp"

#include <functional>
#include <locale>
#include <sstream>

#include "rtn/wavenet_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn {

namespace {

struct KindName {
  LayerKind kind;
  const char* name;
};

constexpr KindName kKindNames[] = {
    {LayerKind::dense, "dense"},       {LayerKind::conv1d, "conv1d"},
    {LayerKind::gru, "gru"},           {LayerKind::lstm, "lstm"},
    {LayerKind::batchnorm1d, "batchnorm1d"}, {LayerKind::tanh, "tanh"},
    {LayerKind::relu, "relu"},         {LayerKind::sigmoid, "sigmoid"},
    {LayerKind::softmax, "softmax"},   {LayerKind::elu, "elu"},
    {LayerKind::prelu, "prelu"},       {LayerKind::leaky_relu, "leaky_relu"},
    {LayerKind::wavenet, "wavenet"},
};

// Gates per recurrent layer: r,z,n for GRU; i,f,g,o for LSTM.
int recurrent_gates(LayerKind kind) { return kind == LayerKind::gru ? 3 : 4; }

}  // namespace

const std::vector<LayerKind>& all_layer_kinds() {
  static const std::vector<LayerKind> kinds = [] {
    std::vector<LayerKind> result;
    for (const KindName& entry : kKindNames) result.push_back(entry.kind);
    return result;
  }();
  return kinds;
}

std::string_view layer_kind_name(LayerKind kind) noexcept {
  for (const KindName& entry : kKindNames) {
    if (entry.kind == kind) return entry.name;
  }
  return "unknown";
}

std::optional<LayerKind> parse_layer_kind(std::string_view name) noexcept {
  for (const KindName& entry : kKindNames) {
    if (name == entry.name) return entry.kind;
  }
  return std::nullopt;
}

bool is_activation(LayerKind kind) noexcept {
  switch (kind) {
    case LayerKind::tanh:
    case LayerKind::relu:
    case LayerKind::sigmoid:
    case LayerKind::softmax:
    case LayerKind::elu:
    case LayerKind::prelu:
    case LayerKind::leaky_relu:
      return true;
    default:
      return false;
  }
}

LayerSpec LayerSpec::dense(int in, int out, bool bias) {
  LayerSpec spec;
  spec.kind = LayerKind::dense;
  spec.input_size = in;
  spec.output_size = out;
  spec.bias = bias;
  return spec;
}

LayerSpec LayerSpec::conv1d(int in, int out, int kernel_size, int dilation, int groups, bool bias) {
  LayerSpec spec = dense(in, out, bias);
  spec.kind = LayerKind::conv1d;
  spec.kernel_size = kernel_size;
  spec.dilation = dilation;
  spec.groups = groups;
  return spec;
}

LayerSpec LayerSpec::gru(int in, int hidden, int num_layers, bool bias) {
  LayerSpec spec = dense(in, hidden, bias);
  spec.kind = LayerKind::gru;
  spec.num_layers = num_layers;
  return spec;
}

LayerSpec LayerSpec::lstm(int in, int hidden, int num_layers, bool bias) {
  LayerSpec spec = gru(in, hidden, num_layers, bias);
  spec.kind = LayerKind::lstm;
  return spec;
}

LayerSpec LayerSpec::batchnorm1d(int channels, float epsilon) {
  LayerSpec spec = dense(channels, channels);
  spec.kind = LayerKind::batchnorm1d;
  spec.epsilon = epsilon;
  return spec;
}

LayerSpec LayerSpec::activation(LayerKind kind, int channels) {
  LayerSpec spec = dense(channels, channels, false);
  spec.kind = kind;
  return spec;
}

LayerSpec LayerSpec::elu(int channels, float alpha) {
  LayerSpec spec = activation(LayerKind::elu, channels);
  spec.alpha = alpha;
  return spec;
}

LayerSpec LayerSpec::prelu(int channels, int num_parameters) {
  LayerSpec spec = activation(LayerKind::prelu, channels);
  spec.num_parameters = num_parameters;
  return spec;
}

LayerSpec LayerSpec::leaky_relu(int channels, float negative_slope) {
  LayerSpec spec = activation(LayerKind::leaky_relu, channels);
  spec.negative_slope = negative_slope;
  return spec;
}

LayerSpec LayerSpec::wavenet(std::shared_ptr<const WaveNetSpec> architecture) {
  const int in = architecture ? architecture->input_size : 0;
  const int out = architecture ? architecture->output_size() : 0;
  LayerSpec spec = dense(in, out, false);
  spec.kind = LayerKind::wavenet;
  spec.architecture = std::move(architecture);
  return spec;
}

std::string LayerSpec::to_string() const {
  std::ostringstream out;
  out.imbue(std::locale::classic());  // the keys of profiles must not depend on the program's locale
  out << layer_kind_name(kind) << '(';
  switch (kind) {
    case LayerKind::dense:
      out << "in=" << input_size << ",out=" << output_size << ",bias=" << bias;
      break;
    case LayerKind::conv1d:
      out << "in=" << input_size << ",out=" << output_size << ",kernel=" << kernel_size
          << ",dilation=" << dilation << ",groups=" << groups << ",bias=" << bias;
      break;
    case LayerKind::gru:
    case LayerKind::lstm:
      out << "in=" << input_size << ",hidden=" << output_size << ",layers=" << num_layers
          << ",bias=" << bias;
      if (kind == LayerKind::gru && !reset_after) out << ",reset_after=0";
      // Only when set, so the keys of existing profiles stay valid.
      if (initial_state) out << ",initial_state=1";
      break;
    case LayerKind::batchnorm1d:
      out << "channels=" << input_size << ",eps=" << epsilon;
      break;
    case LayerKind::elu:
      out << "channels=" << input_size << ",alpha=" << alpha;
      break;
    case LayerKind::prelu:
      out << "channels=" << input_size << ",parameters=" << num_parameters;
      break;
    case LayerKind::leaky_relu:
      out << "channels=" << input_size << ",slope=" << negative_slope;
      break;
    case LayerKind::wavenet:
      out << (architecture ? architecture->to_string() : "none");
      break;
    default:
      out << "channels=" << input_size;
      break;
  }
  out << ')';
  return out.str();
}

std::string LayerSpec::validate() const {
  if (kind == LayerKind::wavenet && !architecture) return "a wavenet layer needs its architecture";
  std::ostringstream problem;
  if (input_size < 1) {
    problem << "input size must be at least 1, got " << input_size;
  } else if (output_size < 1) {
    problem << "output size must be at least 1, got " << output_size;
  } else if ((is_activation(kind) || kind == LayerKind::batchnorm1d) && input_size != output_size) {
    problem << layer_kind_name(kind) << " keeps its size: input " << input_size << " != output " << output_size;
  } else if (kind == LayerKind::conv1d && kernel_size < 1) {
    problem << "kernel_size must be at least 1, got " << kernel_size;
  } else if (kind == LayerKind::conv1d && dilation < 1) {
    problem << "dilation must be at least 1, got " << dilation;
  } else if (kind == LayerKind::conv1d && (groups < 1 || input_size % groups || output_size % groups)) {
    problem << "groups (" << groups << ") must divide both input channels (" << input_size
            << ") and output channels (" << output_size << ")";
  } else if ((kind == LayerKind::gru || kind == LayerKind::lstm) && num_layers < 1) {
    problem << "num_layers must be at least 1, got " << num_layers;
  } else if (kind == LayerKind::prelu && num_parameters != 1 && num_parameters != input_size) {
    problem << "prelu num_parameters must be 1 or the channel count (" << input_size << "), got "
            << num_parameters;
  } else if (kind == LayerKind::batchnorm1d && !(epsilon >= 0.0f)) {
    problem << "eps must be >= 0";
  } else if (kind == LayerKind::elu && !(alpha == alpha)) {
    problem << "alpha must be a number";
  } else if (kind == LayerKind::leaky_relu && !(negative_slope == negative_slope)) {
    problem << "negative_slope must be a number";
  } else if (initial_state && kind != LayerKind::lstm) {
    problem << "initial_state is supported by lstm only";
  } else if (kind == LayerKind::wavenet) {
    const std::string inconsistency = architecture->validate();
    if (!inconsistency.empty()) return inconsistency;
    if (input_size != architecture->input_size || output_size != architecture->output_size()) {
      problem << "wavenet sizes (" << input_size << " in, " << output_size << " out) differ from its "
              << "architecture's (" << architecture->input_size << " in, " << architecture->output_size()
              << " out)";
    }
  }
  return problem.str();
}

std::size_t LayerSpec::parameter_count() const {
  const std::size_t in = input_size, out = output_size;
  switch (kind) {
    case LayerKind::dense:
      return in * out + (bias ? out : 0);
    case LayerKind::conv1d:
      return out * (in / groups) * kernel_size + (bias ? out : 0);
    case LayerKind::gru:
    case LayerKind::lstm: {
      const std::size_t gates = recurrent_gates(kind) * out;
      std::size_t total = 0;
      for (int layer = 0; layer < num_layers; ++layer) {
        const std::size_t layer_in = layer == 0 ? in : out;
        total += gates * (layer_in + out) + (bias ? 2 * gates : 0) + (initial_state ? 2 * out : 0);
      }
      return total;
    }
    case LayerKind::batchnorm1d:
      return 4 * in;
    case LayerKind::prelu:
      return num_parameters;
    case LayerKind::wavenet: {
      std::size_t total = 0;
      for (const WeightShape& weight : expected_weights(*this)) {
        std::size_t count = 1;
        for (int extent : weight.shape) count *= static_cast<std::size_t>(extent);
        total += count;
      }
      return total;
    }
    default:
      return 0;
  }
}

double LayerSpec::flops_per_frame() const {
  const double in = input_size, out = output_size;
  switch (kind) {
    case LayerKind::dense:
      return 2 * in * out + (bias ? out : 0);
    case LayerKind::conv1d:
      return 2 * out * (in / groups) * kernel_size + (bias ? out : 0);
    case LayerKind::gru:
    case LayerKind::lstm: {
      const double gates = recurrent_gates(kind) * out;
      double total = 0;
      for (int layer = 0; layer < num_layers; ++layer) {
        const double layer_in = layer == 0 ? in : out;
        // Matrix-vector products, bias adds, one transcendental per gate, the state update.
        total += 2 * gates * (layer_in + out) + (bias ? 2 * gates : 0) + gates + 5 * out;
      }
      return total;
    }
    case LayerKind::batchnorm1d:
      return 2 * in;
    case LayerKind::softmax:
      return 4 * in;
    case LayerKind::wavenet:
      return architecture ? architecture->flops_per_frame() : 0.0;
    default:
      return 2 * in;
  }
}

int LayerSpec::history_frames() const {
  if (kind == LayerKind::wavenet) return architecture ? static_cast<int>(architecture->history_frames()) : 0;
  return kind == LayerKind::conv1d ? (kernel_size - 1) * dilation : 0;
}

bool LayerSpec::operator==(const LayerSpec& other) const {
  return to_string() == other.to_string();
}

std::size_t LayerSpecHash::operator()(const LayerSpec& spec) const noexcept {
  // Only fields that to_string() shows for the kind (equality is equality of to_string()), so equal specs
  // hash alike; floats and WaveNet architectures are left out (equal specs still agree). No allocation.
  std::size_t hash = static_cast<std::size_t>(spec.kind) + 0x9e3779b97f4a7c15ULL;
  const auto mix = [&hash](long long value) {
    hash ^= static_cast<std::size_t>(value) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  };
  mix(spec.input_size);
  switch (spec.kind) {
    case LayerKind::conv1d:
      mix(spec.kernel_size);
      mix(spec.dilation);
      mix(spec.groups);
      [[fallthrough]];
    case LayerKind::dense:
      mix(spec.output_size);
      mix(spec.bias);
      break;
    case LayerKind::gru:
    case LayerKind::lstm:
      mix(spec.output_size);
      mix(spec.num_layers);
      mix(spec.bias);
      mix(spec.kind == LayerKind::gru && !spec.reset_after);
      mix(spec.initial_state);
      break;
    case LayerKind::prelu:
      mix(spec.num_parameters);
      break;
    default:
      break;
  }
  return hash;
}

}  // namespace rtn
