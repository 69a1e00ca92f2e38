// rtn bench MODEL: the model's real-time factor and per-block latency, with the tuned dispatch, with each
// backend forced for every layer, and with libtorch running the same network.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>

#include "command.hpp"
#include "peak.hpp"  // tuner/: the FMA peak
#include "profile_option.hpp"
#include "rtn/denormals.hpp"
#include "rtn/error.hpp"
#include "rtn/model.hpp"
#include "rtn/model_file.hpp"
#include "size_option.hpp"
#include "timing.hpp"  // tuner/: the sink and quantiles rtn-tune uses
#include "torch_plugin.hpp"

namespace rtn::cli {
namespace {

using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

// Configurations take turns this often, in short chunks, so that bursts of load from elsewhere on the machine
// hit them all alike.
constexpr int kRounds = 30;

std::string bench_help() {
  return "Processes noise through MODEL block after block and reports, for each configuration, the time per\n"
         "sample, the real-time factor (seconds of audio per second of computing, at the model's sample "
         "rate)\n"
         "and the latency of one block (p50, p99, p99.9, max). The configurations are: the tuned dispatch\n"
         "(the profile's choice per layer), each backend forced for every layer, and libtorch running the "
         "same\n"
         "layers with the same weights (one thread, state carried from block to block). They take turns in\n"
         "rounds so that other load on the machine hits them alike.\n"
         "\n"
         "Options:\n"
         "  --backend LIST   measure only these: tuned, an implementation (stl, xsimd.fixed, ...), libtorch "
         "(comma-separated or "
         "repeated)\n" +
         profile_options_help() + size_option_help() +
         "  --seconds S      measuring time per configuration (default 3)\n"
         "  --host-no-flush  measure as a host that does not flush denormals (by default the measuring "
         "thread\n"
         "                   runs with flush-to-zero on, as audio hosts do: rtn's guard then costs one "
         "read)\n"
         "  --json           print one JSON object instead of the table\n"
         "  --json-file PATH also write that JSON object to PATH\n"
         "  -h, --help       show this help\n";
}

struct Configuration {
  std::string name;  // "tuned", a backend name, "libtorch"
  std::optional<Model> model;
  std::unique_ptr<TorchModel> torch;
  std::vector<std::string> layers;    // the backend of each layer
  std::vector<double> ns_per_sample;  // one per round
  std::vector<double> block_ns;       // every timed block
  std::vector<float> check_output;    // the output on the check signal, from zero state
  long blocks_per_chunk = 1;

  void process(const float* in, float* out, int frames) {
    if (torch) {
      torch->process(in, out, frames);
    } else {
      model->process(in, out, frames);
    }
  }
  void reset() {
    if (torch) {
      torch->reset();
    } else {
      model->reset();
    }
  }
};


std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string significant(double value) {
  char text[64];
  std::snprintf(text, sizeof text, value < 10 ? "%.2f" : value < 100 ? "%.1f" : "%.0f", value);
  return text;
}

double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double difference = std::fabs(static_cast<double>(a[i]) - b[i]);
    if (!(difference <= worst)) worst = difference;
  }
  return worst;
}

