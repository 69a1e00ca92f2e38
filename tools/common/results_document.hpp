#pragma once
// rtn's results format (docs/results-format.md, version 1) as the tools write it themselves: `rtn-tune
// --results` and `rtn bench --results` give a file that rtn-report reads as it is, with this process's machine
// and build, the run, and every repetition of every measurement. (rtn-report convert merges several of them,
// or the tools' older outputs, into one and adds what a tool cannot know: the git revision, the BLAS package.)
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rtn/layer_spec.hpp"
#include "tools/common/run_context.hpp"

namespace rtn::tune {

using ResultsJson = nlohmann::ordered_json;

// {"format", "version", "run", "machine", "build", "measurements": []}: a results file measured by this
// process. `command`: what ran (the run's "commands"); `libtorch`: libtorch's version and BLAS as it reports
// them, or empty when libtorch was not measured.
ResultsJson results_document(const RunContext& run, const std::string& command, const std::string& libtorch);

// One entry of "measurements": every repetition (ns per sample) of `subject` (a layer spec as rtn prints it, or
// a model's name) on `implementation` in blocks of `block`, measured by `tool` ("rtn-tune", "rtn-bench").
// A layer's entry also gets its kind and FLOPs per sample.
ResultsJson layer_measurement(const LayerSpec& spec, const std::string& implementation, int block,
                              const std::string& tool, const std::vector<double>& samples);
ResultsJson model_measurement(const std::string& model, const std::string& implementation, int block,
                              const std::string& tool, const std::vector<double>& samples);

// Writes `document` to `path`; throws rtn::Error when it cannot.
void write_results(const std::string& path, const ResultsJson& document);

}  // namespace rtn::tune
