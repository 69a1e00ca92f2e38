// rtn-tune: measures every layer shape of a suite or of model files on every backend, per sample and in
// blocks, checks each backend's output against libtorch first, and writes the tuning profile that the
// engine's dispatcher reads (docs/profile.md) and the raw measurements (docs/tuning.md).
//
//   rtn-tune [SUITE.json | MODEL ...] [--backends stl,eigen,xsimd] [--blocks 1,64,256] [--budget SECONDS]
//            [--output PROFILE.json] [--results RESULTS.json] [--no-torch] [--replace] [--seed N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "command.hpp"
#include "peak.hpp"
#include "rtn/model_file.hpp"
#include "rtn/denormals.hpp"
#include "rtn/dispatcher.hpp"
#include "rtn/error.hpp"
#include "rtn/model.hpp"
#include "rtn/profile.hpp"
#include "rtn/registry.hpp"
#include "size_option.hpp"
#include "suite.hpp"
#include "support/test_data.hpp"
#include "timing.hpp"
#include "tune_command.hpp"

#ifdef RTN_TUNE_WITH_TORCH
#include "reference/torch_reference.hpp"
#include "reference/torch_streaming.hpp"
#endif

#ifndef RTN_DEFAULT_SUITE
#define RTN_DEFAULT_SUITE ""
#endif

namespace rtn::tune {
namespace {

using cli::UsageError;
using Json = nlohmann::ordered_json;

constexpr int kExitSuccess = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
// The least margin by which a candidate must beat the default implementation to replace it.
constexpr double kMinimumWin = 0.03;

struct Options {
  std::vector<std::string> inputs;
  std::vector<Implementation> backends;
  std::vector<int> blocks;
  double budget = 60;
  std::string output;
  std::string results;
  bool torch = true;
  bool replace = false;
  unsigned seed = 1;
  LoadOptions load;  // --size: which size of a slimmable NAM model
  std::string command_line;
};

const char* kUsage =
    "usage: rtn-tune [SUITE.json | MODEL ...] [options]\n"
    "\n"
    "Measures every layer shape of a suite file (a list of shapes, see docs/tuning.md) or of model files on\n"
    "every backend, per sample and in blocks. Each backend's output is first checked against libtorch\n"
    "(a backend outside the tolerance is never chosen); then it is timed, and libtorch with it. Writes the\n"
    "tuning profile that rtn's dispatcher reads (docs/profile.md) and prints a summary table.\n"
    "Without SUITE or MODEL it tunes the bundled suite, suites/default.json.\n"
    "\n"
    "Options:\n"
    "  --backends LIST     backends to consider (default: all compiled in)\n"
    "  --blocks LIST       block sizes to measure; 1 is per-sample processing (default: the suite's, else "
    "1,64,256)\n"
    "  --budget SECONDS    time to spend, about (default 60)\n"
    "  --output PATH       the profile to write (default: the per-user profile, "
    "$XDG_CONFIG_HOME/rtn/profile.json\n"
    "                      or ~/.config/rtn/profile.json, which the engine reads when nothing else is "
    "given)\n"
    "  --results PATH      also write every repetition of every measurement there (JSON)\n"
    "  --no-torch          neither check against nor time libtorch (backends are checked against stl)\n"
    "  --replace           start the profile afresh (default: keep the entries of an existing profile from "
    "this\n"
    "                      machine and build that this run does not measure)\n"
    "  --seed N            seed of the random weights and signals (default 1)\n"
    "  --size S            the size of a slimmable Neural Amp Modeler model, 0 to 1: a SlimmableContainer's\n"
    "                      submodel, or a slimmable WaveNet's channels (default 1: the full model)\n"
    "  -h, --help          show this help\n";

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(text);
  while (std::getline(stream, part, ',')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

double parse_number(const std::string& option, const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || value < 0) {
    throw UsageError(option + " needs a number >= 0, got '" + text + "'");
  }
  return value;
}

Options parse_options(const std::vector<std::string>& arguments) {
  Options options;
  for (const std::string& argument : arguments)
    options.command_line += (options.command_line.empty() ? "" : " ") + argument;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (cli::parse_size_option(arguments, i, options.load)) continue;
    std::string argument = arguments[i];
    std::string value;
    const bool takes_value = argument == "--backends" || argument == "--blocks" || argument == "--budget" ||
                             argument == "--output" || argument == "--results" || argument == "--seed";
    if (const std::size_t equals = argument.find('=');
        argument.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = argument.substr(equals + 1);
      argument = argument.substr(0, equals);
    } else if (takes_value) {
      if (i + 1 == arguments.size()) throw UsageError(argument + " needs a value");
      value = arguments[++i];
    }
    if (argument == "--backends") {
      for (const std::string& name : split(value))
        options.backends.push_back(cli::parse_backend_option(name));
    } else if (argument == "--blocks") {
      for (const std::string& text : split(value)) {
        const double block = parse_number("--blocks", text);
        if (block < 1 || block > 65536 || block != std::floor(block)) {
          throw UsageError("--blocks: block sizes are integers in 1...65536, got '" + text + "'");
        }
        options.blocks.push_back(static_cast<int>(block));
      }
    } else if (argument == "--budget") {
      options.budget = parse_number("--budget", value);
    } else if (argument == "--output") {
      options.output = value;
    } else if (argument == "--results") {
      options.results = value;
    } else if (argument == "--seed") {
      options.seed = static_cast<unsigned>(parse_number("--seed", value));
    } else if (argument == "--no-torch") {
      options.torch = false;
    } else if (argument == "--replace") {
      options.replace = true;
    } else if (argument.size() > 1 && argument[0] == '-') {
      throw UsageError("unknown option '" + argument + "'");
    } else {
      options.inputs.push_back(argument);
    }
  }
  if (options.backends.empty()) options.backends = compiled_implementations();
#ifndef RTN_TUNE_WITH_TORCH
  options.torch = false;
#endif
  return options;
}

std::string now_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::string format_ns(double ns) {
  char text[32];
  std::snprintf(text, sizeof text, ns < 10 ? "%.2f" : ns < 100 ? "%.1f" : "%.0f", ns);
  return text;
}

std::string format_error(double error) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1e", error);
  return text;
}

