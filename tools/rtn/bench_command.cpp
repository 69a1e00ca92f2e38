// rtn bench MODEL: the model's real-time factor and per-block latency, with the tuned dispatch, with each
// backend forced for every layer, and with libtorch running the same network.
#include <algorithm>
#include <limits>
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

#include "rtn/denormals.hpp"
#include "rtn/error.hpp"
#include "rtn/model.hpp"
#include "rtn/model_file.hpp"
#include "rtn/profile.hpp"
#include "tools/common/command.hpp"
#include "tools/common/peak.hpp"  // the FMA peak
#include "tools/common/profile_option.hpp"
#include "tools/common/results_document.hpp"  // rtn's results format
#include "tools/common/run_context.hpp"
#include "tools/common/size_option.hpp"
#include "tools/common/test_data.hpp"  // max_abs_error
#include "tools/common/timing.hpp"  // the sink and quantiles rtn-tune uses
#include "tools/rtn/torch_plugin.hpp"

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
         "                   runs with flush-to-zero on, as audio hosts do: rtn's guard then only tests "
         "it)\n"
         "  --json           print one JSON object instead of the table\n"
         "  --json-file PATH also write that JSON object to PATH\n"
         "  --results PATH   also write every round in rtn's results format (docs/results-format.md), which\n"
         "                   rtn-report reads as it is\n"
         "  -h, --help       show this help\n";
}

struct Configuration {
  std::string name;  // "tuned", a backend name, "libtorch"
  std::optional<Model> model;
  std::unique_ptr<TorchModel> torch;
  std::vector<std::string> layers;    // the backend of each layer
  std::vector<LayerReport> dispatch;  // each layer's spec, backend and the reason for it
  std::vector<double> ns_per_sample;  // one per round
  std::vector<double> block_ns;       // every timed block
  std::vector<float> check_output;    // the output on the check signal, from zero state
  std::string libtorch_description;   // libtorch's: its version, BLAS and threads
  long blocks_per_chunk = 1;
  // Whether the model's output frames differ from its input frames: only then is output_frames() asked, a
  // call into the library that would otherwise add to every timed call what a host does not pay.
  bool rate_changes = false;

  // Returns the frames written.
  int process(const float* in, float* out, int frames) {
    if (torch) {
      torch->process(in, out, frames);
      return frames;  // only models without strided or transposed convolutions (make_configurations)
    }
    const int written = rate_changes ? model->output_frames(frames) : frames;
    model->process(in, out, frames);
    return written;
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

// What the command line asks for.
struct BenchOptions {
  std::string model_path;
  ProfileOptions profile;
  LoadOptions load;
  std::vector<std::string> wanted;  // configuration names; empty: all
  double seconds = 3;
  bool json = false;
  bool host_flushes = true;
  std::string json_file;
  std::string results_file;  // rtn's results format (docs/results-format.md)
  std::string command_line;

  bool wants(const std::string& name) const {
    return wanted.empty() || std::find(wanted.begin(), wanted.end(), name) != wanted.end();
  }
};

BenchOptions parse_bench_options(const std::vector<std::string>& arguments) {
  BenchOptions options;
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
        options.wanted.push_back(name);
      }
    } else if (!options_ended && take_value(arguments, i, "--seconds", value)) {
      char* end = nullptr;
      options.seconds = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(options.seconds > 0) || options.seconds > 3600) {
        throw UsageError("--seconds needs a number of seconds in (0, 3600], got '" + value + "'");
      }
    } else if (!options_ended && take_value(arguments, i, "--json-file", options.json_file)) {
      if (options.json_file.empty()) throw UsageError("--json-file needs a path");
    } else if (!options_ended && take_value(arguments, i, "--results", options.results_file)) {
      if (options.results_file.empty()) throw UsageError("--results needs a path");
    } else if (!options_ended && argument == "--json") {
      options.json = true;
    } else if (!options_ended && argument == "--host-no-flush") {
      options.host_flushes = false;
    } else if (!options_ended && (parse_profile_option(arguments, i, options.profile) ||
                                  parse_size_option(arguments, i, options.load))) {
      continue;  // the options every command shares (they move i past their value)
    } else {
      take_model_path(argument, options_ended, options.model_path);
    }
  }
  if (options.model_path.empty()) throw UsageError("no model file given");
  options.command_line = "rtn bench";
  for (const std::string& argument : arguments) options.command_line += " " + argument;
  return options;
}

