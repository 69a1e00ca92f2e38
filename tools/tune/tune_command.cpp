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
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "rtn/denormals.hpp"
#include "rtn/dispatcher.hpp"
#include "rtn/error.hpp"
#include "rtn/model.hpp"
#include "rtn/model_file.hpp"
#include "rtn/profile.hpp"
#include "rtn/registry.hpp"
#include "tools/common/command.hpp"
#include "tools/common/peak.hpp"
#include "tools/common/run_context.hpp"
#include "tools/common/test_data.hpp"
#include "tools/common/timing.hpp"
#include "tools/tune/bundled_suite.hpp"
#include "tools/tune/measured_item.hpp"
#include "tools/tune/results_file.hpp"
#include "tools/tune/suite.hpp"
#include "tools/tune/tune_command.hpp"
#include "tools/tune/tune_options.hpp"

#ifdef RTN_TUNE_WITH_TORCH
#include "torch_reference/torch_reference.hpp"
#include "torch_reference/torch_streaming.hpp"
#endif

#ifndef RTN_DEFAULT_SUITE
#define RTN_DEFAULT_SUITE ""
#endif
#ifndef RTN_INSTALLED_SUITE
#define RTN_INSTALLED_SUITE ""
#endif

namespace rtn::tune {
namespace {

using cli::kExitError;
using cli::kExitSuccess;
using cli::kExitUsage;
using cli::UsageError;

// The least margin by which a candidate must beat the default implementation to replace it.
constexpr double kMinimumWin = 0.03;

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
  // output_frames: the most frames a call of `block` writes (more than block for an upsampling layer).
  StreamContender(Target& target, int inputs, int outputs, int output_frames, const std::vector<float>& signal,
                  int block)
      : target_(target),
        inputs_(inputs),
        signal_(signal),
        block_(block),
        frames_(static_cast<long>(signal.size()) / inputs),
        output_(static_cast<std::size_t>(output_frames) * outputs) {}

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

// A kernel (input_size/output_size), a model or libtorch's model (input_channels/output_channels) to time.
template <typename Target>
std::unique_ptr<StreamContender<Target>> contender(Target& target, const std::vector<float>& signal, int block) {
  if constexpr (std::is_same_v<Target, Kernel>) {
    return std::make_unique<StreamContender<Target>>(target, target.input_size(), target.output_size(),
                                                     target.spec().max_output_frames(block), signal, block);
  } else {
    return std::make_unique<StreamContender<Target>>(target, target.input_channels(), target.output_channels(),
                                                     target.max_output_frames(block), signal, block);
  }
}

// Runs `process` over `signal` in blocks of `block` frames from zero state; returns the whole output. `process`
// returns the frames it wrote (fewer for a decimating, strided layer, more for a transposed one), at most
// max_output_frames in all.
template <typename Process>
std::vector<float> run_blocks(Process&& process, const std::vector<float>& signal, int frames, int in,
                              int out, int max_output_frames, int block) {
  std::vector<float> output(static_cast<std::size_t>(max_output_frames) * out);
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

// Processes `count` frames and returns how many it wrote (fewer for a decimating, strided layer, more for a
// transposed one).
int process_counting(Kernel& kernel, const float* in, float* out, int count) {
  const int outputs = kernel.output_frames(count);
  kernel.process(in, out, count);
  return outputs;
}
template <typename Target>
int process_counting(Target& target, const float* in, float* out, int count) {
  return target.process(in, out, count);
}

// What every contender goes through before it is timed: `target` (prepared for `block`) runs the whole
// signal in blocks from zero state, its output is checked against `reference` (none: not checked), and it
// is reset for the timing.
template <typename Target>
ContenderResult check(std::string name, Target& target, const std::vector<float>& signal, const LayerSpec& spec,
                      int block, const std::vector<float>& reference, double tolerance) {
  ContenderResult result;
  result.name = std::move(name);
  const int frames = static_cast<int>(signal.size() / static_cast<std::size_t>(spec.input_size));
  const std::vector<float> output =
      run_blocks([&](const float* in, float* out, int count) { return process_counting(target, in, out, count); },
                 signal, frames, spec.input_size, spec.output_size, spec.max_output_frames(frames), block);
  record_errors(result, output, reference, tolerance);
  target.reset();
  return result;
}

class Tuner {
 public:
  explicit Tuner(Options options) : options_(std::move(options)) {}

  int run() {
    Suite suite;
    if (options_.inputs.empty()) {
      const std::vector<std::filesystem::path> candidates =
          bundled_suite_candidates(current_executable(), RTN_INSTALLED_SUITE, RTN_DEFAULT_SUITE);
      const std::filesystem::path bundled = find_bundled_suite(candidates);
      if (bundled.empty()) {
        std::string tried;
        for (const std::filesystem::path& candidate : candidates) tried += "\n  " + candidate.string();
        throw UsageError("no suite or model file given, and the bundled suite is not where it was looked for:" +
                         (tried.empty() ? std::string(" (nowhere known)") : tried));
      }
      options_.inputs.push_back(bundled.string());
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
              << "  from: " << cli::join(options_.inputs) << "\n"
              << "  backends: " << backend_list() << "; "
              << (options_.torch ? "checked against and compared with " + torch_configuration_
                                 : std::string("no libtorch: checked against stl"))
              << "\n  this core's FMA peak: " << describe_peaks(peaks_) << "\n";

    // Measured as audio hosts run: with denormals flushed (rtn/denormals.hpp), so a model's guard costs a read.
    const ScopedFlushDenormals host_mode;
    run_ = RunContext::begin();
    start_ = Clock::now();
    const std::size_t total = suite.shapes.size() * blocks.size();
    std::size_t done = 0;
    std::mt19937 rng(options_.seed);
    for (const LayerSpec& spec : suite.shapes) {
      measure_shape(spec, blocks, rng, done, total);
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    run_.finish();

    print_summary();
    const Profile profile = make_profile(blocks, suite);
    save_profile(profile, options_.output);
    std::cerr << "rtn-tune: measured " << total << " shape/block pairs in "
              << cli::format_number(std::round(elapsed)) << " s; profile (" << profile.entries.size()
              << " entries) written to " << options_.output << "\n";
    if (!options_.results.empty()) {
      write_results_file(options_.results, items_, "rtn-tune " + options_.command_line,
                         options_.torch ? torch_configuration_ : "", run_);
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
          contenders.push_back(contender(*model, signal, block));
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
                       cli::format_significant(statistics[0].median), names[best], cli::format_significant(statistics[best].median),
                       format_ratio(ratio), cli::format_number(std::round(gflops * 100) / 100),
                       peak_gflops_ > 0 ? cli::format_number(std::round(1000 * gflops / peak_gflops_) / 10) : "-"});
        if (ratio < 0.98 && !same_kernels) {
          slower_models_.push_back(path + " block " + std::to_string(block) + ": the tuned model is SLOWER than " +
                              names[best] + " for every layer (" + cli::format_significant(statistics[0].median) + " vs " +
                              cli::format_significant(statistics[best].median) + " ns per sample)");
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
        reference.resize(static_cast<std::size_t>(spec.max_output_frames(frames)) * spec.output_size);
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
        item.backends.push_back(
            check(std::string(implementation.name()), *kernel, signal, spec, block, reference, tolerance));
        kernel_contenders.push_back(contender(*kernel, signal, block));
        timed.push_back(kernel_contenders.back().get());
        kernels.push_back(std::move(kernel));
      }
#ifdef RTN_TUNE_WITH_TORCH
      std::optional<testing::TorchStreamingModel> torch_model;
      std::unique_ptr<Timed> torch_timed;
      if (options_.torch) {
        try {
          torch_model.emplace(spec, weights);
          // Streaming libtorch against libtorch on the whole signal; never against stl.
          item.libtorch = check("libtorch", *torch_model, signal, spec, block,
                                checked_against == "libtorch" ? reference : std::vector<float>(), tolerance);
          torch_timed = contender(*torch_model, signal, block);
          timed.push_back(torch_timed.get());
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
      line += " " + result.name + " " + cli::format_significant(result.timing.low) +
              (result.within_tolerance ? "" : " (WRONG)");
    }
    if (item.libtorch) line += " libtorch " + cli::format_significant(item.libtorch->timing.low);
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
        row.push_back(result ? cli::format_significant(result->timing.low) + (result->within_tolerance ? "" : "!") : "-");
        if (result && result->checked) worst = std::max(worst, result->max_rel_error);
      }
      if (options_.torch) row.push_back(item.libtorch ? cli::format_significant(item.libtorch->timing.low) : "-");
      row.push_back(format_error(worst));
      if (!item.chosen) {
        row.emplace_back("none");
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
    block_names.reserve(blocks.size());
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
    profile.created = cli::utc_timestamp();
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

  Options options_;
  std::string torch_configuration_;
  Clock::time_point start_;
  RunContext run_;  // when, where and under what load the shapes were measured
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
      std::cout << kTuneUsage;
      return kExitSuccess;
    }
  }
  try {
    Tuner tuner(parse_tune_options(arguments));
    return tuner.run();
  } catch (const rtn::cli::UsageError& error) {
    std::cerr << "rtn-tune: error: " << error.what() << "\n\n" << kTuneUsage;
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "rtn-tune: error: " << error.what() << '\n';
    return kExitError;
  }
}

}  // namespace rtn::tune
