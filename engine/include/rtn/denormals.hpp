#pragma once
// Denormal (subnormal) floats are up to 100x slower on many CPUs; an RNN decaying towards silence
// produces them. ScopedFlushDenormals turns on flush-to-zero and denormals-are-zero for its scope
// and restores the caller's mode afterwards. Model::process uses it; it never allocates.
//
// The contract with the host: a host that already runs its audio thread with flush-to-zero and
// denormals-are-zero (as DAWs and plugin frameworks do, e.g. JUCE's ScopedNoDenormals) pays one read of the
// floating-point control register per call and nothing else; a host that does not gets them switched on for
// the call and its own mode back afterwards (two writes, some nanoseconds).

#include <cstdint>

namespace rtn {

class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals() noexcept;
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  std::uintptr_t saved_state_ = 0;
  bool changed_ = false;  // whether the constructor changed the mode (the destructor then restores it)
};

// True when this CPU architecture supports flushing (x86 SSE, ARM); elsewhere the guard does nothing.
bool denormal_flushing_supported() noexcept;

}  // namespace rtn
