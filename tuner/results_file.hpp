#pragma once
// rtn-tune's results file (docs/tuning.md): every repetition of every measurement.
#include <map>
#include <string>
#include <vector>

#include "measured_item.hpp"
#include "run_context.hpp"

namespace rtn::tune {

// Writes `items` to `path` in Google Benchmark's JSON layout (a context and one "benchmarks" element per
// repetition), so that tools made for its output read it too; the extra fields carry the layer, block, backend
// and error. `tuner_section`: how it was measured, as in the profile; `run`: when, where and under what load
// (context "date" and "host_name" as Google Benchmark names them, and "run"). Throws rtn::Error when it cannot
// write.
void write_results_file(const std::string& path, const std::vector<Item>& items,
                        const std::map<std::string, std::string>& tuner_section, const RunContext& run);

}  // namespace rtn::tune
