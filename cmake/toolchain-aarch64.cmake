# Cross-compiles rtn for 64-bit ARM (aarch64, NEON) with Debian's cross compiler, g++-aarch64-linux-gnu:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake
# The target's libraries are Debian's arm64 packages installed beside the host's (multiarch: dpkg
# --add-architecture arm64, then apt-get install libgtest-dev:arm64 ...), in /usr/lib/aarch64-linux-gnu;
# header-only ones (Eigen, nlohmann/json) are shared with the host. scripts/cross_aarch64.sh installs
# them, builds and runs the tests under qemu-user.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(RTN_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${RTN_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${RTN_CROSS_TRIPLE}-g++)
# Multiarch: find_package and find_library look in lib/aarch64-linux-gnu, never in the host's lib/x86_64-linux-gnu.
set(CMAKE_LIBRARY_ARCHITECTURE ${RTN_CROSS_TRIPLE})

# The cross compiler's own runtime (libc, libstdc++) and the multiarch prefix /usr; programs (cmake, python)
# still come from the host.
set(CMAKE_FIND_ROOT_PATH /usr/${RTN_CROSS_TRIPLE} /usr)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# CTest and add_custom_command run the built programs through the emulator (QEMU_LD_PREFIX finds the
# target's dynamic loader and libc).
find_program(RTN_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(RTN_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RTN_QEMU_AARCH64} -L /usr/${RTN_CROSS_TRIPLE})
endif()

# pkg-config (libsndfile for `rtn process`) must read the target's .pc files, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${RTN_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