// The tuned model, each implementation forced for every layer, and libtorch, as asked; what could not be
// measured goes to `skipped` with the reason.
std::vector<Configuration> make_configurations(const ModelDefinition& definition, const LoadedProfile& profile,
                                               const BenchOptions& options, std::vector<std::string>& skipped) {
  const int block = options.profile.block;
  std::vector<Configuration> configurations;
  try {
    if (options.wants("tuned")) {
      BackendSelection selection;
      selection.profile = profile;
      selection.block_size = block;
      Configuration tuned;
      tuned.name = "tuned";
      tuned.model.emplace(Model::build(definition, selection));
      configurations.push_back(std::move(tuned));
    }
    for (Implementation implementation : compiled_implementations()) {
      if (!options.wants(std::string(implementation.name()))) continue;
      BackendSelection selection;
      selection.all = implementation;
      selection.block_size = block;
      Configuration forced;
      forced.name = std::string(implementation.name());
      forced.model.emplace(Model::build(definition, selection));
      configurations.push_back(std::move(forced));
    }
  } catch (const Error& error) {
    throw Error(options.model_path + ": " + error.what());
  }
  for (Configuration& configuration : configurations) {
    configuration.model->prepare(block);
    configuration.rate_changes = configuration.model->frame_period() != Model::FramePeriod{};
    configuration.dispatch = configuration.model->describe();
    for (const LayerReport& layer : configuration.dispatch) {
      configuration.layers.emplace_back(layer.implementation.name());
    }
  }
  const bool same_rate = std::all_of(definition.layers.begin(), definition.layers.end(), [](const LayerDefinition& layer) {
    return layer.spec.time_stride() == 1 && layer.spec.time_upsampling() == 1;
  });
  if (options.wants("libtorch") && !same_rate) {
    // The plugin's process() does not say how many frames it wrote.
    skipped.emplace_back("libtorch: the model has strided or transposed convolutions, which the plugin does not stream");
  } else if (options.wants("libtorch")) {
    std::string why_not;
    if (const RtnTorchPluginApi* api = load_torch_plugin(why_not)) {
      api->use_one_thread();
      try {
        Configuration torch;
        torch.name = "libtorch";
        torch.torch = make_torch_model(*api, definition);
        char description[256] = {};
        api->describe(description, sizeof description);
        torch.libtorch_description = description;
        configurations.push_back(std::move(torch));
      } catch (const Error& error) {
        skipped.push_back(std::string("libtorch: ") + error.what());
      }
    } else {
      skipped.push_back("libtorch: " + why_not);
    }
  }
  if (configurations.empty()) throw UsageError("nothing to measure");
  return configurations;
}

// The input every configuration gets: 1 s of noise (at least four blocks), looped block by block.
struct BenchSignal {
  std::vector<float> samples;
  int channels = 1;
  int block = 1;
  int blocks = 0;  // whole blocks in it

  BenchSignal(int frames, int channels_, int block_) : channels(channels_), block(block_), blocks(frames / block_) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> noise(-0.5f, 0.5f);
    samples.resize(static_cast<std::size_t>(frames) * channels);
    for (float& value : samples) value = noise(rng);
  }
  const float* block_at(long index) const {
    return samples.data() + static_cast<std::size_t>(index) * block * channels;
  }
};

// Every configuration's output on the first `frames` frames from zero state, so that they can be compared
// with libtorch's before anything is timed.
// The most frames one call of `frames` writes, each layer's as soon as it can (libtorch's way; rtn's model
// writes no more): more than `frames` after a transposed convolution.
int max_output_frames(const ModelDefinition& definition, int frames) {
  for (const LayerDefinition& layer : definition.layers) frames = layer.spec.max_output_frames(frames);
  return frames;
}

