#include "rtn/denormals.hpp"

#if defined(__SSE__) || defined(_M_X64) || defined(_M_IX86)
#include <xmmintrin.h>
#define RTN_DENORMALS_SSE 1
#elif defined(__aarch64__)
#define RTN_DENORMALS_AARCH64 1
#elif defined(__arm__) && defined(__ARM_FP)
#define RTN_DENORMALS_ARM32 1
#endif

namespace rtn {

namespace {
#if RTN_DENORMALS_SSE
constexpr unsigned kFlushToZero = 0x8000;      // MXCSR.FTZ
constexpr unsigned kDenormalsAreZero = 0x0040; // MXCSR.DAZ
#elif RTN_DENORMALS_AARCH64 || RTN_DENORMALS_ARM32
constexpr std::uintptr_t kFlushToZero = std::uintptr_t{1} << 24;  // FPCR/FPSCR.FZ
#endif
}  // namespace

ScopedFlushDenormals::ScopedFlushDenormals() noexcept {
#if RTN_DENORMALS_SSE
  // Writing MXCSR stalls the pipeline; hosts often run with flushing on already, so write only if needed.
  // One read when the host flushes already (as audio hosts do): then nothing is written, now or after.
  saved_state_ = _mm_getcsr();
  const unsigned flushing = static_cast<unsigned>(saved_state_) | kFlushToZero | kDenormalsAreZero;
  changed_ = flushing != saved_state_;
  if (changed_) _mm_setcsr(flushing);
#elif RTN_DENORMALS_AARCH64
  std::uintptr_t fpcr;
  asm volatile("mrs %0, fpcr" : "=r"(fpcr));
  saved_state_ = fpcr;
  asm volatile("msr fpcr, %0" : : "r"(fpcr | kFlushToZero));
#elif RTN_DENORMALS_ARM32
  std::uintptr_t fpscr;
  asm volatile("vmrs %0, fpscr" : "=r"(fpscr));
  saved_state_ = fpscr;
  asm volatile("vmsr fpscr, %0" : : "r"(fpscr | kFlushToZero));
#endif
}

ScopedFlushDenormals::~ScopedFlushDenormals() {
#if RTN_DENORMALS_SSE
  if (changed_) _mm_setcsr(static_cast<unsigned>(saved_state_));
#elif RTN_DENORMALS_AARCH64
  asm volatile("msr fpcr, %0" : : "r"(saved_state_));
#elif RTN_DENORMALS_ARM32
  asm volatile("vmsr fpscr, %0" : : "r"(saved_state_));
#endif
}

bool denormal_flushing_supported() noexcept {
#if RTN_DENORMALS_SSE || RTN_DENORMALS_AARCH64 || RTN_DENORMALS_ARM32
  return true;
#else
  return false;
#endif
}

}  // namespace rtn
