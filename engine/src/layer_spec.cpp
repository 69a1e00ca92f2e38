#include "rtn/layer_spec.hpp"

#include <algorithm>
#include <locale>
#include <sstream>
#include <variant>

#include "rtn/layer_descriptor.hpp"
#include "rtn/wavenet_spec.hpp"
#include "rtn/weights.hpp"

namespace rtn {

namespace {

template <typename Value>
std::string number_text(Value value) {
  std::ostringstream out;
  out.imbue(std::locale::classic());  // the keys of profiles must not depend on the program's locale
  out << value;
  return out.str();
}

// A parameter's value in `spec`, as the key shows it ("40", "1", "1e-05"); whether it is LayerSpec's default.
std::string value_text(const LayerSpec& spec, const LayerParameter& parameter, bool& is_default) {
  static const LayerSpec defaults;
  return std::visit(
      [&](auto field) {
        is_default = spec.*field == defaults.*field;
        return number_text(spec.*field);
      },
      parameter.field);
}

}  // namespace

std::string_view layer_kind_name(LayerKind kind) noexcept {
  const LayerDescriptor* descriptor = find_layer_descriptor(kind);
  return descriptor ? std::string_view(descriptor->name) : std::string_view("unknown");
}

std::optional<LayerKind> parse_layer_kind(std::string_view name) noexcept {
  for (const LayerDescriptor* descriptor : layer_descriptors()) {
    if (name == descriptor->name) return descriptor->kind;
  }
  return std::nullopt;
}

bool is_activation(LayerKind kind) noexcept {
  const LayerDescriptor* descriptor = find_layer_descriptor(kind);
  return descriptor && descriptor->activation;
}

LayerSpec LayerSpec::dense(int in, int out, bool bias) {
  LayerSpec spec;
  spec.kind = LayerKind::dense;
  spec.input_size = in;
  spec.output_size = out;
  spec.bias = bias;
  return spec;
}

LayerSpec LayerSpec::conv1d(int in, int out, int kernel_size, int dilation, int groups, bool bias, int stride) {
  LayerSpec spec = dense(in, out, bias);
  spec.kind = LayerKind::conv1d;
  spec.kernel_size = kernel_size;
  spec.dilation = dilation;
  spec.groups = groups;
  spec.stride = stride;
  return spec;
}

LayerSpec LayerSpec::conv_transpose1d(int in, int out, int kernel_size, int stride, int dilation, int groups,
                                      bool bias) {
  LayerSpec spec = conv1d(in, out, kernel_size, dilation, groups, bias, stride);
  spec.kind = LayerKind::conv_transpose1d;
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

LayerSpec LayerSpec::conv2d(int in_channels, int out_channels, int features, int kernel_time, int kernel_features,
                            int dilation, int stride, bool same_padding, int groups, bool bias) {
  LayerSpec spec;
  spec.kind = LayerKind::conv2d;
  spec.in_channels = in_channels;
  spec.out_channels = out_channels;
  spec.features = features;
  spec.kernel_size = kernel_time;
  spec.kernel_features = kernel_features;
  spec.dilation = dilation;
  spec.stride = stride;
  spec.same_padding = same_padding;
  spec.groups = groups;
  spec.bias = bias;
  spec.input_size = features * in_channels;
  spec.output_size = conv2d_output_features(spec) * out_channels;
  return spec;
}

LayerSpec LayerSpec::batchnorm2d(int channels, int features, float epsilon) {
  LayerSpec spec = batchnorm1d(channels * features, epsilon);
  spec.kind = LayerKind::batchnorm2d;
  spec.in_channels = channels;
  spec.features = features;
  return spec;
}

int conv2d_output_features(const LayerSpec& spec) noexcept {
  if (spec.stride < 1) return 0;
  if (spec.same_padding) return (spec.features + spec.stride - 1) / spec.stride;
  if (spec.features < spec.kernel_features) return 0;
  return (spec.features - spec.kernel_features) / spec.stride + 1;
}

int conv2d_padding_before(const LayerSpec& spec) noexcept {
  if (!spec.same_padding) return 0;
  // TensorFlow pads so that output feature p starts at p * stride - before, with the odd zero after.
  const int total = (conv2d_output_features(spec) - 1) * spec.stride + spec.kernel_features - spec.features;
  return std::max(total, 0) / 2;
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

LayerSpec LayerSpec::maxpool1d(int features, int kernel_size, int stride, int padding, int dilation) {
  LayerSpec spec = activation(LayerKind::maxpool1d, features);
  spec.kernel_size = kernel_size;
  spec.stride = stride;
  spec.padding = padding;
  spec.dilation = dilation;
  layer_descriptor(spec.kind).frame_sizes(spec);
  return spec;
}

LayerSpec LayerSpec::avgpool1d(int features, int kernel_size, int stride, int padding, bool count_include_pad) {
  LayerSpec spec = activation(LayerKind::avgpool1d, features);
  spec.kernel_size = kernel_size;
  spec.stride = stride;
  spec.padding = padding;
  spec.count_include_pad = count_include_pad;
  layer_descriptor(spec.kind).frame_sizes(spec);
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
  const LayerDescriptor* descriptor = find_layer_descriptor(kind);
  if (!descriptor) return "unknown()";
  std::string text = descriptor->name + '(';
  if (descriptor->key) {
    text += descriptor->key(*this);
  } else {
    bool first = true;
    for (const LayerParameter& parameter : descriptor->parameters) {
      if (parameter.key.empty()) continue;
      bool is_default = false;
      const std::string value = value_text(*this, parameter, is_default);
      if (parameter.key_only_when_changed && is_default) continue;
      text += (first ? "" : ",") + parameter.key + '=' + value;
      first = false;
    }
  }
  return text + ')';
}

std::string LayerSpec::validate() const {
  const LayerDescriptor* descriptor = find_layer_descriptor(kind);
  if (!descriptor) return "layer kind " + std::to_string(static_cast<int>(kind)) + " is not registered";
  // A kind without parameters (wavenet) takes its sizes from elsewhere, and checks them itself.
  if (descriptor->parameters.empty() && descriptor->validate) return descriptor->validate(*this);
  std::ostringstream problem;
  problem.imbue(std::locale::classic());
  if (descriptor->frame_sizes) {
    // Sizes that follow from the other parameters: the kind's validate() says what is wrong with them.
  } else if (input_size < 1) {
    problem << "input size must be at least 1, got " << input_size;
  } else if (output_size < 1) {
    problem << "output size must be at least 1, got " << output_size;
  } else if (descriptor->keeps_size && input_size != output_size) {
    problem << descriptor->name << " keeps its size: input " << input_size << " != output " << output_size;
  }
  for (const LayerParameter& parameter : descriptor->parameters) {
    if (!problem.str().empty()) break;
    if (const auto field = std::get_if<int LayerSpec::*>(&parameter.field)) {
      if (*field != &LayerSpec::input_size && *field != &LayerSpec::output_size && this->**field < parameter.min) {
        problem << parameter.name << " must be at least " << parameter.min << ", got " << this->**field;
      }
    } else if (const auto number = std::get_if<float LayerSpec::*>(&parameter.field)) {
      const float value = this->**number;
      if (parameter.non_negative && !(value >= 0.0f)) {
        problem << parameter.name << " must be >= 0";
      } else if (!(value == value)) {
        problem << parameter.name << " must be a number";
      }
    }
  }
  if (!problem.str().empty()) return problem.str();
  if (descriptor->validate) {
    if (std::string inconsistency = descriptor->validate(*this); !inconsistency.empty()) return inconsistency;
  }
  if (descriptor->frame_sizes) {
    LayerSpec sized = *this;
    descriptor->frame_sizes(sized);
    if (sized.input_size != input_size || sized.output_size != output_size) {
      problem << "input and output sizes are " << input_size << " and " << output_size << ", but the parameters give "
              << sized.input_size << " and " << sized.output_size << " (LayerSpec's builders set them)";
    }
  }
  if (initial_state && !find_parameter(*descriptor, &LayerSpec::initial_state)) {
    problem << "initial_state is supported by lstm only";
  }
  return problem.str();
}

std::size_t LayerSpec::parameter_count() const {
  std::size_t total = 0;
  for (const WeightShape& weight : expected_weights(*this)) {
    std::size_t count = 1;
    for (int extent : weight.shape) count *= static_cast<std::size_t>(extent);
    total += count;
  }
  return total;
}

double LayerSpec::flops_per_frame() const {
  const LayerDescriptor* descriptor = find_layer_descriptor(kind);
  if (descriptor && descriptor->flops_per_frame) return descriptor->flops_per_frame(*this);
  return 2.0 * input_size;
}

int LayerSpec::history_frames() const {
  const LayerDescriptor* descriptor = find_layer_descriptor(kind);
  return descriptor && descriptor->history_frames ? descriptor->history_frames(*this) : 0;
}

int LayerSpec::time_stride() const {
  const LayerDescriptor* descriptor = find_layer_descriptor(kind);
  return descriptor && descriptor->time_stride ? descriptor->time_stride(*this) : 1;
}

int LayerSpec::time_upsampling() const {
  const LayerDescriptor* descriptor = find_layer_descriptor(kind);
  return descriptor && descriptor->time_upsampling ? descriptor->time_upsampling(*this) : 1;
}

int LayerSpec::max_output_frames(int frames) const {
  const int stride = time_stride();
  return (frames + stride - 1) / stride * time_upsampling();
}

bool LayerSpec::operator==(const LayerSpec& other) const {
  return to_string() == other.to_string();
}

std::size_t LayerSpecHash::operator()(const LayerSpec& spec) const noexcept {
  // The integer and flag fields that to_string() shows for the kind (equality is equality of to_string()), so
  // equal specs hash alike; floats and WaveNet architectures are left out (equal specs still agree). No
  // allocation.
  std::size_t hash = static_cast<std::size_t>(spec.kind) + 0x9e3779b97f4a7c15ULL;
  const auto mix = [&hash](long long value) {
    hash ^= static_cast<std::size_t>(value) + 0x9e3779b97f4a7c15ULL + (hash << 6) + (hash >> 2);
  };
  mix(spec.input_size);
  const LayerDescriptor* descriptor = find_layer_descriptor(spec.kind);
  if (!descriptor) return hash;
  for (const LayerParameter& parameter : descriptor->parameters) {
    if (parameter.key.empty()) continue;
    if (const auto field = std::get_if<int LayerSpec::*>(&parameter.field)) {
      if (*field != &LayerSpec::input_size) mix(spec.**field);
    } else if (const auto flag = std::get_if<bool LayerSpec::*>(&parameter.field)) {
      mix(spec.**flag);
    }
  }
  return hash;
}

}  // namespace rtn