// Compared as far as every configuration's output goes: the frames a model with strided or transposed
// convolutions holds back differ between rtn (which writes each frame in its input's call) and libtorch.
void record_check_outputs(std::vector<Configuration>& configurations, const BenchSignal& signal,
                          const ModelDefinition& definition, int frames) {
  const int out_channels = definition.output_channels;
  std::size_t shortest = std::numeric_limits<std::size_t>::max();
  for (Configuration& configuration : configurations) {
    configuration.reset();
    std::vector<float>& output = configuration.check_output;
    output.clear();
    std::vector<float> piece(static_cast<std::size_t>(max_output_frames(definition, signal.block)) * out_channels);
    for (int start = 0; start < frames; start += signal.block) {
      const int count = std::min(signal.block, frames - start);
      const int written = configuration.process(
          signal.samples.data() + static_cast<std::size_t>(start) * signal.channels, piece.data(), count);
      output.insert(output.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(written) * out_channels);
    }
    shortest = std::min(shortest, output.size());
  }
  for (Configuration& configuration : configurations) configuration.check_output.resize(shortest);
}

// Times every configuration in turns (kRounds rounds, `seconds` each in all): per round, a chunk of blocks
// under one clock reading (ns_per_sample) and a chunk with a clock reading around every block (block_ns).
void measure(std::vector<Configuration>& configurations, const BenchSignal& signal, const ModelDefinition& definition,
             double seconds) {
  const int block = signal.block;
  std::vector<float> output(static_cast<std::size_t>(max_output_frames(definition, block)) *
                            definition.output_channels);
  long position = 0;
  const auto run_blocks = [&](Configuration& configuration, long count, bool time_each) {
    for (long b = 0; b < count; ++b) {
      const float* in = signal.block_at(position);
      if (time_each) {
        const Clock::time_point start = Clock::now();
        configuration.process(in, output.data(), block);
        const Clock::time_point end = Clock::now();
        configuration.block_ns.push_back(std::chrono::duration<double, std::nano>(end - start).count());
      } else {
        configuration.process(in, output.data(), block);
      }
      tune::sink(output.data());
      if (++position == signal.blocks) position = 0;  // (no division per call: it would show at block 1)
    }
  };
  // Warm up and size the chunks: each round gives each configuration seconds / kRounds, half for throughput
  // and half for latency.
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
}

// The time of one process() call of a block, ns: percentiles over some timed blocks.
struct BlockLatency {
  double p50 = 0, p99 = 0, p999 = 0, worst = 0;
};

BlockLatency block_latency(const std::vector<double>& block_ns) {
  return {tune::quantile(block_ns, 0.5), tune::quantile(block_ns, 0.99), tune::quantile(block_ns, 0.999),
          tune::quantile(block_ns, 1.0)};
}

// One configuration's statistics, as the table and the JSON give them.
struct Summary {
  double median = 0, spread = 0, best = 0, realtime = 0, gflops = 0;
  BlockLatency latency;  // over every timed block
};

Summary summarise(const Configuration& configuration, double sample_rate, double flops_per_sample) {
  Summary summary;
  const std::vector<double>& rounds = configuration.ns_per_sample;
  summary.median = tune::quantile(rounds, 0.5);
  summary.spread =
      summary.median > 0 ? (tune::quantile(rounds, 0.75) - tune::quantile(rounds, 0.25)) / summary.median : 0;
  summary.best = *std::min_element(rounds.begin(), rounds.end());
  summary.realtime = summary.median > 0 ? 1e9 / (summary.median * sample_rate) : 0;
  summary.gflops = summary.median > 0 ? flops_per_sample / summary.median : 0;
  summary.latency = block_latency(configuration.block_ns);
  return summary;
}

// The time of one process() call (percentiles over every timed block) and which profile was used, as both the
// --json object and the results file give them.
Json latency_json(const BlockLatency& latency) {
  return {{"p50", latency.p50}, {"p99", latency.p99}, {"p99.9", latency.p999}, {"max", latency.worst}};
}
// The block latency percentiles of each round on its own: measure() times blocks_per_chunk blocks a round.
Json latency_rounds_json(const Configuration& configuration) {
  Json rounds = Json::array();
  const std::vector<double>& all = configuration.block_ns;
  const std::size_t per_round = static_cast<std::size_t>(configuration.blocks_per_chunk);
  for (std::size_t first = 0; per_round > 0 && first + per_round <= all.size(); first += per_round) {
    rounds.push_back(latency_json(block_latency({all.begin() + static_cast<std::ptrdiff_t>(first),
                                                 all.begin() + static_cast<std::ptrdiff_t>(first + per_round)})));
  }
  return rounds;
}
Json profile_json(const LoadedProfile& profile) {
  return {{"path", profile.path}, {"in_use", static_cast<bool>(profile.profile)}, {"ignored", profile.ignored}};
}

