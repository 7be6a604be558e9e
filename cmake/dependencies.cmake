# What the build needs from the system, found the same way on every target of the build
# floor (README, "Build floor"): CMake 3.16, glibc 2.17, Linux-PAM 1.1.8, cJSON 1.7.10,
# libcurl 7.29. Everything here is CMake 3.16: no find_*(... REQUIRED) (3.18), so each
# result is checked by hand with a message that says which package to install.
#
# Results used elsewhere:
#   scnet::pam, scnet::cjson   imported targets (include directories and library)
#   PAM_LIBDIR                 where libpam is (cmake/install.cmake starts there)
#   scnet::curl                libcurl, for the network helper only (CURL_INCLUDE_DIR: its header)
#   Threads::Threads           -pthread (below glibc 2.34 pthread_* live in libpthread)
#   generated/compat_config.h  SCNET_HAVE_EXPLICIT_BZERO, SCNET_HAVE_GETRANDOM (common/compat.h)
#   SCNET_FORTIFY_OPTIONS      -D_FORTIFY_SOURCE=2 unless the flags or the compiler set it

include(CheckCSourceCompiles)
include(CheckSymbolExists)
find_package(PkgConfig)

# Make the imported target from a header and a library found where the -devel packages put
# them, or stop with which package to install. Sets <prefix>_INCLUDE_DIR and <prefix>_LIBRARY
# (cache variables) for the caller.
function(scnet_import_by_hand target prefix header library what packages)
  find_path(${prefix}_INCLUDE_DIR ${header})
  find_library(${prefix}_LIBRARY ${library})
  if(NOT ${prefix}_INCLUDE_DIR OR NOT ${prefix}_LIBRARY)
    message(FATAL_ERROR "${what} development files not found (${header}: "
            "${${prefix}_INCLUDE_DIR}, lib${library}: ${${prefix}_LIBRARY}). Install ${packages}.")
  endif()
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${${prefix}_INCLUDE_DIR}"
                        INTERFACE_LINK_LIBRARIES "${${prefix}_LIBRARY}")
endfunction()

# ---- Linux-PAM -------------------------------------------------------------------------
# pam.pc exists only from Linux-PAM 1.5.2 (not on RHEL 8/9, Ubuntu 20.04, CentOS 7): when it
# is missing, the header and libpam are looked for where pam-devel / libpam0g-dev put them.
add_library(scnet::pam INTERFACE IMPORTED)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PAM QUIET IMPORTED_TARGET pam)
endif()
if(PAM_FOUND)
  set_target_properties(scnet::pam PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::PAM)
  message(STATUS "Linux-PAM: pam.pc ${PAM_VERSION}")
else()
  scnet_import_by_hand(scnet::pam PAM security/pam_modules.h pam Linux-PAM
                       "pam-devel (RHEL, openEuler, Kylin) or libpam0g-dev (Debian, Ubuntu)")
  get_filename_component(PAM_LIBDIR "${PAM_LIBRARY}" DIRECTORY)
  message(STATUS "Linux-PAM: no pam.pc; ${PAM_LIBRARY}, headers in ${PAM_INCLUDE_DIR}")
endif()

# ---- cJSON -----------------------------------------------------------------------------
# libcjson.pc when there is one (Debian, Ubuntu, EPEL, openEuler ship it); else the header
# and the library. Either way the version comes from cJSON.h, the one the code compiles with.
add_library(scnet::cjson INTERFACE IMPORTED)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(CJSON QUIET IMPORTED_TARGET libcjson)
endif()
if(CJSON_FOUND)
  set_target_properties(scnet::cjson PROPERTIES INTERFACE_LINK_LIBRARIES PkgConfig::CJSON)
  find_path(CJSON_HEADER_DIR cjson/cJSON.h HINTS ${CJSON_INCLUDE_DIRS} "${CJSON_INCLUDEDIR}/..")
else()
  scnet_import_by_hand(scnet::cjson CJSON cjson/cJSON.h cjson cJSON
                       "cjson-devel (EPEL, openEuler) or libcjson-dev (Debian, Ubuntu)")
  set(CJSON_HEADER_DIR "${CJSON_INCLUDE_DIR}")