std::string format_percent(double ratio) {
  char text[32];
  std::snprintf(text, sizeof text, "%+.0f%%", (ratio - 1) * 100);
  return text;
}

std::string format_ratio(double ratio) {
  char text[32];
  std::snprintf(text, sizeof text, ratio < 10 ? "%.2fx" : "%.1fx", ratio);
  return text;
}

// ---- what is timed ----

// Something a host calls block after block: a kernel, a whole model, or libtorch running the same layers.
// Cycles through `signal` block by block so that the input changes as audio does; the output is sunk so
// that no work is removed.
template <typename Target>
class StreamContender : public Timed {
 public:
  StreamContender(Target& target, int inputs, int outputs, const std::vector<float>& signal, int block)
      : target_(target),
        inputs_(inputs),
        signal_(signal),
        block_(block),
        frames_(static_cast<long>(signal.size()) / inputs),
        output_(static_cast<std::size_t>(block) * outputs) {}

  double run(long calls) override {
    const Clock::time_point start = Clock::now();
    for (long call = 0; call < calls; ++call) {
      target_.process(signal_.data() + position_ * inputs_, output_.data(), block_);
      sink(output_.data());
      position_ += block_;
      if (position_ + block_ > frames_) position_ = 0;
    }
    const Clock::time_point end = Clock::now();
    return std::chrono::duration<double, std::nano>(end - start).count();
  }

  bool output_finite() const {
    return std::all_of(output_.begin(), output_.end(), [](float v) { return std::isfinite(v); });
  }

 private:
  Target& target_;
  int inputs_;
  const std::vector<float>& signal_;
  int block_;
  long frames_;
  long position_ = 0;
  std::vector<float> output_;
};

std::unique_ptr<StreamContender<Kernel>> kernel_contender(Kernel& kernel, const std::vector<float>& signal,
                                                         int block) {
  return std::make_unique<StreamContender<Kernel>>(kernel, kernel.input_size(), kernel.output_size(), signal, block);
}
std::unique_ptr<Timed> model_contender(Model& model, const std::vector<float>& signal, int block) {
  return std::make_unique<StreamContender<Model>>(model, model.input_channels(), model.output_channels(), signal,
                                                  block);
}
#ifdef RTN_TUNE_WITH_TORCH
std::unique_ptr<Timed> torch_contender(testing::TorchStreamingModel& model, const std::vector<float>& signal,
                                       int block) {
  return std::make_unique<StreamContender<testing::TorchStreamingModel>>(model, model.input_channels(),
                                                                         model.output_channels(), signal, block);
}
#endif

// ---- one measured (shape, block) ----

