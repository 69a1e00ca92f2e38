#pragma once
// How rtn-tune times things: warm-up, batches of calls long enough to dwarf the clock's resolution,
// repetitions interleaved across the contenders (so that a burst of load from elsewhere on the machine
// hits all of them alike), and statistics that resist outliers.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace rtn::tune {

using Clock = std::chrono::steady_clock;

// Makes the compiler assume `pointer`'s memory is read, so that work producing it cannot be removed.
inline void sink(const void* pointer) {
#if defined(__GNUC__) || defined(__clang__)
  asm volatile("" : : "r"(pointer) : "memory");
#else
  static const void* volatile escape;
  escape = pointer;
#endif
}

// Something to time: one call processes a block of frames. run() makes `calls` calls back to back and
// returns the nanoseconds they took, measured around the whole loop.
class Timed {
 public:
  virtual ~Timed() = default;
  virtual double run(long calls) = 0;
};

struct Statistics {
  std::vector<double> ns_per_sample;  // every repetition, in the order measured
  long calls_per_repetition = 0;
  double low = 0;  // the 10th percentile (the minimum below 10 repetitions): what choices are made on
  double median = 0;
  double spread = 0;  // (p75 - p25) / median
};

struct TimingPlan {
  double seconds = 0.5;     // for all contenders together, after warm-up and calibration
  int min_repetitions = 7;  // even when that overruns `seconds`
  int max_repetitions = 2000;
  double min_batch_ns = 50e3;  // ~2000 times the resolution of steady_clock on Linux
  double max_batch_ns = 5e6;
};

// Times every contender (frames_per_call frames per call) for about plan.seconds in total, round-robin.
// Allocates.
std::vector<Statistics> time_interleaved(const std::vector<Timed*>& contenders, int frames_per_call,
                                         const TimingPlan& plan);

// The q-quantile (0..1) of `values` by linear interpolation; 0 for none. Allocates (sorts a copy).
double quantile(std::vector<double> values, double q);

}  // namespace rtn::tune
