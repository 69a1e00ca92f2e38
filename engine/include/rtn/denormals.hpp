#pragma once
// Denormal (subnormal) floats are up to 100x slower on many CPUs; an RNN decaying towards silence
// produces them. ScopedFlushDenormals turns on flush-to-zero (and, on x86, denormals-are-zero) for its
// scope and restores the caller's mode afterwards. Model::process uses it; it never allocates.
//
// The contract with the host: a host that already runs its audio thread with flush-to-zero and
// denormals-are-zero (as DAWs and plugin frameworks do, e.g. JUCE's ScopedNoDenormals) pays one read of the
// floating-point control register per call and nothing else; a host that does not gets them switched on for
// the call and its own mode back afterwards (two writes, some nanoseconds). Inline, because the guard runs on
// every call of Model::process and a call into the library would cost as much as the read.

#include <cstdint>

#if defined(__SSE__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 1)
#include <xmmintrin.h>
#define RTN_DENORMALS_SSE 1
#elif defined(__aarch64__)
#define RTN_DENORMALS_AARCH64 1
#elif defined(__arm__) && defined(__ARM_FP)
#define RTN_DENORMALS_ARM32 1
#endif

namespace rtn {

class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals() noexcept {
    saved_state_ = read_mode();
    const std::uintptr_t flushing = saved_state_ | kFlushBits;
    changed_ = flushing != saved_state_;
    // Writing the mode register stalls the pipeline: write only when the host does not flush already.
    if (changed_) write_mode(flushing);
  }
  ~ScopedFlushDenormals() {
    if (changed_) write_mode(saved_state_);
  }
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
#if RTN_DENORMALS_SSE
  static constexpr std::uintptr_t kFlushBits = 0x8000 | 0x0040;  // MXCSR.FTZ | MXCSR.DAZ
  static std::uintptr_t read_mode() noexcept { return _mm_getcsr(); }
  static void write_mode(std::uintptr_t mode) noexcept { _mm_setcsr(static_cast<unsigned>(mode)); }
#elif RTN_DENORMALS_AARCH64
  static constexpr std::uintptr_t kFlushBits = std::uintptr_t{1} << 24;  // FPCR.FZ
  static std::uintptr_t read_mode() noexcept {
    std::uintptr_t fpcr;
    asm volatile("mrs %0, fpcr" : "=r"(fpcr));
    return fpcr;
  }
  static void write_mode(std::uintptr_t mode) noexcept { asm volatile("msr fpcr, %0" : : "r"(mode)); }
#elif RTN_DENORMALS_ARM32
  static constexpr std::uintptr_t kFlushBits = std::uintptr_t{1} << 24;  // FPSCR.FZ
  static std::uintptr_t read_mode() noexcept {
    std::uintptr_t fpscr;
    asm volatile("vmrs %0, fpscr" : "=r"(fpscr));
    return fpscr;
  }
  static void write_mode(std::uintptr_t mode) noexcept { asm volatile("vmsr fpscr, %0" : : "r"(mode)); }
#else
  static constexpr std::uintptr_t kFlushBits = 0;  // no flushing mode on this architecture: the guard does nothing
  static std::uintptr_t read_mode() noexcept { return 0; }
  static void write_mode(std::uintptr_t) noexcept {}
#endif

  std::uintptr_t saved_state_ = 0;
  bool changed_ = false;  // whether the constructor changed the mode (the destructor then restores it)
};

// True when this CPU architecture supports flushing (x86 SSE, ARM); elsewhere the guard does nothing.
constexpr bool denormal_flushing_supported() noexcept {
#if RTN_DENORMALS_SSE || RTN_DENORMALS_AARCH64 || RTN_DENORMALS_ARM32
  return true;
#else
  return false;
#endif
}

}  // namespace rtn