struct ContenderResult {
  std::string name;  // a backend name or "libtorch"
  Statistics timing;
  double max_abs_error = 0;
  double max_rel_error = 0;
  bool within_tolerance = true;
  bool checked = false;
};

struct Item {
  LayerSpec spec;
  int block = 1;
  std::string checked_against;  // "libtorch" or "stl"
  double tolerance = 0;
  std::vector<ContenderResult> backends;
  std::optional<ContenderResult> libtorch;
  std::optional<Implementation> chosen;
  bool default_kept = false;  // a faster candidate won by less than its noise: the default stays
};

// Runs `process` over `signal` in blocks of `block` frames from zero state; returns the whole output. `process`
// returns the frames it wrote (fewer for a decimating, strided layer).
template <typename Process>
std::vector<float> run_blocks(Process&& process, const std::vector<float>& signal, int frames, int in,
                              int out, int block) {
  std::vector<float> output(static_cast<std::size_t>(frames) * out);
  std::size_t written = 0;
  for (int start = 0; start < frames; start += block) {
    const int count = std::min(block, frames - start);
    written += static_cast<std::size_t>(
        process(signal.data() + static_cast<std::size_t>(start) * in, output.data() + written * out, count));
  }
  output.resize(written * out);
  return output;
}

void record_errors(ContenderResult& result, const std::vector<float>& output,
                   const std::vector<float>& reference, double tolerance) {
  result.checked = !reference.empty();
  if (!result.checked) return;
  result.max_abs_error = testing::max_abs_error(output, reference);
  result.max_rel_error = testing::normalised_max_error(output, reference);
  result.within_tolerance = result.max_rel_error <= tolerance;  // false for NaN too
}

class Tuner {
 public:
  explicit Tuner(Options options) : options_(std::move(options)) {}