int run_bench(const std::vector<std::string>& arguments) {
  std::string model_path;
  ProfileOptions profile_options;
  std::vector<std::string> wanted;
  double seconds = 3;
  LoadOptions load;
  bool json = false;
  bool host_flushes = true;
  std::string json_file;
  bool options_ended = false;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    std::string value;
    if (!options_ended && argument == "--") {
      options_ended = true;
    } else if (!options_ended && take_value(arguments, i, "--backend", value)) {
      std::istringstream names(value);
      std::string name;
      while (std::getline(names, name, ',')) {
        if (name == "torch") name = "libtorch";
        if (name != "tuned" && name != "libtorch") parse_backend_option(name);
        wanted.push_back(name);
      }
    } else if (!options_ended && parse_size_option(arguments, i, load)) {
      continue;
    } else if (!options_ended && take_value(arguments, i, "--seconds", value)) {
      char* end = nullptr;
      seconds = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(seconds > 0) || seconds > 3600) {
        throw UsageError("--seconds needs a number of seconds in (0, 3600], got '" + value + "'");
      }
    } else if (!options_ended && take_value(arguments, i, "--json-file", json_file)) {
      if (json_file.empty()) throw UsageError("--json-file needs a path");
    } else if (!options_ended && argument == "--json") {
      json = true;
    } else if (!options_ended && argument == "--host-no-flush") {
      host_flushes = false;
    } else if (!options_ended && parse_profile_option(arguments, i, profile_options)) {
      continue;
    } else {
      take_model_path(argument, options_ended, model_path);
    }
  }
  if (model_path.empty()) throw UsageError("no model file given");
  const auto wants = [&](const std::string& name) {
    return wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  };
  const int block = profile_options.block;

  const ModelDefinition definition = load_model_file(model_path, load);
  const LoadedProfile profile = load_profile_option(profile_options);
  std::vector<Configuration> configurations;
  std::vector<std::string> warnings = profile.warnings;
  std::vector<std::string> skipped;
  try {
    if (wants("tuned")) {
      BackendSelection selection;
      selection.profile = profile;
      selection.block_size = block;
      Configuration tuned;
      tuned.name = "tuned";
      tuned.model.emplace(Model::build(definition, selection));
      configurations.push_back(std::move(tuned));
    }
    for (Implementation implementation : compiled_implementations()) {
      if (!wants(std::string(implementation.name()))) continue;
      BackendSelection selection;
      selection.all = implementation;
      selection.block_size = block;
      Configuration forced;
      forced.name = std::string(implementation.name());
      forced.model.emplace(Model::build(definition, selection));
      configurations.push_back(std::move(forced));
    }
  } catch (const Error& error) {
    throw Error(model_path + ": " + error.what());
  }
  for (Configuration& configuration : configurations) {
    configuration.model->prepare(block);
    for (const LayerReport& layer : configuration.model->describe()) {
      configuration.layers.emplace_back(layer.implementation.name());
    }
  }
  if (wants("libtorch")) {
    std::string why_not;
    if (const RtnTorchPluginApi* api = load_torch_plugin(why_not)) {
      api->use_one_thread();
      try {
        Configuration torch;
        torch.name = "libtorch";
        torch.torch = make_torch_model(*api, definition);
        configurations.push_back(std::move(torch));
      } catch (const Error& error) {
        skipped.push_back(std::string("libtorch: ") + error.what());
      }
    } else {
      skipped.push_back("libtorch: " + why_not);
    }
  }
  if (configurations.empty()) throw UsageError("nothing to measure");

  // The same noise for every configuration: 1 s of audio, looped.
  const int in_channels = definition.input_channels;
  const int out_channels = definition.output_channels;
  const int signal_frames = std::max(block * 4, static_cast<int>(std::min(definition.sample_rate, 192000.0)));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> noise(-0.5f, 0.5f);
  std::vector<float> signal(static_cast<std::size_t>(signal_frames) * in_channels);
  for (float& value : signal) value = noise(rng);
  std::vector<float> output(static_cast<std::size_t>(block) * out_channels);
  const int blocks_in_signal = signal_frames / block;

  // All compute the same function: check that on 4096 frames from zero state, before timing anything.
  const int check_frames = std::min(4096, blocks_in_signal * block);
  for (Configuration& configuration : configurations) {
    configuration.reset();
    configuration.check_output.resize(static_cast<std::size_t>(check_frames) * out_channels);
    for (int start = 0; start < check_frames; start += block) {
      configuration.process(
          signal.data() + static_cast<std::size_t>(start) * in_channels,
          configuration.check_output.data() + static_cast<std::size_t>(start) * out_channels,
          std::min(block, check_frames - start));
    }
  }

  // The host's floating-point mode for the whole measurement: flushing denormals, as DAWs run their audio
  // threads (the contract in rtn/denormals.hpp), unless --host-no-flush.
  std::optional<ScopedFlushDenormals> host_mode;
  if (host_flushes) host_mode.emplace();

  // Warm up and size the chunks: each round gives each configuration seconds / kRounds, half for throughput
  // (one clock reading around many blocks) and half for latency (a clock reading around every block).
  long position = 0;
  const auto run_blocks = [&](Configuration& configuration, long count, bool time_each) {
    for (long b = 0; b < count; ++b) {
      const float* in = signal.data() + static_cast<std::size_t>(position) * block * in_channels;
      if (time_each) {
        const Clock::time_point start = Clock::now();
        configuration.process(in, output.data(), block);
        const Clock::time_point end = Clock::now();
        configuration.block_ns.push_back(std::chrono::duration<double, std::nano>(end - start).count());
      } else {
        configuration.process(in, output.data(), block);
      }
      tune::sink(output.data());
      if (++position == blocks_in_signal) position = 0;  // (no division per call: it would show at block 1)
    }
  };
  for (Configuration& configuration : configurations) {
    long count = 1;
    for (;;) {
      const Clock::time_point start = Clock::now();
      run_blocks(configuration, count, false);
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      if (elapsed >= 0.05 || count >= (1L << 30)) {
        configuration.blocks_per_chunk =
            std::max(1L, static_cast<long>(count * (seconds / kRounds / 2) / elapsed));
        break;
      }
      count *= 2;
    }
  }
  for (int round = 0; round < kRounds; ++round) {
    for (Configuration& configuration : configurations) {
      const Clock::time_point start = Clock::now();
      run_blocks(configuration, configuration.blocks_per_chunk, false);
      const double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
      configuration.ns_per_sample.push_back(ns /
                                            (static_cast<double>(configuration.blocks_per_chunk) * block));
      run_blocks(configuration, configuration.blocks_per_chunk, true);
    }
  }

  // ---- report ----
  const Configuration* libtorch = nullptr;
  for (const Configuration& configuration : configurations) {
    if (configuration.name == "libtorch") libtorch = &configuration;
  }
  double tuned_ns = 0;
  for (const Configuration& configuration : configurations) {
    if (configuration.name == "tuned") tuned_ns = tune::quantile(configuration.ns_per_sample, 0.5);
  }
  // The distance to the machine's limit: the model's floating-point work per sample against this core's
  // FMA peak, measured now.
  double flops_per_sample = 0;
  for (const LayerDefinition& layer : definition.layers) flops_per_sample += layer.spec.flops_per_frame();
  const std::vector<tune::FmaPeak> peaks = tune::measure_fma_peaks();
  const double peak_gflops = tune::best_peak_gflops(peaks);

  Json root;
  root["model"] = definition.name;
  root["file"] = model_path;
  root["sample_rate"] = definition.sample_rate;
  root["block"] = block;
  root["seconds_per_configuration"] = seconds;
  root["rounds"] = kRounds;
  root["host_flushes_denormals"] = host_flushes;
  root["machine"] = this_machine().describe();
  root["build"] = this_build().describe();
  root["flops_per_sample"] = flops_per_sample;
  root["fma_peak_gflops"] = peak_gflops;
  root["fma_peaks"] = tune::describe_peaks(peaks);
  Json profile_json;
  profile_json["path"] = profile.path;
  profile_json["in_use"] = static_cast<bool>(profile.profile);
  profile_json["ignored"] = profile.ignored;
  root["profile"] = profile_json;
  Json configurations_json = Json::object();

  Table table({{"configuration", false},
               {"ns/sample", true},
               {"spread", true},
               {"best", true},
               {"real-time x", true},
               {"p50 us", true},
               {"p99 us", true},
               {"p99.9 us", true},
               {"max us", true},
               {"vs tuned", true},
               {"GFLOP/s", true},
               {"% peak", true},
               {"layers", false}});
  for (const Configuration& configuration : configurations) {
    const double median = tune::quantile(configuration.ns_per_sample, 0.5);
    const double spread = median > 0 ? (tune::quantile(configuration.ns_per_sample, 0.75) -
                                        tune::quantile(configuration.ns_per_sample, 0.25)) /
                                           median
                                     : 0;
    const double realtime = median > 0 ? 1e9 / (median * definition.sample_rate) : 0;
    const double p50 = tune::quantile(configuration.block_ns, 0.5),
                 p99 = tune::quantile(configuration.block_ns, 0.99);
    const double p999 = tune::quantile(configuration.block_ns, 0.999),
                 worst = tune::quantile(configuration.block_ns, 1.0);
    Json entry;
    entry["realtime_factor"] = realtime;
    entry["ns_per_sample"] = median;
    entry["ns_per_sample_min"] =
        *std::min_element(configuration.ns_per_sample.begin(), configuration.ns_per_sample.end());
    entry["ns_per_sample_spread"] = spread;
    entry["ns_per_sample_rounds"] = configuration.ns_per_sample;
    entry["latency_ns"] = {{"p50", p50}, {"p99", p99}, {"p99.9", p999}, {"max", worst}};
    entry["blocks_timed"] = configuration.block_ns.size();
    const double gflops = median > 0 ? flops_per_sample / median : 0;
    entry["gflops"] = gflops;
    if (peak_gflops > 0) entry["percent_of_peak"] = 100 * gflops / peak_gflops;
    if (!configuration.layers.empty()) entry["layers"] = configuration.layers;
    if (libtorch)
      entry["max_abs_error_vs_libtorch"] =
          max_abs_difference(configuration.check_output, libtorch->check_output);
    configurations_json[configuration.name] = entry;

    std::string layers;
    for (const std::string& layer : configuration.layers) layers += (layers.empty() ? "" : " ") + layer;
    if (configuration.name == "libtorch") layers = "libtorch, 1 thread";
    std::string versus = "-";
    if (tuned_ns > 0)
      versus = configuration.name == "tuned" ? "=" : fixed((median / tuned_ns - 1) * 100, 1) + "%";
    if (!versus.empty() && versus != "-" && versus != "=" && versus[0] != '-') versus = "+" + versus;
    const double best =
        *std::min_element(configuration.ns_per_sample.begin(), configuration.ns_per_sample.end());
    table.add_row({configuration.name, significant(median), fixed(spread * 100, 1) + "%", significant(best),
                   significant(realtime), fixed(p50 / 1000, 2), fixed(p99 / 1000, 2), fixed(p999 / 1000, 2),
                   fixed(worst / 1000, 2), versus, significant(gflops),
                   peak_gflops > 0 ? fixed(100 * gflops / peak_gflops, 1) : "-", layers});
  }
  root["configurations"] = configurations_json;
  if (!skipped.empty()) root["skipped"] = skipped;

  print_warnings(warnings);
  if (!json_file.empty()) {
    std::ofstream file(json_file, std::ios::binary | std::ios::trunc);
    file << root.dump(2) << '\n';
    if (!file) throw Error("cannot write '" + json_file + "'");
  }
  if (json) {
    std::cout << root.dump(2) << '\n';
    return kExitSuccess;
  }
  std::cout << "model:    " << definition.name << " (" << model_path << "), "
            << format_number(definition.sample_rate) << " Hz\n"
            << "block:    " << block << (block == 1 ? " frame (per sample)" : " frames") << " per call; "
            << format_number(seconds) << " s per configuration in " << kRounds << " rounds; host "
            << (host_flushes ? "flushes denormals (as DAWs do)" : "does not flush denormals (--host-no-flush)") << "\n"
            << "machine:  " << this_machine().describe() << "; " << this_build().describe() << "\n"
            << "work:     " << significant(flops_per_sample) << " FLOPs per sample; this core's FMA peak: "
            << tune::describe_peaks(peaks) << "\n"
            << "profile:  " << describe_profile(profile, profile_options) << "\n\n";
  table.print(std::cout);
  std::cout
      << "\nns/sample: median of the rounds; spread: (p75 - p25) / median of the rounds; best: the fastest\n"
         "round; real-time x: audio seconds per second at "
      << format_number(definition.sample_rate) << " Hz; latency: one process() call of " << block
      << (block == 1 ? " frame.\n" : " frames.\n");
  if (libtorch) {
    double worst = 0;
    for (const Configuration& configuration : configurations) {
      if (&configuration != libtorch)
        worst = std::max(worst, max_abs_difference(configuration.check_output, libtorch->check_output));
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1e", worst);
    std::cout << "Every configuration's output differs from libtorch's by at most " << text << " (first "
              << check_frames << " frames).\n";
  }
  for (const std::string& reason : skipped) std::cout << "Not measured: " << reason << "\n";
  return kExitSuccess;
}

}  // namespace

const Command kBenchCommand = {
    "bench",
    "MODEL [--profile P | --no-profile] [--backend tuned,stl,eigen,xsimd,libtorch] [--block N] [--seconds S] "
    "[--size S] [--json]",
    "measure a model's real-time factor and block latency: tuned, each backend, libtorch", &bench_help,
    &run_bench};

}  // namespace rtn::cli
