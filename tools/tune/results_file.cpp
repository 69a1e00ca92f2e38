// rtn-tune's results file (results_file.hpp).
#include "tools/tune/results_file.hpp"

#include <cmath>

#include "tools/common/results_document.hpp"

namespace rtn::tune {

namespace {

// An error as JSON can hold it (no inf or NaN): a contender that failed its check shows as 1e30.
double finite_error(double error) { return std::isfinite(error) ? error : 1e30; }

}  // namespace

void write_results_file(const std::string& path, const std::vector<Item>& items, const std::string& command,
                        const std::string& libtorch, const RunContext& run) {
  ResultsJson document = results_document(run, command, libtorch);
  ResultsJson& measurements = document["measurements"];
  for (const Item& item : items) {
    std::vector<const ContenderResult*> contenders;
    for (const ContenderResult& result : item.backends) contenders.push_back(&result);
    if (item.libtorch) contenders.push_back(&*item.libtorch);
    for (const ContenderResult* result : contenders) {
      ResultsJson entry = layer_measurement(item.spec, result->name, item.block, "rtn-tune", result->timing.ns_per_sample);
      entry["chosen"] = item.chosen && result->name == item.chosen->name();
      if (result->checked) {
        entry["error"] = {{"checked_against", item.checked_against},
                          {"max_abs", finite_error(result->max_abs_error)},
                          {"max_rel", finite_error(result->max_rel_error)},
                          {"within_tolerance", result->within_tolerance}};
      }
      entry["calls_per_repetition"] = result->timing.calls_per_repetition;
      measurements.push_back(std::move(entry));
    }
  }
  write_results(path, document);
}

}  // namespace rtn::tune