// Everything measured, for --json and --json-file.
Json describe_run(const std::vector<Configuration>& configurations, const Configuration* libtorch,
                  const ModelDefinition& definition, const BenchOptions& options, const LoadedProfile& profile,
                  double flops_per_sample, const std::vector<tune::FmaPeak>& peaks,
                  const std::vector<std::string>& skipped, const tune::RunContext& run) {
  const double peak_gflops = tune::best_peak_gflops(peaks);
  Json root;
  root["model"] = definition.name;
  root["file"] = options.model_path;
  root["sample_rate"] = definition.sample_rate;
  root["block"] = options.profile.block;
  root["seconds_per_configuration"] = options.seconds;
  root["rounds"] = kRounds;
  root["host_flushes_denormals"] = options.host_flushes;
  // As the profile writes them, and when, where and under what load (docs/results-format.md's run section).
  root["machine"] = Json::parse(machine_to_json(this_machine()));
  root["build"] = Json::parse(build_to_json(this_build()));
  root["run"] = Json::parse(run.to_json());
  root["flops_per_sample"] = flops_per_sample;
  root["fma_peak_gflops"] = peak_gflops;
  root["fma_peaks"] = tune::describe_peaks(peaks);
  root["profile"] = profile_json(profile);
  Json configurations_json = Json::object();
  for (const Configuration& configuration : configurations) {
    const Summary summary = summarise(configuration, definition.sample_rate, flops_per_sample);
    Json entry;
    entry["realtime_factor"] = summary.realtime;
    entry["ns_per_sample"] = summary.median;
    entry["ns_per_sample_min"] = summary.best;
    entry["ns_per_sample_spread"] = summary.spread;
    entry["ns_per_sample_rounds"] = configuration.ns_per_sample;
    entry["latency_ns"] = latency_json(summary.latency);
    entry["blocks_timed"] = configuration.block_ns.size();
    entry["gflops"] = summary.gflops;
    if (peak_gflops > 0) entry["percent_of_peak"] = 100 * summary.gflops / peak_gflops;
    if (!configuration.layers.empty()) entry["layers"] = configuration.layers;
    if (!configuration.dispatch.empty()) {
      Json dispatch = Json::array();
      for (const LayerReport& layer : configuration.dispatch) {
        dispatch.push_back({{"layer", layer.spec.to_string()},
                            {"backend", std::string(layer.implementation.name())},
                            {"reason", layer.reason}});
      }
      entry["dispatch"] = dispatch;
    }
    if (libtorch) {
      entry["max_abs_error_vs_libtorch"] = testing::max_abs_error(configuration.check_output, libtorch->check_output);
    }
    configurations_json[configuration.name] = entry;
  }
  root["configurations"] = configurations_json;
  if (!skipped.empty()) root["skipped"] = skipped;
  return root;
}

