// rtn info MODEL: a model's metadata, and per layer its shape, parameters, cost, backend and why.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "rtn/error.hpp"
#include "rtn/implementation.hpp"
#include "rtn/model.hpp"
#include "rtn/model_file.hpp"
#include "rtn/profile.hpp"
#include "tools/common/command.hpp"
#include "tools/common/profile_option.hpp"
#include "tools/common/size_option.hpp"

namespace rtn::cli {
namespace {

std::string info_help() {
  return "Loads MODEL (rtn JSON, docs/model-format.md; or RTNeural, AIDA-X, GuitarML:\n"
         "docs/compatible-formats.md), builds it and prints its\n"
         "metadata and one row per layer: the layer, its parameters, floating-point operations per\n"
         "sample, and the backend that computes it with the reason for the choice: the tuning profile's\n"
         "exact entry or nearest measured shape, the built-in default, or forced (docs/profile.md).\n"
         "\n"
         "Options:\n"
         "  --backend NAME   compute every layer with implementation NAME (compiled into this build: " +
         compiled_backend_names() + ")\n" + profile_options_help() + size_option_help() +
         "  -h, --help       show this help\n";
}

// Which ISA levels the SIMD kernels were compiled for and which of them this CPU runs (docs/isa-levels.md):
// "sse4 avx2 avx512 compiled, this CPU runs sse4 avx2 avx512; xsimd is xsimd.avx512".
std::string describe_isa_levels() {
  if (compiled_isa_levels().empty()) return "none (the SIMD kernels are compiled for this build's target)";
  std::string compiled, runs;
  for (rtn::IsaLevel level : compiled_isa_levels()) {
    compiled += std::string(compiled.empty() ? "" : " ") + std::string(isa_level_name(level));
    if (machine_runs(this_machine(), level)) runs += std::string(runs.empty() ? "" : " ") + std::string(isa_level_name(level));
  }
  const std::string limited =
      this_machine().isa_limited_to.empty() ? "" : " (RTN_MAX_ISA=" + rtn::isa_limit().setting + ")";
  return compiled + " compiled, this CPU runs " + (runs.empty() ? "none of them" : runs) + limited +
         "; xsimd is " + std::string(rtn::Implementation(rtn::Backend::xsimd).name());
}

int run_info(const std::vector<std::string>& arguments) {
  std::string model_path;
  rtn::BackendSelection selection;
  ProfileOptions profile_options;
  rtn::LoadOptions load;
  bool options_ended = false;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    if (!options_ended && argument == "--") {
      options_ended = true;
    } else if (!options_ended && (argument == "--backend" || argument.rfind("--backend=", 0) == 0)) {
      std::string name;
      if (argument == "--backend") {
        if (i + 1 == arguments.size()) throw UsageError("--backend needs a backend name");
        name = arguments[++i];
      } else {
        name = argument.substr(std::string("--backend=").size());
      }
      selection.all = parse_backend_option(name);
    } else if (!options_ended &&
               (parse_profile_option(arguments, i, profile_options) || parse_size_option(arguments, i, load))) {
      continue;  // the options every command shares (they move i past their value)
    } else {
      take_model_path(argument, options_ended, model_path);
    }
  }
  if (model_path.empty()) throw UsageError("no model file given");

  const rtn::ModelDefinition definition = rtn::load_model_file(model_path, load);
  selection.profile = load_profile_option(profile_options);
  selection.block_size = profile_options.block;
  // The loader's messages name the file already; the model's messages name only the layer.
  std::optional<rtn::Model> model;
  try {
    model.emplace(rtn::Model::build(definition, selection));
  } catch (const rtn::Error& error) {
    throw rtn::Error(model_path + ": " + error.what());
  }
  print_warnings(model->warnings());

  std::cout << "model:        " << definition.name << '\n'
            << "file:         " << model_path << '\n'
            << "sample rate:  " << format_number(definition.sample_rate) << " Hz"
            << (definition.sample_rate_known ? "" : " (not stated by the file: the default)") << "\n"
            << "channels:     " << definition.input_channels << " in, " << definition.output_channels
            << " out\n"
            << "input skip:   " << (definition.input_skip ? "yes (the input is added to the output)" : "no")
            << "\n"
            << "gains:        in x" << definition.input_gain << ", out x" << definition.output_gain << "\n"
            << "cpu:          " << this_machine().describe() << ", " << this_machine().isa_level() << "\n"
            << "isa levels:   " << describe_isa_levels() << "\n"
            << "build:        " << this_build().describe() << "\n"
            << "profile:      " << describe_profile(selection.profile, profile_options) << "\n"
            << "block:        " << profile_options.block
            << (profile_options.block == 1 ? " frame per call (per sample)" : " frames per call") << "\n\n";

  Table table({{"#", true},
               {"layer", false},
               {"parameters", true},
               {"FLOPs/sample", true},
               {"implementation", false},
               {"reason", false}});
  std::size_t total_parameters = 0;
  double total_flops = 0;
  const std::vector<rtn::LayerReport> reports = model->describe();
  for (std::size_t index = 0; index < reports.size(); ++index) {
    const rtn::LayerReport& report = reports[index];
    table.add_row({std::to_string(index), report.spec.to_string(), std::to_string(report.parameters),
                   format_number(std::round(report.flops_per_frame)),
                   std::string(report.implementation.name()), report.reason});
    total_parameters += report.parameters;
    total_flops += report.flops_per_frame;
  }
  table.add_row({"", "total", std::to_string(total_parameters), format_number(std::round(total_flops))});
  table.print(std::cout);

  char rate[64];
  std::snprintf(rate, sizeof rate, "%.3g", total_flops * definition.sample_rate / 1e6);
  std::cout << "\ncompute at " << format_number(definition.sample_rate) << " Hz: " << rate << " MFLOP/s\n";
  return kExitSuccess;
}

}  // namespace

const Command kInfoCommand = {
    "info", "MODEL [--backend stl|eigen|xsimd] [--profile P | --no-profile] [--block N]",
    "show a model's layers, cost and the backend of each layer", &info_help, &run_info};

}  // namespace rtn::cli
