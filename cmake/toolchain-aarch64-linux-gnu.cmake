# Cross build for aarch64 (arm64) login nodes with Debian's cross compiler
# (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross) and a sysroot: the arm64 packages of the
# libraries unpacked into one folder (scripts/ci-aarch64.sh makes one; README, "Build floor").
#
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64-linux-gnu.cmake \
#         -DSCNET_SYSROOT=/path/to/sysroot -DSCNET_WERROR=ON
#   cmake --build build-aarch64 -j2
#
# SCNET_SYSROOT may also come from the environment. When qemu-user is there, it is the
# emulator: ctest runs the test programs through it, and the timing-bound tests scale
# their limits (SCNET_TEST_TIME_FACTOR, tests/CMakeLists.txt). Programs that the tests start
# in turn (the network helper) need binfmt_misc (scripts/ci-aarch64.sh registers it). The
# emulated programs find the arm64 loader and libraries where an arm64 node has them
# (/usr/lib/aarch64-linux-gnu): scripts/ci-aarch64.sh runs ctest in a mount namespace that
# shows the sysroot's there. Not qemu's -L prefix: with it, qemu answers an open of "/" with
# the sysroot, and the module's trusted walk from "/" fails on every path outside it.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
# Debian's multiarch triplet: where the libraries and the PAM modules are in the sysroot.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)

if(NOT SCNET_SYSROOT AND DEFINED ENV{SCNET_SYSROOT})
  set(SCNET_SYSROOT "$ENV{SCNET_SYSROOT}")
endif()
if(NOT SCNET_SYSROOT OR NOT EXISTS "${SCNET_SYSROOT}/usr/include")
  message(FATAL_ERROR "toolchain-aarch64-linux-gnu: set SCNET_SYSROOT to a sysroot of the arm64 "
          "packages (got '${SCNET_SYSROOT}'; scripts/ci-aarch64.sh shows how to make one)")
endif()
set(CMAKE_SYSROOT "${SCNET_SYSROOT}")
# The try_compile projects of the compiler checks read this file again.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SCNET_SYSROOT)

# Libraries and headers from the sysroot only; programs (pkg-config, gzip, dpkg-shlibdeps,
# python3) from the build host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads the sysroot's .pc files and puts the sysroot in front of their -I and -L
# (and of libdir: cmake/install.cmake takes it off again for the install paths).
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${CMAKE_SYSROOT}/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")

find_program(SCNET_QEMU_AARCH64 NAMES qemu-aarch64-static qemu-aarch64)
if(SCNET_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${SCNET_QEMU_AARCH64}")
endif()
