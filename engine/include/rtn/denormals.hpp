#pragma once
// Denormal (subnormal) floats are up to 100x slower on many CPUs; an RNN decaying towards silence
// produces them. ScopedFlushDenormals turns on flush-to-zero (and, on x86, denormals-are-zero) for its
// scope and restores the caller's mode afterwards. Model::process uses it; it never allocates.
//
// The contract with the host: a host that already runs its audio thread with flush-to-zero and
// denormals-are-zero (as DAWs and plugin frameworks do, e.g. JUCE's ScopedNoDenormals) pays a test that
// tells so and nothing else: on x86 two comparisons and a multiplication (under a nanosecond, where reading
// the control register, MXCSR, takes about 6 ns on AMD Zen 4, as long as a whole Dense 8 layer), on ARM one
// read of FPCR. A host that does not flush gets both modes switched on for the call and its own mode back
// afterwards (a read and two writes, some nanoseconds more). Inline, because the guard runs on every call of
// Model::process and a call into the library would cost as much as the test.

#include <cfloat>
#include <cstdint>

#if defined(__SSE__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 1)
#include <xmmintrin.h>
#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#endif
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
    if (host_flushes_denormals()) return;  // nothing to switch on, nothing to restore
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

  // Whether a guard would change nothing (the caller's mode flushes already, or this architecture has no
  // flushing mode): the test the constructor starts with. A caller that skips the guard when it holds
  // has nothing to restore after its last call (Model::process then jumps to its kernel instead of calling it).
  static bool host_flushes() noexcept { return host_flushes_denormals(); }

 private:
#if RTN_DENORMALS_SSE
  static constexpr std::uintptr_t kFlushBits = 0x8000 | 0x0040;  // MXCSR.FTZ | MXCSR.DAZ
  static std::uintptr_t read_mode() noexcept { return _mm_getcsr(); }
  static void write_mode(std::uintptr_t mode) noexcept { _mm_setcsr(static_cast<unsigned>(mode)); }
  // Both modes, told by their effect instead of by reading MXCSR: the smallest denormal compares greater
  // than zero unless denormals-are-zero is on (a comparison rounds nothing: no slow path for a denormal
  // operand, none measured on AMD Zen 4), and only then is half the smallest normal float computed, whose
  // bits are zero under flush-to-zero (its bits: a comparison would read a denormal as zero under DAZ). A
  // host with denormals-are-zero but not flush-to-zero (no host known to us sets that) pays for one denormal
  // result there, slow on some CPUs, before the guard switches flush-to-zero on.
  static bool host_flushes_denormals() noexcept {
#if defined(__SSE2__) || defined(_M_X64)
    if (_mm_comigt_ss(opaque(_mm_set_ss(FLT_TRUE_MIN)), _mm_setzero_ps())) return false;
    return _mm_cvtsi128_si32(_mm_castps_si128(_mm_mul_ss(opaque(_mm_set_ss(FLT_MIN)), _mm_set_ss(0.5f)))) == 0;
#else
    return false;  // (no SSE2: reading MXCSR is the test)
#endif
  }
  // The value, computed at run time in the current mode: never folded by the compiler, which assumes the
  // default mode.
  static __m128 opaque(__m128 value) noexcept {
#if defined(__GNUC__)
    asm("" : "+x"(value));
#else
    volatile __m128 copy = value;
    value = copy;
#endif
    return value;
  }
#elif RTN_DENORMALS_AARCH64
  static constexpr std::uintptr_t kFlushBits = std::uintptr_t{1} << 24;  // FPCR.FZ
  static std::uintptr_t read_mode() noexcept {
    std::uintptr_t fpcr;
    asm volatile("mrs %0, fpcr" : "=r"(fpcr));
    return fpcr;
  }
  static void write_mode(std::uintptr_t mode) noexcept { asm volatile("msr fpcr, %0" : : "r"(mode)); }
  static bool host_flushes_denormals() noexcept { return false; }  // reading FPCR is the test
#elif RTN_DENORMALS_ARM32
  static constexpr std::uintptr_t kFlushBits = std::uintptr_t{1} << 24;  // FPSCR.FZ
  static std::uintptr_t read_mode() noexcept {
    std::uintptr_t fpscr;
    asm volatile("vmrs %0, fpscr" : "=r"(fpscr));
    return fpscr;
  }
  static void write_mode(std::uintptr_t mode) noexcept { asm volatile("vmsr fpscr, %0" : : "r"(mode)); }
  static bool host_flushes_denormals() noexcept { return false; }  // reading FPSCR is the test
#else
  static constexpr std::uintptr_t kFlushBits = 0;  // no flushing mode on this architecture: the guard does nothing
  static std::uintptr_t read_mode() noexcept { return 0; }
  static void write_mode(std::uintptr_t) noexcept {}
  static bool host_flushes_denormals() noexcept { return true; }  // nothing a guard could switch on
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