  int run() {
    Suite suite;
    if (options_.inputs.empty()) {
      if (std::string(RTN_DEFAULT_SUITE).empty()) throw UsageError("no suite or model file given");
      options_.inputs.push_back(RTN_DEFAULT_SUITE);
    }
    for (const std::string& input : options_.inputs) {
      if (is_suite_file(input)) {
        add_suite(suite, input);
      } else {
        add_model(suite, input, options_.load);
      }
    }
    std::vector<int> blocks = options_.blocks;
    if (blocks.empty()) blocks = suite.blocks;
    if (blocks.empty()) blocks = {1, 64, 256};
    std::sort(blocks.begin(), blocks.end());
    blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
    if (options_.output.empty()) options_.output = default_profile_path();
    if (options_.output.empty())
      throw UsageError("no per-user profile path (neither XDG_CONFIG_HOME nor HOME is set): give --output");

#ifdef RTN_TUNE_WITH_TORCH
    testing::use_one_torch_thread();
    if (options_.torch) torch_configuration_ = testing::torch_configuration();
#endif
    peaks_ = measure_fma_peaks();
    peak_gflops_ = best_peak_gflops(peaks_);
    std::cerr << "rtn-tune: " << suite.shapes.size() << " layer shapes x " << blocks.size()
              << " block sizes on " << this_machine().describe() << ", budget "
              << cli::format_number(options_.budget) << " s\n"
              << "  backends: " << backend_list() << "; "
              << (options_.torch ? "checked against and compared with " + torch_configuration_
                                 : std::string("no libtorch: checked against stl"))
              << "\n  this core's FMA peak: " << describe_peaks(peaks_) << "\n";

    // Measured as audio hosts run: with denormals flushed (rtn/denormals.hpp), so a model's guard costs a read.
    const ScopedFlushDenormals host_mode;
    start_ = Clock::now();
    const std::size_t total = suite.shapes.size() * blocks.size();
    std::size_t done = 0;
    std::mt19937 rng(options_.seed);
    for (const LayerSpec& spec : suite.shapes) {
      measure_shape(spec, blocks, rng, done, total);
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();

    print_summary();
    const Profile profile = make_profile(blocks, suite);
    save_profile(profile, options_.output);
    std::cerr << "rtn-tune: measured " << total << " shape/block pairs in "
              << cli::format_number(std::round(elapsed)) << " s; profile (" << profile.entries.size()
              << " entries) written to " << options_.output << "\n";
    if (!options_.results.empty()) {
      write_results(blocks, suite);
      std::cerr << "rtn-tune: every repetition written to " << options_.results << "\n";
    }
    compare_whole_models(profile, blocks);
    if (!slower_models_.empty()) {
      std::cerr << "\nrtn-tune: WARNING: the tuned choice lost to a single implementation on "
                << slower_models_.size() << " whole model(s) (by more than 2%; rerun on a quieter machine or "
                << "with a larger --budget):\n";
      for (const std::string& slower : slower_models_) std::cerr << "  !! " << slower << "\n";
    }
    if (!failures_.empty()) {
      std::cerr << "\nrtn-tune: WARNING: " << failures_.size()
                << " measurement(s) were OUTSIDE the error tolerance and were never chosen:\n";
      for (const std::string& failure : failures_) std::cerr << "  !! " << failure << "\n";
    }
    return kExitSuccess;
  }

 private:
  // For each model file tuned: the whole model with the new profile against every implementation family
  // forced for all layers, side by side (interleaved), at each block size. The tuned model must not be
  // slower than the best single family: if it is, say so loudly.
  void compare_whole_models(const Profile& profile, const std::vector<int>& blocks) {
    std::vector<std::string> models;
    for (const std::string& input : options_.inputs) {
      if (!is_suite_file(input)) models.push_back(input);
    }
    if (models.empty()) return;
    std::cout << "\nWhole models: the tuned model against each implementation forced for every layer (ns per "
                 "sample, median of interleaved repetitions; ratio > 1: tuned is faster)\n\n";
    cli::Table table({{"model", false}, {"block", true}, {"tuned", true}, {"best single", false},
                      {"its ns", true}, {"tuned vs best", true}, {"GFLOP/s", true}, {"% peak", true}});
    for (const std::string& path : models) {
      const ModelDefinition definition = load_model_file(path, options_.load);
      for (int block : blocks) {
        std::vector<std::string> names = {"tuned"};
        std::vector<std::unique_ptr<Model>> built;
        BackendSelection tuned;
        tuned.profile = accept_profile(profile);
        tuned.block_size = block;
        built.push_back(std::make_unique<Model>(Model::build(definition, tuned)));
        for (Implementation implementation : options_.backends) {
          BackendSelection forced(implementation);
          forced.block_size = block;
          built.push_back(std::make_unique<Model>(Model::build(definition, forced)));
          names.emplace_back(implementation.name());
        }
        std::mt19937 rng(options_.seed);
        const std::vector<float> signal = testing::random_signal(8192, definition.input_channels, rng, 0.5f);
        std::vector<std::unique_ptr<Timed>> contenders;
        std::vector<Timed*> timed;
        for (auto& model : built) {
          model->prepare(block);
          contenders.push_back(model_contender(*model, signal, block));
          timed.push_back(contenders.back().get());
        }
        TimingPlan plan;
        plan.seconds = 1.0 + 0.25 * static_cast<double>(timed.size());
        const std::vector<Statistics> statistics = time_interleaved(timed, block, plan);
        std::size_t best = 1;
        for (std::size_t i = 2; i < statistics.size(); ++i) {
          if (statistics[i].median < statistics[best].median) best = i;
        }
        double flops = 0;
        for (const LayerReport& layer : built.front()->describe()) flops += layer.flops_per_frame;
        const double ratio = statistics[best].median / statistics[0].median;
        // The same kernels on both sides differ only by noise.
        const auto implementations = [](const Model& model) {
          std::vector<Implementation> list;
          for (const LayerReport& layer : model.describe()) list.push_back(layer.implementation);
          return list;
        };
        const bool same_kernels = implementations(*built.front()) == implementations(*built[best]);
        if (same_kernels) names[best] += " (same kernels)";
        const double gflops = flops / statistics[0].median;
        table.add_row({path.substr(path.find_last_of('/') + 1), std::to_string(block),
                       format_ns(statistics[0].median), names[best], format_ns(statistics[best].median),
                       format_ratio(ratio), cli::format_number(std::round(gflops * 100) / 100),
                       peak_gflops_ > 0 ? cli::format_number(std::round(1000 * gflops / peak_gflops_) / 10) : "-"});
        if (ratio < 0.98 && !same_kernels) {
          slower_models_.push_back(path + " block " + std::to_string(block) + ": the tuned model is SLOWER than " +
                              names[best] + " for every layer (" + format_ns(statistics[0].median) + " vs " +
                              format_ns(statistics[best].median) + " ns per sample)");
        }
      }
    }
    table.print(std::cout);
  }

  std::string backend_list() const {
    std::vector<std::string> names;
    for (Implementation implementation : options_.backends) names.emplace_back(implementation.name());
    return cli::join(names);
  }

  void measure_shape(const LayerSpec& spec, const std::vector<int>& blocks, std::mt19937& rng,
                     std::size_t& done, std::size_t total) {
    const Weights weights = testing::random_weights(spec, rng);
    // Enough frames for a recurrent layer's error to build up, and several of the largest blocks.
    const int frames = std::max(2048, 4 * blocks.back());
    const std::vector<float> signal = testing::random_signal(frames, spec.input_size, rng);
    const double tolerance = testing::tolerance(spec.kind);

    // The reference: libtorch on the whole signal from zero state; without libtorch (or where it has no such
    // layer), the stl kernel, which is the plainest code.
    std::vector<float> reference;
    std::string checked_against = "libtorch";
#ifdef RTN_TUNE_WITH_TORCH
    if (options_.torch) {
      try {
        reference = testing::torch_reference(spec, weights, signal, frames);
      } catch (const testing::NoTorchEquivalent& error) {
        std::cerr << "  (" << spec.to_string() << ": no libtorch reference: " << error.what()
                  << "; checked against stl)\n";
      }
    }
#endif
    if (reference.empty()) {
      checked_against = "stl";
      if (find_kernel(spec.kind, Backend::stl)) {
        auto kernel = create_kernel(spec, Backend::stl, weights);
        kernel->prepare(frames);
        reference.resize(static_cast<std::size_t>(frames) * spec.output_size);
        kernel->process(signal.data(), reference.data(), frames);
      }
    }

    for (int block : blocks) {
      const Clock::time_point item_start = Clock::now();
      Item item;
      item.spec = spec;
      item.block = block;
      item.checked_against = checked_against;
      item.tolerance = tolerance;

      std::vector<std::unique_ptr<Kernel>> kernels;
      std::vector<std::unique_ptr<StreamContender<Kernel>>> kernel_contenders;
      std::vector<Timed*> timed;
      for (Implementation implementation : options_.backends) {
        const KernelEntry* entry = find_kernel(spec, implementation);
        if (!entry) continue;
        auto kernel = entry->create(spec, weights);
        kernel->prepare(block);
        ContenderResult result;
        result.name = std::string(implementation.name());
        const std::vector<float> output =
            run_blocks(
                [&](const float* in, float* out, int count) {
                  const int outputs = kernel->output_frames(count);
                  kernel->process(in, out, count);
                  return outputs;
                },
                signal, frames, spec.input_size, spec.output_size, block);
        record_errors(result, output, reference, tolerance);
        kernel->reset();
        kernel_contenders.push_back(kernel_contender(*kernel, signal, block));
        timed.push_back(kernel_contenders.back().get());
        kernels.push_back(std::move(kernel));
        item.backends.push_back(result);
      }
#ifdef RTN_TUNE_WITH_TORCH
      std::optional<testing::TorchStreamingModel> torch_model;
      std::unique_ptr<Timed> torch_timed;
      if (options_.torch) {
        try {
          torch_model.emplace(spec, weights);
          ContenderResult result;
          result.name = "libtorch";
          const std::vector<float> output = run_blocks(
              [&](const float* in, float* out, int count) { return torch_model->process(in, out, count); }, signal,
              frames, spec.input_size, spec.output_size, block);
          record_errors(result, output, checked_against == "libtorch" ? reference : std::vector<float>(),
                        tolerance);
          torch_model->reset();
          torch_timed = torch_contender(*torch_model, signal, block);
          timed.push_back(torch_timed.get());
          item.libtorch = result;
        } catch (const testing::NoTorchEquivalent& error) {
          std::cerr << "  (" << spec.to_string() << ": libtorch not timed: " << error.what() << ")\n";
          torch_model.reset();
        }
      }
#endif
      // This item's share of what is left of the budget, less what setting it up took.
      const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
      const double share = std::max(0.0, options_.budget - elapsed) / static_cast<double>(total - done);
      TimingPlan plan;
      plan.seconds = std::max(0.0, share - std::chrono::duration<double>(Clock::now() - item_start).count());
      const std::vector<Statistics> statistics = time_interleaved(timed, block, plan);
      for (std::size_t i = 0; i < item.backends.size(); ++i) {
        item.backends[i].timing = statistics[i];
        if (!kernel_contenders[i]->output_finite()) {
          item.backends[i].within_tolerance = false;
          item.backends[i].max_abs_error = item.backends[i].max_rel_error = INFINITY;
        }
      }
      if (item.libtorch) item.libtorch->timing = statistics.back();

      choose(item);
      ++done;
      report_progress(item, done, total);
      items_.push_back(std::move(item));
    }
  }

  void choose(Item& item) {
    const ContenderResult* best = nullptr;
    for (std::size_t i = 0; i < item.backends.size(); ++i) {
      const ContenderResult& result = item.backends[i];
      if (!result.within_tolerance) {
        failures_.push_back(item.spec.to_string() + " block " + std::to_string(item.block) + ": " +
                            result.name + " error " + format_error(result.max_rel_error) + " vs " +
                            item.checked_against + " exceeds the tolerance " + format_error(item.tolerance));
        continue;
      }
      if (!best || result.timing.low < best->timing.low) best = &result;
    }
    if (!best) return;
    item.chosen = Implementation::parse(best->name);
    // A candidate replaces the default only when it wins by more than its own measured spread, and at
    // least kMinimumWin: otherwise the difference is noise, and the default (measured on typical shapes)
    // stays.
    const ContenderResult* fallback = result_of(item, default_implementation(item.spec, item.block));
    if (fallback && fallback != best && fallback->within_tolerance &&
        fallback->timing.low <= best->timing.low * (1.0 + std::max(best->timing.spread, kMinimumWin))) {
      item.chosen = Implementation::parse(fallback->name);
      item.default_kept = true;
    }
  }

  void report_progress(const Item& item, std::size_t done, std::size_t total) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    std::string line = "[" + std::to_string(done) + "/" + std::to_string(total) + "] " +
                       item.spec.to_string() + " block " + std::to_string(item.block) + ":";
    for (const ContenderResult& result : item.backends) {
      line += " " + result.name + " " + format_ns(result.timing.low) +
              (result.within_tolerance ? "" : " (WRONG)");
    }
    if (item.libtorch) line += " libtorch " + format_ns(item.libtorch->timing.low);
    line += " ns/sample -> " + (item.chosen ? std::string(item.chosen->name()) : std::string("none!"));
    if (item.default_kept) line += " (default kept: the fastest won by less than its noise)";
    line += "  (" + cli::format_number(std::round(std::max(0.0, options_.budget - elapsed))) + " s left)";
    std::cerr << line << std::endl;
  }

