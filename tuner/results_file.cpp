// rtn-tune's results file (results_file.hpp).
#include "results_file.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <utility>

#include "rtn/error.hpp"
#include "rtn/profile.hpp"

namespace rtn::tune {

using Json = nlohmann::ordered_json;

void write_results_file(const std::string& path, const std::vector<Item>& items,
                        const std::map<std::string, std::string>& tuner_section, const RunContext& run) {
  const MachineIdentity& machine = this_machine();
  Json root;
  root["format"] = "rtn-tune-results";
  root["version"] = 1;
  Json context;
  context["date"] = run.date;
  context["host_name"] = run.host;
  context["executable"] = "rtn-tune";
  context["num_cpus"] = machine.logical_processors;
  context["library_build_type"] = "release";
  Json caches = Json::array();
  const std::pair<int, std::uint64_t> levels[] = {
      {1, machine.l1d_cache_bytes}, {2, machine.l2_cache_bytes}, {3, machine.l3_cache_bytes}};
  for (const auto& [level, bytes] : levels) {
    if (bytes)
      caches.push_back({{"type", level == 1 ? "Data" : "Unified"}, {"level", level}, {"size", bytes}});
  }
  context["caches"] = caches;
  // As the profile writes them (rtn-report reads the same fields from either).
  context["machine"] = Json::parse(machine_to_json(machine));
  context["build"] = Json::parse(build_to_json(this_build()));
  Json tuner = Json::object();
  for (const auto& [key, value] : tuner_section) tuner[key] = value;
  context["tuner"] = tuner;
  context["run"] = Json::parse(run.to_json());
  root["context"] = context;

  Json benchmarks = Json::array();
  for (const Item& item : items) {
    std::vector<const ContenderResult*> results;
    for (const ContenderResult& result : item.backends) results.push_back(&result);
    if (item.libtorch) results.push_back(&*item.libtorch);
    for (const ContenderResult* result : results) {
      const std::string name =
          "kernel/" + item.spec.to_string() + "/" + result->name + "/block:" + std::to_string(item.block);
      const std::vector<double>& values = result->timing.ns_per_sample;
      for (std::size_t r = 0; r < values.size(); ++r) {
        Json run;
        run["name"] = name;
        run["run_name"] = name;
        run["run_type"] = "iteration";
        run["repetitions"] = values.size();
        run["repetition_index"] = r;
        run["threads"] = 1;
        run["iterations"] = result->timing.calls_per_repetition * item.block;  // frames
        run["real_time"] = values[r];
        run["cpu_time"] = values[r];
        run["time_unit"] = "ns";
        run["layer"] = item.spec.to_string();
        run["block"] = item.block;
        run["backend"] = result->name;
        run["calls_per_repetition"] = result->timing.calls_per_repetition;
        if (result->checked) {
          run["checked_against"] = item.checked_against;
          run["max_abs_error"] = std::isfinite(result->max_abs_error) ? result->max_abs_error : 1e30;
          run["max_rel_error"] = std::isfinite(result->max_rel_error) ? result->max_rel_error : 1e30;
          run["within_tolerance"] = result->within_tolerance;
        }
        run["chosen"] = item.chosen && result->name == item.chosen->name();
        benchmarks.push_back(run);
      }
    }
  }
  root["benchmarks"] = benchmarks;
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error("cannot write results '" + path + "'");
  file << root.dump(1) << '\n';
  if (!file) throw Error("cannot write results '" + path + "'");
}

}  // namespace rtn::tune