// Everything measured in rtn's results format, for --results: each configuration's rounds with its block
// latency percentiles, and the model with each layer's implementation and the reason for it.
tune::ResultsJson results_of_run(const std::vector<Configuration>& configurations, const Configuration* libtorch,
                                 const ModelDefinition& definition, const BenchOptions& options,
                                 const LoadedProfile& profile, double flops_per_sample, const tune::RunContext& run) {
  const int block = options.profile.block;
  tune::ResultsJson document =
      tune::results_document(run, options.command_line, libtorch ? libtorch->libtorch_description : "");
  tune::ResultsJson model;
  model["name"] = definition.name;
  model["file"] = options.model_path;
  model["sample_rate"] = definition.sample_rate;
  model["block"] = block;
  model["profile"] = profile_json(profile);
  model["flops_per_sample"] = flops_per_sample;
  long long parameters = 0;
  for (const LayerDefinition& layer : definition.layers) parameters += layer.spec.parameter_count();
  model["parameters"] = parameters;
  for (const Configuration& configuration : configurations) {
    tune::ResultsJson entry =
        tune::model_measurement(definition.name, configuration.name, block, "rtn-bench", configuration.ns_per_sample);
    const Summary summary = summarise(configuration, definition.sample_rate, flops_per_sample);
    entry["sample_rate"] = definition.sample_rate;
    entry["flops_per_sample"] = flops_per_sample;
    entry["latency_ns"] = latency_json(summary.latency);
    entry["latency_ns_rounds"] = latency_rounds_json(configuration);
    entry["blocks_timed"] = configuration.block_ns.size();
    if (!configuration.layers.empty()) entry["layers"] = configuration.layers;
    if (libtorch && &configuration != libtorch) {
      const double error = testing::max_abs_error(configuration.check_output, libtorch->check_output);
      entry["error"] = {{"checked_against", "libtorch"}, {"max_abs", std::isfinite(error) ? error : 1e30}};
    }
    document["measurements"].push_back(std::move(entry));
    if (configuration.name == "tuned") {
      tune::ResultsJson dispatch = tune::ResultsJson::array();
      for (std::size_t i = 0; i < configuration.dispatch.size(); ++i) {
        const LayerReport& layer = configuration.dispatch[i];
        dispatch.push_back({{"index", i},
                            {"layer", layer.spec.to_string()},
                            {"parameters", layer.parameters},
                            {"flops_per_sample", layer.flops_per_frame},
                            {"backend", std::string(layer.implementation.name())},
                            {"reason", layer.reason}});
      }
      model["dispatch"] = dispatch;
    }
  }
  document["models"] = tune::ResultsJson::array({model});
  return document;
}

// The human-readable report: context, one row per configuration, what the columns mean.
void print_report(const std::vector<Configuration>& configurations, const Configuration* libtorch,
                  const ModelDefinition& definition, const BenchOptions& options, const LoadedProfile& profile,
                  double flops_per_sample, const std::vector<tune::FmaPeak>& peaks, int check_frames,
                  const std::vector<std::string>& skipped) {
  const int block = options.profile.block;
  const double peak_gflops = tune::best_peak_gflops(peaks);
  double tuned_ns = 0;
  for (const Configuration& configuration : configurations) {
    if (configuration.name == "tuned") tuned_ns = tune::quantile(configuration.ns_per_sample, 0.5);
  }
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
    const Summary summary = summarise(configuration, definition.sample_rate, flops_per_sample);
    const std::string layers =
        configuration.name == "libtorch" ? "libtorch, 1 thread" : join(configuration.layers, " ");
    std::string versus = "-";
    if (tuned_ns > 0) {
      versus = configuration.name == "tuned" ? "=" : fixed((summary.median / tuned_ns - 1) * 100, 1) + "%";
    }
    if (!versus.empty() && versus != "-" && versus != "=" && versus[0] != '-') versus = "+" + versus;
    table.add_row({configuration.name, format_significant(summary.median), fixed(summary.spread * 100, 1) + "%",
                   format_significant(summary.best), format_significant(summary.realtime), fixed(summary.latency.p50 / 1000, 2),
                   fixed(summary.latency.p99 / 1000, 2), fixed(summary.latency.p999 / 1000, 2),
                   fixed(summary.latency.worst / 1000, 2),
                   versus, format_significant(summary.gflops),
                   peak_gflops > 0 ? fixed(100 * summary.gflops / peak_gflops, 1) : "-", layers});
  }
  std::cout << "model:    " << definition.name << " (" << options.model_path << "), "
            << format_number(definition.sample_rate) << " Hz\n"
            << "block:    " << block << (block == 1 ? " frame (per sample)" : " frames") << " per call; "
            << format_number(options.seconds) << " s per configuration in " << kRounds << " rounds; host "
            << (options.host_flushes ? "flushes denormals (as DAWs do)"
                                     : "does not flush denormals (--host-no-flush)")
            << "\n"
            << "machine:  " << this_machine().describe() << "; " << this_build().describe() << "\n"
            << "work:     " << format_significant(flops_per_sample) << " FLOPs per sample; this core's FMA peak: "
            << tune::describe_peaks(peaks) << "\n"
            << "profile:  " << describe_profile(profile, options.profile) << "\n\n";
  table.print(std::cout);
  std::cout
      << "\nns/sample: median of the rounds; spread: (p75 - p25) / median of the rounds; best: the fastest\n"
         "round; real-time x: audio seconds per second at "
      << format_number(definition.sample_rate) << " Hz; latency: one process() call of " << block
      << (block == 1 ? " frame.\n" : " frames.\n");
  if (libtorch) {
    double worst = 0;
    for (const Configuration& configuration : configurations) {
      if (&configuration != libtorch) {
        worst = std::max(worst, testing::max_abs_error(configuration.check_output, libtorch->check_output));
      }
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1e", worst);
    std::cout << "Every configuration's output differs from libtorch's by at most " << text << " (first "
              << check_frames << " frames).\n";
  }
  for (const std::string& reason : skipped) std::cout << "Not measured: " << reason << "\n";
}