  const ContenderResult* result_of(const Item& item, Implementation implementation) const {
    for (const ContenderResult& result : item.backends) {
      if (result.name == implementation.name()) return &result;
    }
    return nullptr;
  }

  void print_summary() const {
    std::vector<cli::Table::Column> columns = {{"layer", false}, {"block", true}};
    for (Implementation implementation : options_.backends) columns.push_back({std::string(implementation.name()), true});
    if (options_.torch) columns.push_back({"libtorch", true});
    for (const char* title : {"max error", "winner", "vs next", "vs default", "vs libtorch", "GFLOP/s", "% peak"}) {
      columns.push_back({title, std::string(title) != "winner"});
    }
    cli::Table table(columns);
    for (const Item& item : items_) {
      std::vector<std::string> row = {item.spec.to_string(), std::to_string(item.block)};
      double worst = 0;
      for (Implementation implementation : options_.backends) {
        const ContenderResult* result = result_of(item, implementation);
        row.push_back(result ? format_ns(result->timing.low) + (result->within_tolerance ? "" : "!") : "-");
        if (result && result->checked) worst = std::max(worst, result->max_rel_error);
      }
      if (options_.torch) row.push_back(item.libtorch ? format_ns(item.libtorch->timing.low) : "-");
      row.push_back(format_error(worst));
      if (!item.chosen) {
        row.push_back("none");
        table.add_row(row);
        continue;
      }
      const ContenderResult* winner = result_of(item, *item.chosen);
      row.push_back(winner->name + (item.default_kept ? " (default)" : ""));
      const ContenderResult* next = nullptr;
      for (const ContenderResult& result : item.backends) {
        if (&result != winner && result.within_tolerance && (!next || result.timing.low < next->timing.low))
          next = &result;
      }
      row.push_back(next ? format_percent(next->timing.low / winner->timing.low) : "-");
      const ContenderResult* fallback = result_of(item, default_implementation(item.spec, item.block));
      row.push_back(!fallback            ? "-"
                    : fallback == winner ? "="
                                         : format_percent(fallback->timing.low / winner->timing.low));
      row.push_back(item.libtorch ? format_ratio(item.libtorch->timing.low / winner->timing.low) : "-");
      const double gflops = item.spec.flops_per_frame() / winner->timing.low;
      row.push_back(cli::format_number(std::round(gflops * 100) / 100));
      row.push_back(peak_gflops_ > 0 ? cli::format_number(std::round(1000 * gflops / peak_gflops_) / 10) : "-");
      table.add_row(row);
    }
    std::cout
        << "\nns per sample (the 10th percentile of the repetitions); max error: the largest normalised "
           "error\n"
           "of any backend vs "
        << (options_.torch ? "libtorch" : "stl")
        << "; vs next/default: how much slower the runner-up / the built-in default is;\n"
           "vs libtorch: how many times faster the winner is than libtorch. '!' marks a backend outside "
           "the tolerance.\nGFLOP/s: the winner's floating-point operations per second; % peak: of this core's FMA "
           "peak measured at the start ("
        << describe_peaks(peaks_) << ").\n\n";
    table.print(std::cout);
  }

