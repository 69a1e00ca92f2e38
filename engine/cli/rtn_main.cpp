// rtn: the command-line tool.
//
//   rtn info MODEL [--backend stl|eigen|xsimd]   layers, cost and the backend of each layer
//
// Each subcommand is one entry of kCommands (name, arguments, summary, help, function); `process` and
// `bench` slot in the same way. Exit codes: 0 success, 1 error (bad model, missing file...), 2 bad usage.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "rtn/backend.hpp"
#include "rtn/error.hpp"
#include "rtn/model.hpp"
#include "rtn/model_file.hpp"

#ifndef RTN_VERSION
#define RTN_VERSION "unknown"
#endif

namespace {

constexpr int kExitSuccess = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

// Bad command-line usage: reported with the usage text and exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Command {
  const char* name;
  const char* arguments;  // after "rtn <name>"
  const char* summary;    // one line, for `rtn --help`
  std::string (*help)();  // the rest of `rtn <name> --help`
  int (*run)(const std::vector<std::string>& arguments);
};

std::string join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

std::string compiled_backend_names() {
  std::vector<std::string> names;
  for (rtn::Backend backend : rtn::compiled_backends()) names.emplace_back(rtn::backend_name(backend));
  return join(names);
}

// 48000 -> "48000", 44100.5 -> "44100.5"
std::string format_number(double value) {
  char text[64];
  if (std::fabs(value) < 1e15 && value == std::floor(value)) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.10g", value);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------------
// A plain text table: columns sized to their content, numbers right-aligned.

class Table {
 public:
  struct Column {
    std::string title;
    bool right_aligned;
  };

  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

  void print(std::ostream& out) const {
    std::vector<std::size_t> widths;
    for (const Column& column : columns_) widths.push_back(column.title.size());
    for (const auto& row : rows_) {
      for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
        widths[i] = std::max(widths[i], row[i].size());
    }
    std::vector<std::string> titles;
    for (const Column& column : columns_) titles.push_back(column.title);
    print_row(out, titles, widths);
    for (const auto& row : rows_) print_row(out, row, widths);
  }

 private:
  void print_row(std::ostream& out, const std::vector<std::string>& cells,
                 const std::vector<std::size_t>& widths) const {
    std::string line;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const std::string cell = i < cells.size() ? cells[i] : "";
      const std::string padding(widths[i] - cell.size(), ' ');
      if (i) line += "  ";
      line += columns_[i].right_aligned ? padding + cell : cell + padding;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << '\n';
  }

  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// ---------------------------------------------------------------------------------------------------
// rtn info

std::string info_help() {
  return "Loads MODEL (an rtn JSON model file, see docs/model-format.md), builds it and prints its\n"
         "metadata and one row per layer: the layer, its parameters, floating-point operations per\n"
         "sample, and the backend that computes it with the reason for the choice.\n"
         "\n"
         "Options:\n"
         "  --backend NAME   compute every layer with backend NAME (compiled into this build: " +
         compiled_backend_names() +
         ")\n"
         "  -h, --help       show this help\n";
}

int run_info(const std::vector<std::string>& arguments) {
  std::string model_path;
  rtn::BackendSelection selection;
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
      const std::optional<rtn::Backend> backend = rtn::parse_backend(name);
      if (!backend) throw UsageError("unknown backend '" + name + "' (known: stl, eigen, xsimd)");
      if (!rtn::backend_compiled(*backend)) {
        throw rtn::Error("backend " + name + " is not compiled into this build of rtn (compiled in: " +
                         compiled_backend_names() + ")");
      }
      selection.all = *backend;
    } else if (!options_ended && argument.size() > 1 && argument[0] == '-') {
      throw UsageError("unknown option '" + argument + "'");
    } else if (model_path.empty()) {
      model_path = argument;
    } else {
      throw UsageError("more than one model file given ('" + model_path + "', '" + argument + "')");
    }
  }
  if (model_path.empty()) throw UsageError("no model file given");

  const rtn::ModelDefinition definition = rtn::load_model_file(model_path);
  // The loader's messages name the file already; the model's messages name only the layer.
  std::optional<rtn::Model> model;
  try {
    model.emplace(rtn::Model::build(definition, selection));
  } catch (const rtn::Error& error) {
    throw rtn::Error(model_path + ": " + error.what());
  }

  std::cout << "model:        " << definition.name << '\n'
            << "file:         " << model_path << '\n'
            << "sample rate:  " << format_number(definition.sample_rate) << " Hz\n"
            << "channels:     " << definition.input_channels << " in, " << definition.output_channels
            << " out\n"
            << "input skip:   " << (definition.input_skip ? "yes (the input is added to the output)" : "no")
            << "\n\n";

  Table table({{"#", true},
               {"layer", false},
               {"parameters", true},
               {"FLOPs/sample", true},
               {"backend", false},
               {"reason", false}});
  std::size_t total_parameters = 0;
  double total_flops = 0;
  const std::vector<rtn::LayerReport> reports = model->describe();
  for (std::size_t index = 0; index < reports.size(); ++index) {
    const rtn::LayerReport& report = reports[index];
    table.add_row({std::to_string(index), report.spec.to_string(), std::to_string(report.parameters),
                   format_number(std::round(report.flops_per_frame)),
                   std::string(rtn::backend_name(report.backend)), report.reason});
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

// ---------------------------------------------------------------------------------------------------
// Dispatch

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"info", "MODEL [--backend stl|eigen|xsimd]",
       "show a model's layers, cost and the backend of each layer", &info_help, &run_info},
  };
  return table;
}

