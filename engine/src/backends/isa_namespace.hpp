#pragma once
// The namespace of code compiled once per instruction-set level. The SIMD kernels are compiled into one
// library several times, once per level of RTN_ISA_LEVELS (engine/CMakeLists.txt defines RTN_ISA_LEVEL as
// sse4, avx2 or avx512 for those objects). Every inline function and template they instantiate exists once
// per level, each with other instructions, so the linker must never take one level's copy for another's
// (or for the baseline code's): an ODR accident that would run AVX-512 code on a CPU without it.
//
// Two measures make sure of it (docs/isa-levels.md):
// - rtn's own header-only code that differs per level (the ops headers, fast_math) sits in the inline
//   namespace RTN_ISA_NAMESPACE: rtn::isa_avx2, rtn::isa_avx512, ... and rtn::isa_target for the code
//   compiled for the build's own target. Code names it as before (rtn::XsimdOps), but each level's
//   symbols are its own, and so are the kernel templates instantiated with them (DenseKernel<XsimdOps>).
// - Everything else (xsimd's and the standard library's templates, inline helpers of rtn's headers) is
//   made local to each level's objects: they are linked into one relocatable object with `ld -r`, whose
//   only global symbol left is the level's registry entry point (cmake/isa_levels.cmake), and
//   scripts/check_isa_levels.py proves with nm and objdump that no instruction above a level is reachable
//   from its entry point.
#ifdef RTN_ISA_LEVEL
#define RTN_ISA_NAMESPACE_JOIN(prefix, level) prefix##level
#define RTN_ISA_NAMESPACE_OF(level) RTN_ISA_NAMESPACE_JOIN(isa_, level)
#define RTN_ISA_NAMESPACE RTN_ISA_NAMESPACE_OF(RTN_ISA_LEVEL)
#else
#define RTN_ISA_NAMESPACE isa_target
#endif
