// The run section of the results files (run_context.hpp).
#include "tools/common/run_context.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "tools/common/command.hpp"  // utc_timestamp

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

namespace rtn::tune {

std::optional<std::array<double, 3>> read_load_average() {
  std::ifstream file("/proc/loadavg");
  std::array<double, 3> load{};
  if (!(file >> load[0] >> load[1] >> load[2])) return std::nullopt;
  return load;
}

RunContext RunContext::begin() {
  RunContext run;
  run.date = cli::utc_timestamp();
  run.host = "unknown";
#if __has_include(<unistd.h>)
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') run.host = name;
#endif
  run.load_average_before = read_load_average();
  return run;
}

void RunContext::finish() { load_average_after = read_load_average(); }

std::string RunContext::to_json() const {
  nlohmann::ordered_json json;
  json["date"] = date;
  json["host"] = host;
  json["load_average_before"] = load_average_before ? nlohmann::json(*load_average_before) : nlohmann::json();
  json["load_average_after"] = load_average_after ? nlohmann::json(*load_average_after) : nlohmann::json();
  return json.dump();
}

}  // namespace rtn::tune