  std::map<std::string, std::string> tuner_section(const Suite& suite, const std::vector<int>& blocks) const {
    std::map<std::string, std::string> tuner;
    tuner["command"] = "rtn-tune " + options_.command_line;
    tuner["inputs"] = cli::join(suite.sources);
    tuner["budget_seconds"] = cli::format_number(options_.budget);
    std::vector<std::string> block_names;
    for (int block : blocks) block_names.push_back(std::to_string(block));
    tuner["blocks"] = cli::join(block_names, ",");
    tuner["backends"] = backend_list();
    tuner["checked_against"] = options_.torch ? "libtorch" : "stl";
    tuner["libtorch"] = options_.torch ? torch_configuration_ : "not measured (--no-torch)";
    tuner["timing"] =
        "steady_clock around batches of >= 50 us, repetitions interleaved across backends; ns_per_sample is "
        "the 10th percentile of the repetitions, spread (p75-p25)/median";
    tuner["seed"] = std::to_string(options_.seed);
    tuner["fma_peak"] = describe_peaks(peaks_);
    return tuner;
  }

  Profile make_profile(const std::vector<int>& blocks, const Suite& suite) {
    Profile profile;
    profile.machine = this_machine();
    profile.build = this_build();
    profile.created = now_utc();
    profile.tuner = tuner_section(suite, blocks);
    for (const Item& item : items_) {
      if (!item.chosen) continue;
      ProfileEntry entry;
      entry.layer = item.spec.to_string();
      entry.block = item.block;
      entry.chosen = std::string(item.chosen->name());
      for (const ContenderResult& result : item.backends) {
        BackendMeasurement measurement;
        measurement.implementation = result.name;
        measurement.ns_per_sample = result.timing.low;
        measurement.median_ns_per_sample = result.timing.median;
        measurement.spread = result.timing.spread;
        measurement.max_abs_error = std::isfinite(result.max_abs_error) ? result.max_abs_error : 1e30;
        measurement.max_rel_error = std::isfinite(result.max_rel_error) ? result.max_rel_error : 1e30;
        measurement.within_tolerance = result.within_tolerance;
        entry.backends.push_back(measurement);
      }
      if (item.libtorch) entry.libtorch_ns_per_sample = item.libtorch->timing.low;
      profile.entries.push_back(std::move(entry));
    }
    // Keep what an earlier run measured on this machine and build, unless told to start afresh.
    if (!options_.replace) {
      const LoadedProfile existing = load_profile(options_.output);
      if (existing.profile) {
        std::size_t kept = 0;
        for (const ProfileEntry& entry : existing.profile->entries) {
          if (!profile.find(entry.layer, entry.block)) {
            profile.entries.push_back(entry);
            ++kept;
          }
        }
        if (kept)
          std::cerr << "rtn-tune: kept " << kept << " entries of the existing profile " << options_.output
                    << "\n";
      } else if (!existing.ignored.empty() && existing.ignored != "no such file") {
        std::cerr << "rtn-tune: replacing " << options_.output << " (" << existing.ignored << ")\n";
      }
    }
    std::stable_sort(profile.entries.begin(), profile.entries.end(),
                     [](const ProfileEntry& a, const ProfileEntry& b) {
                       return a.layer != b.layer ? a.layer < b.layer : a.block < b.block;
                     });
    return profile;
  }

