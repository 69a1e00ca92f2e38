#pragma once
// When, where and under what load a measurement ran: the "run" section of rtn's results files
// (docs/results-format.md). rtn-tune and `rtn bench` record it around their measurements, so that a results
// file converted elsewhere (rtn-report convert --no-local) still says it.
#include <array>
#include <optional>
#include <string>

namespace rtn::tune {

// /proc/loadavg's 1, 5 and 15 minute load averages; nothing where the system has no such file.
std::optional<std::array<double, 3>> read_load_average();

struct RunContext {
  std::string date;  // ISO 8601 UTC, when measuring began
  std::string host;  // this machine's host name ("unknown" where it has none)
  std::optional<std::array<double, 3>> load_average_before;
  std::optional<std::array<double, 3>> load_average_after;

  // Now: the date, the host and the load average before.
  static RunContext begin();
  // Records the load average after.
  void finish();
  // {"date", "host", "load_average_before", "load_average_after"} as the results format names them (null for
  // an unknown load average).
  std::string to_json() const;
};

}  // namespace rtn::tune
