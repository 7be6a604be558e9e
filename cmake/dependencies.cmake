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
  find_path(PAM_INCLUDE_DIR security/pam_modules.h)
  find_library(PAM_LIBRARY pam)
  if(NOT PAM_INCLUDE_DIR OR NOT PAM_LIBRARY)
    message(FATAL_ERROR "Linux-PAM development files not found (security/pam_modules.h: "
            "${PAM_INCLUDE_DIR}, libpam: ${PAM_LIBRARY}). Install pam-devel (RHEL, openEuler, "
            "Kylin) or libpam0g-dev (Debian, Ubuntu).")
  endif()
  set_target_properties(scnet::pam PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${PAM_INCLUDE_DIR}"
                        INTERFACE_LINK_LIBRARIES "${PAM_LIBRARY}")
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
  find_path(CJSON_HEADER_DIR cjson/cJSON.h)
  find_library(CJSON_LIBRARY cjson)
  if(NOT CJSON_HEADER_DIR OR NOT CJSON_LIBRARY)
    message(FATAL_ERROR "cJSON development files not found (cjson/cJSON.h: ${CJSON_HEADER_DIR}, "
            "libcjson: ${CJSON_LIBRARY}). Install cjson-devel (EPEL, openEuler) or libcjson-dev "
            "(Debian, Ubuntu).")
  endif()
  set_target_properties(scnet::cjson PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${CJSON_HEADER_DIR}"
                        INTERFACE_LINK_LIBRARIES "${CJSON_LIBRARY}")
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
# libcurl.pc when there is one; else the header and the library.
find_path(CURL_INCLUDE_DIR curl/curl.h)
find_library(CURL_LIBRARY NAMES curl)
if(NOT CURL_INCLUDE_DIR OR NOT CURL_LIBRARY)
  message(FATAL_ERROR "libcurl development files not found (curl/curl.h: ${CURL_INCLUDE_DIR}, "
          "libcurl: ${CURL_LIBRARY}). Install libcurl-devel (RHEL, openEuler, Kylin) or "
          "libcurl4-openssl-dev (Debian, Ubuntu).")
endif()
add_library(scnet::curl INTERFACE IMPORTED)
set_target_properties(scnet::curl PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${CURL_INCLUDE_DIR}"
                      INTERFACE_LINK_LIBRARIES "${CURL_LIBRARY}")

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