  // Google Benchmark's JSON layout (context + one "benchmarks" element per repetition), so that tools made
  // for its output read it too; the extra fields carry the layer, block, backend and error.
  void write_results(const std::vector<int>& blocks, const Suite& suite) const {
    const MachineIdentity& machine = this_machine();
    const BuildIdentity& build = this_build();
    Json root;
    root["format"] = "rtn-tune-results";
    root["version"] = 1;
    Json context;
    context["date"] = now_utc();
    context["executable"] = "rtn-tune";
    context["num_cpus"] = machine.logical_processors;
    context["library_build_type"] = "release";
    Json caches = Json::array();
    const std::pair<int, std::uint64_t> levels[] = {
        {1, machine.l1d_cache_bytes}, {2, machine.l2_cache_bytes}, {3, machine.l3_cache_bytes}};
    for (const auto& [level, bytes] : levels) {
      if (bytes)
        caches.push_back({{"type", level == 1 ? "Data" : "Unified"}, {"level", level}, {"size", bytes}});
    }
    context["caches"] = caches;
    Json machine_json;
    machine_json["vendor"] = machine.vendor;
    machine_json["model_name"] = machine.model_name;
    machine_json["microarchitecture"] = machine.microarchitecture;
    machine_json["isa"] = machine.isa;
    machine_json["source"] = machine.source;
    context["machine"] = machine_json;
    Json build_json;
    build_json["rtn_version"] = build.rtn_version;
    build_json["compiler"] = build.compiler;
    build_json["flags"] = build.flags;
    build_json["eigen_version"] = build.eigen_version;
    build_json["xsimd_version"] = build.xsimd_version;
    build_json["backends"] = build.backends;
    context["build"] = build_json;
    Json tuner = Json::object();
    for (const auto& [key, value] : tuner_section(suite, blocks)) tuner[key] = value;
    context["tuner"] = tuner;
    root["context"] = context;

    Json benchmarks = Json::array();
    for (const Item& item : items_) {
      std::vector<const ContenderResult*> results;
      for (const ContenderResult& result : item.backends) results.push_back(&result);
      if (item.libtorch) results.push_back(&*item.libtorch);
      for (const ContenderResult* result : results) {
        const std::string name =
            "kernel/" + item.spec.to_string() + "/" + result->name + "/block:" + std::to_string(item.block);
        const std::vector<double>& values = result->timing.ns_per_sample;
        for (std::size_t r = 0; r < values.size(); ++r) {
          Json run;
          run["name"] = name;
          run["run_name"] = name;
          run["run_type"] = "iteration";
          run["repetitions"] = values.size();
          run["repetition_index"] = r;
          run["threads"] = 1;
          run["iterations"] = result->timing.calls_per_repetition * item.block;  // frames
          run["real_time"] = values[r];
          run["cpu_time"] = values[r];
          run["time_unit"] = "ns";
          run["layer"] = item.spec.to_string();
          run["block"] = item.block;
          run["backend"] = result->name;
          run["calls_per_repetition"] = result->timing.calls_per_repetition;
          if (result->checked) {
            run["checked_against"] = item.checked_against;
            run["max_abs_error"] = std::isfinite(result->max_abs_error) ? result->max_abs_error : 1e30;
            run["max_rel_error"] = std::isfinite(result->max_rel_error) ? result->max_rel_error : 1e30;
            run["within_tolerance"] = result->within_tolerance;
          }
          run["chosen"] = item.chosen && result->name == item.chosen->name();
          benchmarks.push_back(run);
        }
      }
    }
    root["benchmarks"] = benchmarks;
    std::ofstream file(options_.results, std::ios::binary | std::ios::trunc);
    if (!file) throw Error("cannot write results '" + options_.results + "'");
    file << root.dump(1) << '\n';
    if (!file) throw Error("cannot write results '" + options_.results + "'");
  }

  Options options_;
  std::string torch_configuration_;
  Clock::time_point start_;
  std::vector<Item> items_;
  std::vector<std::string> failures_;
  std::vector<std::string> slower_models_;  // whole models where tuned lost to a single implementation
  std::vector<FmaPeak> peaks_;  // this core's FMA throughput, measured at the start
  double peak_gflops_ = 0;
};

}  // namespace

int run_tune_command(int argc, char** argv) {
  const std::vector<std::string> arguments(argv + 1, argv + argc);
  for (const std::string& argument : arguments) {
    if (argument == "-h" || argument == "--help") {
      std::cout << kUsage;
      return kExitSuccess;
    }
  }
  try {
    Tuner tuner(parse_options(arguments));
    return tuner.run();
  } catch (const rtn::cli::UsageError& error) {
    std::cerr << "rtn-tune: error: " << error.what() << "\n\n" << kUsage;
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "rtn-tune: error: " << error.what() << '\n';
    return kExitError;
  }
}

}  // namespace rtn::tune