std::string main_usage() {
  std::ostringstream text;
  text << "usage: rtn <command> [arguments]\n"
       << "       rtn --help | --version\n\n"
       << "Commands:\n";
  std::size_t width = 0;
  for (const Command& command : commands()) width = std::max(width, std::string(command.name).size());
  for (const Command& command : commands()) {
    text << "  " << command.name << std::string(width - std::string(command.name).size() + 3, ' ')
         << command.summary << '\n';
  }
  text << "\nRun 'rtn <command> --help' for the arguments of a command.\n";
  return text.str();
}

std::string command_usage(const Command& command) {
  return std::string("usage: rtn ") + command.name + " " + command.arguments + "\n";
}

bool is_help(std::string_view argument) { return argument == "-h" || argument == "--help"; }

int run(const std::vector<std::string>& arguments) {
  if (arguments.empty()) {
    std::cerr << main_usage();
    return kExitUsage;
  }
  const std::string& name = arguments[0];
  if (is_help(name)) {
    std::cout << main_usage();
    return kExitSuccess;
  }
  if (name == "--version") {
    std::cout << "rtn " << RTN_VERSION << " (backends: " << compiled_backend_names() << ")\n";
    return kExitSuccess;
  }
  const Command* command = nullptr;
  for (const Command& candidate : commands()) {
    if (name == candidate.name) command = &candidate;
  }
  if (!command) {
    std::cerr << "rtn: error: unknown command '" << name << "'\n\n" << main_usage();
    return kExitUsage;
  }

  const std::vector<std::string> rest(arguments.begin() + 1, arguments.end());
  for (const std::string& argument : rest) {
    if (argument == "--") break;
    if (is_help(argument)) {
      std::cout << command_usage(*command) << '\n' << command->help();
      return kExitSuccess;
    }
  }
  try {
    return command->run(rest);
  } catch (const UsageError& error) {
    std::cerr << "rtn: error: " << error.what() << "\n\n"
              << command_usage(*command) << "Run 'rtn " << command->name << " --help' for more.\n";
    return kExitUsage;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const rtn::Error& error) {
    std::cerr << "rtn: error: " << error.what() << '\n';
  } catch (const std::bad_alloc&) {
    std::cerr << "rtn: error: out of memory\n";
  } catch (const std::exception& error) {
    std::cerr << "rtn: error: " << error.what() << '\n';
  }
  return kExitError;
}
