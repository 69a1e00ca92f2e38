#include "tools/common/timing.hpp"

#include <algorithm>
#include <cmath>

namespace rtn::tune {

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const std::size_t below = static_cast<std::size_t>(std::floor(position));
  const std::size_t above = std::min(below + 1, values.size() - 1);
  return values[below] + (position - static_cast<double>(below)) * (values[above] - values[below]);
}

std::vector<Statistics> time_interleaved(const std::vector<Timed*>& contenders, int frames_per_call,
                                         const TimingPlan& plan) {
  const std::size_t count = contenders.size();
  std::vector<Statistics> statistics(count);
  if (count == 0) return statistics;
  // Aim for ~30 repetitions of each contender in the time given, within the batch length limits.
  const double batch_ns = std::clamp(plan.seconds * 1e9 / static_cast<double>(count) / 30.0,
                                     plan.min_batch_ns, plan.max_batch_ns);

  // Warm-up (caches, branch predictors, lazily sized buffers) and calibration together: double the calls
  // per batch until a batch takes batch_ns.
  for (std::size_t i = 0; i < count; ++i) {
    long calls = 1;
    for (;;) {
      const double ns = contenders[i]->run(calls);
      if (ns >= batch_ns || calls >= (1L << 26)) {
        // Scale to the target from the last batch, so batches are about batch_ns, not up to twice that.
        calls = std::max(
            1L, static_cast<long>(std::llround(static_cast<double>(calls) * batch_ns / std::max(ns, 1.0))));
        break;
      }
      calls *= 2;
    }
    statistics[i].calls_per_repetition = calls;
  }

  const Clock::time_point start = Clock::now();
  for (int repetition = 0; repetition < plan.max_repetitions; ++repetition) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (repetition >= plan.min_repetitions && elapsed >= plan.seconds) break;
    for (std::size_t i = 0; i < count; ++i) {
      const long calls = statistics[i].calls_per_repetition;
      const double ns = contenders[i]->run(calls);
      statistics[i].ns_per_sample.push_back(ns / (static_cast<double>(calls) * frames_per_call));
    }
  }

  for (Statistics& s : statistics) {
    s.low = s.ns_per_sample.size() < 10 ? *std::min_element(s.ns_per_sample.begin(), s.ns_per_sample.end())
                                        : quantile(s.ns_per_sample, 0.1);
    s.median = quantile(s.ns_per_sample, 0.5);
    s.spread =
        s.median > 0 ? (quantile(s.ns_per_sample, 0.75) - quantile(s.ns_per_sample, 0.25)) / s.median : 0;
  }
  return statistics;
}

}  // namespace rtn::tune