int run_bench(const std::vector<std::string>& arguments) {
  const BenchOptions options = parse_bench_options(arguments);
  const int block = options.profile.block;
  const ModelDefinition definition = load_model_file(options.model_path, options.load);
  const LoadedProfile profile = load_profile_option(options.profile);
  std::vector<std::string> skipped;
  std::vector<Configuration> configurations = make_configurations(definition, profile, options, skipped);

  // The same noise for every configuration; all must compute the same function, checked on 4096 frames.
  const int signal_frames = std::max(block * 4, static_cast<int>(std::min(definition.sample_rate, 192000.0)));
  const BenchSignal signal(signal_frames, definition.input_channels, block);
  const int check_frames = std::min(4096, signal.blocks * block);
  record_check_outputs(configurations, signal, definition, check_frames);
  std::optional<tune::RunContext> run;
  {
    // The host's floating-point mode for the whole measurement: flushing denormals, as DAWs run their audio
    // threads (the contract in rtn/denormals.hpp), unless --host-no-flush.
    std::optional<ScopedFlushDenormals> host_mode;
    if (options.host_flushes) host_mode.emplace();
    run.emplace(tune::RunContext::begin());
    measure(configurations, signal, definition, options.seconds);
    run->finish();
  }

  // The distance to the machine's limit: the model's floating-point work per sample against this core's
  // FMA peak, measured now.
  double flops_per_sample = 0;
  for (const LayerDefinition& layer : definition.layers) flops_per_sample += layer.spec.flops_per_frame();
  const std::vector<tune::FmaPeak> peaks = tune::measure_fma_peaks();
  const Configuration* libtorch = nullptr;
  for (const Configuration& configuration : configurations) {
    if (configuration.name == "libtorch") libtorch = &configuration;
  }

  print_warnings(profile.warnings);
  if (!options.results_file.empty()) {
    tune::write_results(options.results_file, results_of_run(configurations, libtorch, definition, options, profile,
                                                             flops_per_sample, *run));
  }
  if (!options.json_file.empty() || options.json) {
    const Json root = describe_run(configurations, libtorch, definition, options, profile, flops_per_sample,
                                   peaks, skipped, *run);
    if (!options.json_file.empty()) {
      std::ofstream file(options.json_file, std::ios::binary | std::ios::trunc);
      file << root.dump(2) << '\n';
      if (!file) throw Error("cannot write '" + options.json_file + "'");
    }
    if (options.json) {
      std::cout << root.dump(2) << '\n';
      return kExitSuccess;
    }
  }
  print_report(configurations, libtorch, definition, options, profile, flops_per_sample, peaks, check_frames,
               skipped);
  return kExitSuccess;
}

}  // namespace

const Command kBenchCommand = {
    "bench",
    "MODEL [--profile P | --no-profile] [--backend tuned,stl,eigen,xsimd,libtorch] [--block N] [--seconds S] "
    "[--size S] [--json] [--results R]",
    "measure a model's real-time factor and block latency: tuned, each backend, libtorch", &bench_help,
    &run_bench};

}  // namespace rtn::cli
