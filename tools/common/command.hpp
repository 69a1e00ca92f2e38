#pragma once
// What every `rtn` subcommand shares: the Command entry, exit codes, usage errors, option parsing
// helpers and a plain text table. A subcommand is a <name>_command.cpp defining one Command and a line
// in the table in rtn_main.cpp.
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "rtn/implementation.hpp"
#include "rtn/model.hpp"

namespace rtn::cli {

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

std::string join(const std::vector<std::string>& items, const char* separator = ", ");
// "stl, eigen, xsimd"
std::string compiled_backend_names();
// 48000 -> "48000", 44100.5 -> "44100.5"
std::string format_number(double value);
// Now, in ISO 8601 UTC: "2026-11-29T19:05:00Z"
std::string utc_timestamp();
// About three significant digits, for timings: 1.234 -> "1.23", 12.34 -> "12.3", 1234.5 -> "1235"
std::string format_significant(double value);
// Parses a backend name given on the command line; UsageError for an unknown one, rtn::Error for one
// not compiled in.
Implementation parse_backend_option(const std::string& name);

// A command-line word that is neither a known option nor its value: the model file, once. UsageError for an
// unknown option (a word starting with '-' before "--") or a second model file.
void take_model_path(const std::string& argument, bool options_ended, std::string& model_path);

// A plain text table: columns sized to their content, numbers right-aligned.
class Table {
 public:
  struct Column {
    std::string title;
    bool right_aligned;
  };
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void add_row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void print(std::ostream& out) const;

 private:
  void print_row(std::ostream& out, const std::vector<std::string>& cells,
                 const std::vector<std::size_t>& widths) const;
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// The subcommands, each defined in its own file.
extern const Command kInfoCommand;
extern const Command kBenchCommand;
extern const Command kProcessCommand;

}  // namespace rtn::cli
