#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

#include "rtn/error.hpp"
#include "tools/common/command.hpp"

namespace rtn::cli {

std::string join(const std::vector<std::string>& items, const char* separator) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : separator) + item;
  return text;
}

std::string compiled_backend_names() {
  std::vector<std::string> names;
  for (Implementation implementation : compiled_implementations()) names.emplace_back(implementation.name());
  return join(names);
}

std::string format_number(double value) {
  char text[64];
  if (std::fabs(value) < 1e15 && value == std::floor(value)) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.10g", value);
  }
  return text;
}

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}


std::string format_significant(double value) {
  char text[64];
  std::snprintf(text, sizeof text, value < 10 ? "%.2f" : value < 100 ? "%.1f" : "%.0f", value);
  return text;
}

Implementation parse_backend_option(const std::string& name) {
  const std::optional<Implementation> implementation = Implementation::parse(name);
  if (!implementation) {
    std::string known;
    for (Implementation each : Implementation::all()) known += (known.empty() ? "" : ", ") + std::string(each.name());
    throw UsageError("unknown implementation '" + name + "' (known: " + known + ")");
  }
  if (!implementation_compiled(*implementation)) {
    throw Error("implementation " + name + " is not compiled into this build of rtn (compiled in: " +
                compiled_backend_names() + ")");
  }
  return *implementation;
}

void take_model_path(const std::string& argument, bool options_ended, std::string& model_path) {
  if (!options_ended && argument.size() > 1 && argument[0] == '-') {
    throw UsageError("unknown option '" + argument + "'");
  }
  if (!model_path.empty()) {
    throw UsageError("more than one model file given ('" + model_path + "', '" + argument + "')");
  }
  model_path = argument;
}

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths;
  for (const Column& column : columns_) widths.push_back(column.title.size());
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::vector<std::string> titles;
  for (const Column& column : columns_) titles.push_back(column.title);
  print_row(out, titles, widths);
  for (const auto& row : rows_) print_row(out, row, widths);
}

void Table::print_row(std::ostream& out, const std::vector<std::string>& cells,
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

}  // namespace rtn::cli
