#pragma once
// rtn-tune's results file: every repetition of every measurement, in rtn's results format
// (docs/results-format.md, results_document.hpp).
#include <string>
#include <vector>

#include "tools/common/run_context.hpp"
#include "tools/tune/measured_item.hpp"

namespace rtn::tune {

// Writes `items` to `path`: one measurement per layer shape × block × contender (each backend, libtorch) with
// every repetition, its error against the reference and whether it won. `command`: rtn-tune's command line;
// `libtorch`: libtorch's configuration, or empty when it was not measured. Throws rtn::Error when it cannot
// write.
void write_results_file(const std::string& path, const std::vector<Item>& items, const std::string& command,
                        const std::string& libtorch, const RunContext& run);

}  // namespace rtn::tune
