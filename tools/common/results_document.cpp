// rtn's results format as the tools write it (results_document.hpp).
#include "tools/common/results_document.hpp"

#include <fstream>

#include "rtn/error.hpp"
#include "rtn/profile.hpp"

namespace rtn::tune {

namespace {

constexpr int kResultsVersion = 2;  // docs/results-format.md

// The machine in the results format's names (the profile's section names its caches differently).
ResultsJson machine_section(const MachineIdentity& machine) {
  ResultsJson json;
  json["vendor"] = machine.vendor;
  json["model_name"] = machine.model_name;
  json["microarchitecture"] = machine.microarchitecture;
  json["isa"] = machine.isa;
  ResultsJson caches = ResultsJson::object();
  if (machine.l1d_cache_bytes) caches["l1d_bytes"] = machine.l1d_cache_bytes;
  if (machine.l2_cache_bytes) caches["l2_bytes"] = machine.l2_cache_bytes;
  if (machine.l3_cache_bytes) caches["l3_bytes"] = machine.l3_cache_bytes;
  if (!caches.empty()) json["caches"] = caches;
  json["logical_processors"] = machine.logical_processors;
  json["source"] = machine.source;
  return json;
}

ResultsJson measurement(const std::string& kind, const std::string& subject, const std::string& implementation,
                        int block, const std::string& tool, const std::vector<double>& samples) {
  ResultsJson json;
  json["id"] = kind + "/" + subject + "/" + implementation + "/block:" + std::to_string(block);
  json["kind"] = kind;
  json["subject"] = subject;
  json["implementation"] = implementation;
  json["block"] = block;
  json["tool"] = tool;
  json["metric"] = "ns_per_sample";
  json["samples"] = samples;
  return json;
}

}  // namespace

ResultsJson results_document(const RunContext& run, const std::string& command, const std::string& libtorch) {
  ResultsJson document;
  document["format"] = "rtn-results";
  document["version"] = kResultsVersion;
  ResultsJson run_section = ResultsJson::parse(run.to_json());
  run_section["commands"] = ResultsJson::array({command});
  document["run"] = run_section;
  document["machine"] = machine_section(this_machine());
  // The profile's build section uses the results format's names.
  ResultsJson build = ResultsJson::parse(build_to_json(this_build()));
  build["description"] = this_build().describe();
  if (!libtorch.empty()) build["libtorch"] = libtorch;
  document["build"] = build;
  document["measurements"] = ResultsJson::array();
  return document;
}

ResultsJson layer_measurement(const LayerSpec& spec, const std::string& implementation, int block,
                              const std::string& tool, const std::vector<double>& samples) {
  ResultsJson json = measurement("layer", spec.to_string(), implementation, block, tool, samples);
  json["layer_kind"] = std::string(layer_kind_name(spec.kind));
  json["flops_per_sample"] = spec.flops_per_frame();
  return json;
}

ResultsJson model_measurement(const std::string& model, const std::string& implementation, int block,
                              const std::string& tool, const std::vector<double>& samples) {
  return measurement("model", model, implementation, block, tool, samples);
}

void write_results(const std::string& path, const ResultsJson& document) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error("cannot write results '" + path + "'");
  file << document.dump(1) << '\n';
  if (!file) throw Error("cannot write results '" + path + "'");
}

}  // namespace rtn::tune
