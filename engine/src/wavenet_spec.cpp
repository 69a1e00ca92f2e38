#include "rtn/wavenet_spec.hpp"

#include <sstream>

namespace rtn {

namespace {

// n / groups, also for a spec that validate() would refuse (no division by zero before it is checked).
int per_group(int n, int groups) { return groups > 0 ? n / groups : n; }

std::string array_place(std::size_t a) { return "layer_arrays[" + std::to_string(a) + "]"; }

std::string layer_place(std::size_t a, std::size_t l) {
  return array_place(a) + ".layers[" + std::to_string(l) + "]";
}

const char* gating_name(WaveNetGating gating) {
  switch (gating) {
    case WaveNetGating::gated:
      return "gated";
    case WaveNetGating::blended:
      return "blended";
    default:
      return "none";
  }
}

// The channels a FiLM at `site` modulates.
int film_width(const WaveNetLayerArray& array, const WaveNetLayer& layer, WaveNetFilmSite site) {
  switch (site) {
    case WaveNetFilmSite::conv_pre:
      return array.channels;
    case WaveNetFilmSite::input_mixin_pre:
      return array.condition_size;
    case WaveNetFilmSite::activation_post:
      return array.bottleneck;
    case WaveNetFilmSite::layer1x1_post:
      return array.channels;
    case WaveNetFilmSite::head1x1_post:
      return array.head1x1_out;
    default:
      return array.z_rows(layer);  // conv_post, input_mixin_post, activation_pre
  }
}

// The channels an activation of the layer is applied to: the bottleneck (z's top half when gating).
std::string check_activation(const WaveNetActivation& activation, int channels, const std::string& place) {
  if (activation.type == WaveNetActivation::Type::prelu && !activation.negative_slopes.empty() &&
      static_cast<int>(activation.negative_slopes.size()) != channels) {
    return place + ": prelu has " + std::to_string(activation.negative_slopes.size()) +
           " negative_slopes, but it is applied to " + std::to_string(channels) + " channels";
  }
  for (float value : {activation.negative_slope, activation.min_val, activation.max_val, activation.min_slope,
                      activation.max_slope}) {
    if (!(value == value) || value - value != 0.0f) return place + ": activation parameters must be finite";
  }
  for (float value : activation.negative_slopes) {
    if (!(value == value) || value - value != 0.0f) return place + ": activation parameters must be finite";
  }
  return "";
}

// "groups (3) must divide both 4 and 6".
std::string check_groups(int groups, int in, int out, const std::string& place) {
  if (groups >= 1 && in % groups == 0 && out % groups == 0) return "";
  return place + ": groups (" + std::to_string(groups) + ") must divide both its inputs (" +
         std::to_string(in) + ") and outputs (" + std::to_string(out) + ")";
}

std::string validate_array(const WaveNetSpec& spec, std::size_t a) {
  const WaveNetLayerArray& array = spec.arrays[a];
  const std::string place = array_place(a);
  const struct {
    const char* name;
    int value;
  } sizes[] = {{"input_size", array.input_size}, {"condition_size", array.condition_size},
               {"channels", array.channels},     {"bottleneck", array.bottleneck},
               {"head_size", array.head_size},   {"head kernel_size", array.head_kernel_size}};
  for (const auto& size : sizes) {
    if (size.value < 1)
      return place + "." + size.name + " must be at least 1, got " + std::to_string(size.value);
  }
  if (array.layers.empty()) return place + ": an array needs at least one layer (one dilation)";
  if (a == 0 && array.input_size != spec.input_size) {
    return place + ".input_size (" + std::to_string(array.input_size) + ") must be the input's channels (" +
           std::to_string(spec.input_size) + ")";
  }
  if (a > 0) {
    const WaveNetLayerArray& previous = spec.arrays[a - 1];
    if (array.input_size != previous.channels) {
      return place + ".input_size (" + std::to_string(array.input_size) + ") must be the channels of " +
             array_place(a - 1) + " (" + std::to_string(previous.channels) + ")";
    }
    if (array.channels != previous.head_size || array.head_input_size() != previous.head_size) {
      return place + ": its channels (" + std::to_string(array.channels) + ") and head input (" +
             std::to_string(array.head_input_size()) + ") must match the head_size of " + array_place(a - 1) +
             " (" + std::to_string(previous.head_size) + ")";
    }
  }
  if (array.condition_size != spec.condition_size()) {
    return place + ".condition_size (" + std::to_string(array.condition_size) + ") must be " +
           std::to_string(spec.condition_size()) +
           (spec.condition ? " (the condition network's output)" : " (the input's channels)");
  }
  if (!array.layer1x1 && array.bottleneck != array.channels) {
    return place + ": without layer1x1 the bottleneck (" + std::to_string(array.bottleneck) +
           ") must equal channels (" + std::to_string(array.channels) + ")";
  }
  if (array.head1x1 && array.head1x1_out < 1) {
    return place + ".head1x1.out_channels must be at least 1, got " + std::to_string(array.head1x1_out);
  }
  if (!array.layer1x1 && array.film_at(WaveNetFilmSite::layer1x1_post).active) {
    return place + ": layer1x1_post_film needs an active layer1x1";
  }
  if (!array.head1x1 && array.film_at(WaveNetFilmSite::head1x1_post).active) {
    return place + ": head1x1_post_film needs an active head1x1";
  }
  for (std::size_t l = 0; l < array.layers.size(); ++l) {
    const WaveNetLayer& layer = array.layers[l];
    const std::string here = layer_place(a, l);
    if (layer.kernel_size < 1)
      return here + ": kernel_size must be at least 1, got " + std::to_string(layer.kernel_size);
    if (layer.dilation < 1)
      return here + ": dilation must be at least 1, got " + std::to_string(layer.dilation);
    const int z = array.z_rows(layer);
    std::string problem = check_groups(array.groups_input, array.channels, z, here + ".conv");
    if (problem.empty())
      problem = check_groups(array.groups_input_mixin, array.condition_size, z, here + ".input_mixin");
    if (problem.empty() && array.layer1x1) {
      problem = check_groups(array.layer1x1_groups, array.bottleneck, array.channels, here + ".layer1x1");
    }
    if (problem.empty() && array.head1x1) {
      problem = check_groups(array.head1x1_groups, array.bottleneck, array.head1x1_out, here + ".head1x1");
    }
    for (int site = 0; site < kWaveNetFilmSites && problem.empty(); ++site) {
      const WaveNetFilm& film = array.film[site];
      if (!film.active) continue;
      const int rows = (film.shift ? 2 : 1) * film_width(array, layer, static_cast<WaveNetFilmSite>(site));
      problem =
          check_groups(film.groups, array.condition_size, rows,
                       here + "." + wavenet_film_site_name(static_cast<WaveNetFilmSite>(site)) + "_film");
    }
    if (problem.empty()) problem = check_activation(layer.activation, array.bottleneck, here + ".activation");
    if (problem.empty() && layer.gating != WaveNetGating::none) {
      problem = check_activation(layer.secondary, array.bottleneck, here + ".secondary_activation");
    }
    if (!problem.empty()) return problem;
  }
  return "";
}

void append_conv(std::vector<WeightShape>& shapes, const std::string& name, int out, int in_per_group,
                 int kernel, bool bias) {
  shapes.push_back({name + ".weight", {out, in_per_group, kernel}});
  if (bias) shapes.push_back({name + ".bias", {out}});
}

std::string film_text(const WaveNetLayerArray& array) {
  std::string text;
  for (int site = 0; site < kWaveNetFilmSites; ++site) {
    const WaveNetFilm& film = array.film[site];
    if (!film.active) continue;
    text += text.empty() ? "" : "+";
    text += wavenet_film_site_name(static_cast<WaveNetFilmSite>(site));
    text += film.shift ? "(shift" : "(scale";
    text += film.groups != 1 ? ",groups=" + std::to_string(film.groups) + ")" : ")";
  }
  return text;
}

std::string layer_text(const WaveNetLayer& layer, bool with_shape) {
  std::string text;
  if (with_shape) text = "k" + std::to_string(layer.kernel_size) + "d" + std::to_string(layer.dilation) + ":";
  text += layer.activation.to_string();
  if (layer.gating != WaveNetGating::none) {
    text += std::string(":") + gating_name(layer.gating) + "(" + layer.secondary.to_string() + ")";
  }
  return text;
}

std::string array_text(const WaveNetLayerArray& array) {
  std::ostringstream out;
  out << "{in=" << array.input_size << ",cond=" << array.condition_size << ",channels=" << array.channels;
  if (array.bottleneck != array.channels) out << ",bottleneck=" << array.bottleneck;
  if (array.groups_input != 1) out << ",groups=" << array.groups_input;
  if (array.groups_input_mixin != 1) out << ",mixin_groups=" << array.groups_input_mixin;
  if (!array.layer1x1) out << ",layer1x1=0";
  if (array.layer1x1 && array.layer1x1_groups != 1) out << ",layer1x1_groups=" << array.layer1x1_groups;
  if (array.head1x1) out << ",head1x1=" << array.head1x1_out << "/" << array.head1x1_groups;
  if (const std::string films = film_text(array); !films.empty()) out << ",film=" << films;
  out << ",head=" << array.head_size;
  if (array.head_kernel_size != 1) out << ",head_kernel=" << array.head_kernel_size;
  if (array.head_bias) out << ",head_bias=1";
  // Layers alike but for their dilation (the usual case) print as one; others one by one.
  bool alike = true;
  for (const WaveNetLayer& layer : array.layers) {
    alike = alike && layer.kernel_size == array.layers.front().kernel_size &&
            layer_text(layer, false) == layer_text(array.layers.front(), false);
  }
  if (alike && !array.layers.empty()) {
    out << ",kernel=" << array.layers.front().kernel_size << ",dilations=";
    for (std::size_t l = 0; l < array.layers.size(); ++l) out << (l ? "." : "") << array.layers[l].dilation;
    out << "," << layer_text(array.layers.front(), false);
  } else {
    out << ",layers=";
    for (std::size_t l = 0; l < array.layers.size(); ++l)
      out << (l ? "|" : "") << layer_text(array.layers[l], true);
  }
  out << "}";
  return out.str();
}

std::string number_text(float value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

WaveNetActivation WaveNetActivation::simple(Type type) {
  WaveNetActivation activation;
  activation.type = type;
  return activation;
}

std::string WaveNetActivation::to_string() const {
  switch (type) {
    case Type::tanh:
      return "tanh";
    case Type::hard_tanh:
      return "hard_tanh";
    case Type::relu:
      return "relu";
    case Type::leaky_relu:
      return "leaky_relu(" + number_text(negative_slope) + ")";
    case Type::prelu: {
      if (negative_slopes.empty()) return "prelu(" + number_text(negative_slope) + ")";
      std::string text = "prelu(";
      for (std::size_t i = 0; i < negative_slopes.size(); ++i)
        text += (i ? "," : "") + number_text(negative_slopes[i]);
      return text + ")";
    }
    case Type::sigmoid:
      return "sigmoid";
    case Type::silu:
      return "silu";
    case Type::hardswish:
      return "hardswish";
    case Type::leaky_hard_tanh:
      return "leaky_hard_tanh(" + number_text(min_val) + "," + number_text(max_val) + "," +
             number_text(min_slope) + "," + number_text(max_slope) + ")";
    case Type::softsign:
      return "softsign";
  }
  return "unknown";
}

const char* wavenet_film_site_name(WaveNetFilmSite site) noexcept {
  switch (site) {
    case WaveNetFilmSite::conv_pre:
      return "conv_pre";
    case WaveNetFilmSite::conv_post:
      return "conv_post";
    case WaveNetFilmSite::input_mixin_pre:
      return "input_mixin_pre";
    case WaveNetFilmSite::input_mixin_post:
      return "input_mixin_post";
    case WaveNetFilmSite::activation_pre:
      return "activation_pre";
    case WaveNetFilmSite::activation_post:
      return "activation_post";
    case WaveNetFilmSite::layer1x1_post:
      return "layer1x1_post";
    case WaveNetFilmSite::head1x1_post:
      return "head1x1_post";
  }
  return "unknown";
}

int WaveNetLayerArray::z_rows(const WaveNetLayer& layer) const noexcept {
  return layer.gating == WaveNetGating::none ? bottleneck : 2 * bottleneck;
}

int WaveNetSpec::output_size() const noexcept {
  if (post_head) return post_head->out_channels;
  return arrays.empty() ? 0 : arrays.back().head_size;
}

int WaveNetSpec::condition_size() const noexcept { return condition ? condition->output_size() : input_size; }

long long WaveNetSpec::history_frames() const noexcept {
  long long frames = condition ? condition->history_frames() : 0;
  for (const WaveNetLayerArray& array : arrays) {
    for (const WaveNetLayer& layer : array.layers)
      frames += static_cast<long long>(layer.kernel_size - 1) * layer.dilation;
    frames += array.head_kernel_size - 1;
  }
  if (post_head) {
    for (int kernel : post_head->kernel_sizes) frames += kernel - 1;
  }
  return frames;
}

long long WaveNetSpec::history_floats() const noexcept {
  long long floats = condition ? condition->history_floats() : 0;
  for (const WaveNetLayerArray& array : arrays) {
    for (const WaveNetLayer& layer : array.layers) {
      floats +=
          static_cast<long long>(layer.kernel_size - 1) * layer.dilation * layer.kernel_size * array.channels;
    }
    floats +=
        static_cast<long long>(array.head_kernel_size - 1) * array.head_kernel_size * array.head_input_size();
  }
  if (post_head) {
    int in = arrays.empty() ? 0 : arrays.back().head_size;
    for (int kernel : post_head->kernel_sizes) {
      floats += static_cast<long long>(kernel - 1) * kernel * in;
      in = post_head->channels;
    }
  }
  return floats;
}

std::string WaveNetSpec::to_string() const {
  std::ostringstream out;
  out << "in=" << input_size << ",out=" << output_size();
  if (condition) out << ",condition=[" << condition->to_string() << "]";
  out << ",arrays=";
  for (std::size_t a = 0; a < arrays.size(); ++a) out << (a ? ";" : "") << array_text(arrays[a]);
  if (post_head) {
    out << ",post_head={channels=" << post_head->channels << ",out=" << post_head->out_channels
        << ",kernels=";
    for (std::size_t i = 0; i < post_head->kernel_sizes.size(); ++i)
      out << (i ? "." : "") << post_head->kernel_sizes[i];
    out << "," << post_head->activation.to_string() << "}";
  }
  return out.str();
}

std::string WaveNetSpec::validate() const {
  if (input_size < 1) return "input size must be at least 1, got " + std::to_string(input_size);
  if (arrays.empty()) return "a WaveNet needs at least one layer array";
  if (condition) {
    if (const std::string problem = condition->validate(); !problem.empty())
      return "condition network: " + problem;
    if (condition->input_size != input_size) {
      return "the condition network takes " + std::to_string(condition->input_size) +
             " input channels, but the input has " + std::to_string(input_size);
    }
  }
  for (std::size_t a = 0; a < arrays.size(); ++a) {
    if (std::string problem = validate_array(*this, a); !problem.empty()) return problem;
  }
  if (post_head) {
    if (post_head->channels < 1 || post_head->out_channels < 1)
      return "head: channels and out_channels must be at least 1";
    if (post_head->kernel_sizes.empty()) return "head: kernel_sizes must not be empty";
    for (int kernel : post_head->kernel_sizes) {
      if (kernel < 1) return "head: kernel_sizes must be at least 1, got " + std::to_string(kernel);
    }
    if (post_head->activation.type == WaveNetActivation::Type::prelu &&
        post_head->activation.negative_slopes.size() > 1) {
      return "head: a prelu activation there takes one negative_slope, not one per channel";
    }
    if (std::string problem = check_activation(post_head->activation, 1, "head.activation");
        !problem.empty()) {
      return problem;
    }
  }
  return "";
}

double WaveNetSpec::flops_per_frame() const {
  double flops = condition ? condition->flops_per_frame() : 0.0;
  const auto product = [](double out, double in) { return 2.0 * out * in + out; };
  for (const WaveNetLayerArray& array : arrays) {
    const double c = array.channels, b = array.bottleneck, cond = array.condition_size;
    flops += 2.0 * c * array.input_size;
    for (const WaveNetLayer& layer : array.layers) {
      const double z = array.z_rows(layer);
      flops += product(z, c / array.groups_input * layer.kernel_size);
      flops += product(z, cond / array.groups_input_mixin);
      flops += z;  // the activation (and the gate's product or the blend) per row, roughly
      if (layer.gating != WaveNetGating::none) flops += 2 * b;
      if (array.layer1x1) flops += product(c, b / array.layer1x1_groups) + c;
      if (array.head1x1) flops += product(array.head1x1_out, b / array.head1x1_groups);
      flops += array.head_input_size();
      for (int site = 0; site < kWaveNetFilmSites; ++site) {
        const WaveNetFilm& film = array.film[site];
        if (!film.active) continue;
        const double width = film_width(array, layer, static_cast<WaveNetFilmSite>(site));
        flops += product((film.shift ? 2 : 1) * width, cond / film.groups) + 2 * width;
      }
    }
    flops += product(array.head_size, static_cast<double>(array.head_input_size()) * array.head_kernel_size);
  }
  if (post_head) {
    double in = arrays.empty() ? 0 : arrays.back().head_size;
    for (std::size_t i = 0; i < post_head->kernel_sizes.size(); ++i) {
      const double out =
          i + 1 == post_head->kernel_sizes.size() ? post_head->out_channels : post_head->channels;
      flops += in + product(out, in * post_head->kernel_sizes[i]);
      in = out;
    }
  }
  return flops + output_size();  // head_scale
}

void WaveNetSpec::append_expected_weights(std::vector<WeightShape>& shapes, const std::string& prefix) const {
  if (condition) condition->append_expected_weights(shapes, prefix + "condition.");
  for (std::size_t a = 0; a < arrays.size(); ++a) {
    const WaveNetLayerArray& array = arrays[a];
    const std::string base = prefix + "layer_arrays." + std::to_string(a) + ".";
    append_conv(shapes, base + "rechannel", array.channels, array.input_size, 1, false);
    for (std::size_t l = 0; l < array.layers.size(); ++l) {
      const WaveNetLayer& layer = array.layers[l];
      const std::string name = base + "layers." + std::to_string(l) + ".";
      const int z = array.z_rows(layer);
      append_conv(shapes, name + "conv", z, per_group(array.channels, array.groups_input), layer.kernel_size,
                  true);
      append_conv(shapes, name + "input_mixin", z, per_group(array.condition_size, array.groups_input_mixin),
                  1, false);
      if (array.layer1x1) {
        append_conv(shapes, name + "layer1x1", array.channels,
                    per_group(array.bottleneck, array.layer1x1_groups), 1, true);
      }
      if (array.head1x1) {
        append_conv(shapes, name + "head1x1", array.head1x1_out,
                    per_group(array.bottleneck, array.head1x1_groups), 1, true);
      }
      for (int site = 0; site < kWaveNetFilmSites; ++site) {
        const WaveNetFilm& film = array.film[site];
        if (!film.active) continue;
        const WaveNetFilmSite where = static_cast<WaveNetFilmSite>(site);
        const int rows = (film.shift ? 2 : 1) * film_width(array, layer, where);
        append_conv(shapes, name + wavenet_film_site_name(where) + "_film", rows,
                    per_group(array.condition_size, film.groups), 1, true);
      }
    }
    append_conv(shapes, base + "head_rechannel", array.head_size, array.head_input_size(),
                array.head_kernel_size, array.head_bias);
  }
  if (post_head) {
    int in = arrays.empty() ? 0 : arrays.back().head_size;
    for (std::size_t i = 0; i < post_head->kernel_sizes.size(); ++i) {
      const int out = i + 1 == post_head->kernel_sizes.size() ? post_head->out_channels : post_head->channels;
      append_conv(shapes, prefix + "head.layers." + std::to_string(i), out, in, post_head->kernel_sizes[i],
                  true);
      in = out;
    }
  }
  shapes.push_back({prefix + "head_scale", {}});
}

}  // namespace rtn