endif()
set(_scnet_cjson_version)
if(CJSON_HEADER_DIR)
  file(STRINGS "${CJSON_HEADER_DIR}/cjson/cJSON.h" _lines REGEX "^#define CJSON_VERSION_(MAJOR|MINOR|PATCH) ")
  foreach(_part MAJOR MINOR PATCH)
    string(REGEX REPLACE ".*#define CJSON_VERSION_${_part} +([0-9]+).*" "\\1" _n "${_lines}")
    list(APPEND _scnet_cjson_version "${_n}")
  endforeach()
  string(REPLACE ";" "." _scnet_cjson_version "${_scnet_cjson_version}")
endif()
if(_scnet_cjson_version MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
  if(_scnet_cjson_version VERSION_LESS 1.7.10)
    message(FATAL_ERROR "cJSON ${_scnet_cjson_version} is older than 1.7.10, the oldest this code is written for")
  endif()
  message(STATUS "cJSON: ${_scnet_cjson_version}")
else()
  message(WARNING "cJSON: no version in cjson/cJSON.h under '${CJSON_HEADER_DIR}'; 1.7.10 or newer is needed")
endif()

# ---- libcurl: linked by the network helper (fetch_helper/) only, never by the module ------
# The header and the library, on every platform: the helper needs nothing libcurl.pc adds.
add_library(scnet::curl INTERFACE IMPORTED)
scnet_import_by_hand(scnet::curl CURL curl/curl.h curl libcurl
                     "libcurl-devel (RHEL, openEuler, Kylin) or libcurl4-openssl-dev (Debian, Ubuntu)")

# ---- threads ---------------------------------------------------------------------------
# Below glibc 2.34 pthread_* are in libpthread: linked by name, since the module is linked
# with --no-undefined.
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads)
if(NOT Threads_FOUND)
  message(FATAL_ERROR "no POSIX threads found for ${CMAKE_C_COMPILER}")
endif()

# ---- glibc 2.17: explicit_bzero and getrandom came with 2.25 ----------------------------
# The fallbacks are in common/compat.c; SCNET_FORCE_COMPAT uses them even where glibc has
# the real ones, so that CI builds and runs them (scripts/ci-compat.sh).
set(CMAKE_REQUIRED_DEFINITIONS -D_GNU_SOURCE)
check_symbol_exists(explicit_bzero string.h SCNET_LIBC_HAS_EXPLICIT_BZERO)
check_symbol_exists(getrandom sys/random.h SCNET_LIBC_HAS_GETRANDOM)
unset(CMAKE_REQUIRED_DEFINITIONS)
set(SCNET_HAVE_EXPLICIT_BZERO 0)
set(SCNET_HAVE_GETRANDOM 0)
if(NOT SCNET_FORCE_COMPAT)
  if(SCNET_LIBC_HAS_EXPLICIT_BZERO)
    set(SCNET_HAVE_EXPLICIT_BZERO 1)
  endif()
  if(SCNET_LIBC_HAS_GETRANDOM)
    set(SCNET_HAVE_GETRANDOM 1)
  endif()
endif()
if(NOT SCNET_HAVE_EXPLICIT_BZERO OR NOT SCNET_HAVE_GETRANDOM)
  message(STATUS "glibc fallbacks in use: explicit_bzero ${SCNET_HAVE_EXPLICIT_BZERO}, getrandom "
          "${SCNET_HAVE_GETRANDOM} (0 = the project's own; SCNET_FORCE_COMPAT=${SCNET_FORCE_COMPAT})")
endif()

# ---- _FORTIFY_SOURCE -------------------------------------------------------------------
# Distributions choose the level: RPM's %optflags and dpkg-buildflags pass it in CFLAGS, and
# Ubuntu's gcc defines it itself when optimizing. Defining it again warns ("redefined"), an
# error under -Werror, and would lower a chosen 3 to 2. So add it only when neither did, and
# never to an unoptimized (Debug) build, where glibc warns that it does nothing.
set(SCNET_FORTIFY_OPTIONS)
string(TOUPPER "${CMAKE_BUILD_TYPE}" _scnet_build_type)
if(NOT "${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${_scnet_build_type}}" MATCHES "_FORTIFY_SOURCE")
  set(CMAKE_REQUIRED_FLAGS -O2)
  check_c_source_compiles("#ifndef _FORTIFY_SOURCE
#error not predefined
#endif
int main(void) { return 0; }" SCNET_CC_PREDEFINES_FORTIFY)
  unset(CMAKE_REQUIRED_FLAGS)
  if(NOT SCNET_CC_PREDEFINES_FORTIFY)
    set(SCNET_FORTIFY_OPTIONS $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2>)
  endif()
endif()
