#pragma once
// Denormal (subnormal) floats are up to 100x slower on many CPUs; an RNN decaying towards silence
// produces them. ScopedFlushDenormals turns on flush-to-zero and denormals-are-zero for its scope
// and restores the caller's mode afterwards. Model::process uses it; it never allocates.

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
};

// True when this CPU architecture supports flushing (x86 SSE, ARM); elsewhere the guard does nothing.
bool denormal_flushing_supported() noexcept;

}  // namespace rtn
