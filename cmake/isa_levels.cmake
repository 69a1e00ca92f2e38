# Run-time ISA levels (docs/isa-levels.md): the xsimd kernels compiled once per x86-64 instruction-set
# level into the same library, each level registered as its own implementations ("xsimd.avx2",
# "xsimd.avx512.fixed") when the CPU runs it. Included by the root CMakeLists.txt; the function below by
# engine/CMakeLists.txt.
#
# RTN_ISA_LEVELS chooses the levels: a list of sse4 (x86-64-v2), avx2 (x86-64-v3), avx512 (x86-64-v4);
# "none" compiles the kernels once, for the build's own target; "auto" (the default) is none with
# RTN_NATIVE (the host's best level is the target already) and every level otherwise, where the toolchain
# can build them (x86-64, ELF, GNU ld and objcopy).
#
# Every level's inline functions and templates (xsimd, the standard library, rtn's own) must stay that
# level's: the linker would otherwise keep one copy of each, perhaps the AVX-512 one, for every caller. So
# each level's objects are linked into one relocatable object (ld -r, its section groups dissolved) and
# every symbol but the level's entry point, rtn::isa_<level>::level_kernels(), made local (objcopy);
# scripts/check_isa_levels.py checks the result.

set(RTN_ISA_LEVELS "auto" CACHE STRING
    "x86-64 ISA levels to compile the SIMD kernels for, chosen at run time: a list of sse4, avx2, avx512; none; or auto")
set(RTN_ISA_LEVEL_ARCHITECTURE_sse4 x86-64-v2)
set(RTN_ISA_LEVEL_ARCHITECTURE_avx2 x86-64-v3)
set(RTN_ISA_LEVEL_ARCHITECTURE_avx512 x86-64-v4)

# Whether this toolchain can build levels; the reason when not.
set(RTN_ISA_LEVELS_POSSIBLE ON)
if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(RTN_ISA_LEVELS_POSSIBLE OFF)
  set(RTN_ISA_LEVELS_WHY_NOT "levels exist on x86-64 only (this is ${CMAKE_SYSTEM_PROCESSOR})")
elseif(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang" OR NOT CMAKE_EXECUTABLE_FORMAT STREQUAL "ELF")
  set(RTN_ISA_LEVELS_POSSIBLE OFF)
  set(RTN_ISA_LEVELS_WHY_NOT "they need GCC or Clang on an ELF platform")
elseif(NOT CMAKE_LINKER OR NOT CMAKE_OBJCOPY)
  set(RTN_ISA_LEVELS_POSSIBLE OFF)
  set(RTN_ISA_LEVELS_WHY_NOT "they need ld and objcopy")
elseif(NOT RTN_WITH_XSIMD)
  set(RTN_ISA_LEVELS_POSSIBLE OFF)
  set(RTN_ISA_LEVELS_WHY_NOT "they are levels of the xsimd kernels, and RTN_WITH_XSIMD is OFF")
endif()

set(RTN_ISA_LEVELS_BUILT "")  # the levels this build compiles, lowest first
if(RTN_ISA_LEVELS STREQUAL "auto")
  if(NOT RTN_NATIVE AND RTN_ISA_LEVELS_POSSIBLE)
    set(RTN_ISA_LEVELS_BUILT sse4 avx2 avx512)
  endif()
elseif(NOT RTN_ISA_LEVELS STREQUAL "none" AND NOT RTN_ISA_LEVELS STREQUAL "")
  if(NOT RTN_ISA_LEVELS_POSSIBLE)
    message(FATAL_ERROR "RTN_ISA_LEVELS=${RTN_ISA_LEVELS}: ${RTN_ISA_LEVELS_WHY_NOT}; use none")
  endif()
  foreach(level IN ITEMS sse4 avx2 avx512)
    if(level IN_LIST RTN_ISA_LEVELS)
      list(APPEND RTN_ISA_LEVELS_BUILT ${level})
    endif()
  endforeach()
  foreach(level IN LISTS RTN_ISA_LEVELS)
    if(NOT level IN_LIST RTN_ISA_LEVELS_BUILT)
      message(FATAL_ERROR "RTN_ISA_LEVELS: unknown level '${level}' (the levels are sse4, avx2, avx512)")
    endif()
  endforeach()
endif()

# Adds the level's object, built from `sources`, to `target`.
function(rtn_add_isa_level target level sources)
  set(objects rtn_isa_${level})
  add_library(${objects} OBJECT ${sources})
  # The library's own settings (include paths, RTN_HAVE_* definitions), its target replaced by the level's.
  target_include_directories(${objects} PRIVATE $<TARGET_PROPERTY:${target},INCLUDE_DIRECTORIES>)
  target_include_directories(${objects} SYSTEM PRIVATE ${RTN_XSIMD_INCLUDES})
  if(RTN_WITH_EIGEN)
    target_link_libraries(${objects} PRIVATE Eigen3::Eigen)  # the level's copies of the eigen kernels
  endif()
  target_compile_definitions(${objects} PRIVATE $<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>
                             RTN_ISA_LEVEL=${level})
  target_compile_features(${objects} PRIVATE cxx_std_17)
  target_compile_options(${objects} PRIVATE -march=${RTN_ISA_LEVEL_ARCHITECTURE_${level}} -Wall -Wextra)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12's false (maybe-)uninitialized warnings inside its AVX-512 intrinsics, as for the library's.
    target_compile_options(${objects} PRIVATE -Wno-maybe-uninitialized -Wno-uninitialized)
    # Static variables of inline functions as weak symbols, not "unique" ones (STB_GNU_UNIQUE): objcopy
    # makes weak symbols local, but leaves unique ones global, to be shared across levels.
    target_compile_options(${objects} PRIVATE -fno-gnu-unique)
  endif()
  set_target_properties(${objects} PROPERTIES POSITION_INDEPENDENT_CODE ON)

  set(linked ${CMAKE_CURRENT_BINARY_DIR}/rtn_isa_${level}_linked.o)
  set(object ${CMAKE_CURRENT_BINARY_DIR}/rtn_isa_${level}.o)
  string(LENGTH "isa_${level}" length)
  add_custom_command(
    OUTPUT ${object}
    COMMAND ${CMAKE_LINKER} -r --force-group-allocation -o ${linked} $<TARGET_OBJECTS:${objects}>
    COMMAND ${CMAKE_OBJCOPY} --keep-global-symbol=_ZN3rtn${length}isa_${level}13level_kernelsERKNS_20LevelImplementationsE
            ${linked} ${object}
    DEPENDS ${objects} $<TARGET_OBJECTS:${objects}>
    COMMAND_EXPAND_LISTS
    COMMENT "Linking the ${level} kernels into one object with a single global symbol")
  target_sources(${target} PRIVATE ${object})
  set_source_files_properties(${object} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  string(TOUPPER ${level} LEVEL)
  target_compile_definitions(${target} PRIVATE RTN_HAVE_ISA_${LEVEL}=1)
  # For scripts/check_isa_levels.py (tests/CMakeLists.txt).
  set_property(GLOBAL APPEND PROPERTY RTN_ISA_LEVEL_CHECK_ARGUMENTS --level ${level}=${object})
endfunction()
