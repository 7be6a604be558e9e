# Install rules: `cmake --install` and the packages (cmake/packaging.cmake) put every file
# where an administrator expects it.
#
#   the module      ${SCNET_PAM_MODULE_DIR}/pam_scnet_quota.so              0644  absolute
#   the command     <prefix>/${CMAKE_INSTALL_BINDIR}/scnet-quota            0755
#   the helper      ${SCNET_HELPER_DIR}/scnet-quota-fetch                    0755  absolute
#   man pages       <prefix>/${CMAKE_INSTALL_MANDIR}/man<N>/<page>.<N>.gz   0644
#   the example     ${SCNET_SECURITY_DIR}/pam_scnet_quota.conf.example      0644  absolute
#   the licence     <prefix>/${CMAKE_INSTALL_DOCDIR}/LICENSE                0644
#   refresh units   <prefix>/${SCNET_SYSTEMD_UNIT_DIR}/pam-scnet-quota-refresh.{service,timer}
#                                                                           0644  disabled
#   --now units     <prefix>/${SCNET_SYSTEMD_UNIT_DIR}/pam-scnet-quota-now{.socket,@.service}
#                                                                           0644  disabled
#   --now service   ${SCNET_HELPER_DIR}/scnet-quota-now                      0755  absolute
#   cron example    <prefix>/${CMAKE_INSTALL_DOCDIR}/examples/pam-scnet-quota-refresh  0644
#                   (the .deb: share/doc/libpam-scnet-quota/examples/, cmake/packaging.cmake)
#   shell gate      ${SCNET_PROFILE_DIR}/scnet-quota.{sh,csh}              0644  absolute
#
# Not installed, on purpose:
# - /etc/security/pam_scnet_quota.conf, the live config: it has no usable default (url is
#   required), and an admin's copy must never be replaced. The admin copies the example.
# - any token or credentials file: they hold secrets and are the admin's to create (0600).
# - /var/cache/pam_scnet_quota: the module creates it on first use, root-owned 0700, and
#   repairs its mode (common/cache.c). The packages remove it on purge / erase, since
#   it may hold a cached API token (packaging/).
#
# The PAM directory and /etc/security are absolute: PAM looks there whatever the prefix.

# ---- the PAM module directory ----------------------------------------------------------
# Where pam_unix.so is: first the libdir of pam.pc (Debian 12: /lib/x86_64-linux-gnu,
# Ubuntu 24.04: /usr/lib/x86_64-linux-gnu, RHEL: /usr/lib64), then the usual places.
# A cross build (cmake/toolchain-aarch64-linux-gnu.cmake) looks in its sysroot, and the
# sysroot that pkg-config and find_library put in front of libdir is not part of the path
# on the target.
if(NOT SCNET_PAM_MODULE_DIR)
  set(_scnet_pam_candidates)
  if(PAM_LIBDIR)
    set(_scnet_pam_libdir "${PAM_LIBDIR}")
    string(FIND "${PAM_LIBDIR}" "${CMAKE_SYSROOT}/" _at)
    if(CMAKE_SYSROOT AND _at EQUAL 0)
      string(LENGTH "${CMAKE_SYSROOT}" _len)
      string(SUBSTRING "${PAM_LIBDIR}" ${_len} -1 _scnet_pam_libdir)
    endif()
    list(APPEND _scnet_pam_candidates "${_scnet_pam_libdir}/security")
  endif()
  if(CMAKE_LIBRARY_ARCHITECTURE)
    list(APPEND _scnet_pam_candidates "/lib/${CMAKE_LIBRARY_ARCHITECTURE}/security"
         "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/security")
  endif()
  list(APPEND _scnet_pam_candidates /usr/lib64/security /lib64/security /usr/lib/security
       /lib/security)
  set(_scnet_pam_dir)
  foreach(_dir IN LISTS _scnet_pam_candidates)
    if(EXISTS "${CMAKE_SYSROOT}${_dir}/pam_unix.so")
      set(_scnet_pam_dir "${_dir}")
      break()
    endif()
  endforeach()
  if(NOT _scnet_pam_dir)
    list(GET _scnet_pam_candidates 0 _scnet_pam_dir)
    message(WARNING "pam_unix.so not found in any of ${_scnet_pam_candidates}; installing the "
            "module to ${_scnet_pam_dir}. Set SCNET_PAM_MODULE_DIR if that is wrong.")
  endif()
  set(SCNET_PAM_MODULE_DIR "${_scnet_pam_dir}" CACHE PATH
      "Where PAM modules are installed (absolute; detected from where pam_unix.so is)" FORCE)
endif()
if(NOT IS_ABSOLUTE "${SCNET_PAM_MODULE_DIR}")
  message(FATAL_ERROR "SCNET_PAM_MODULE_DIR must be absolute, got '${SCNET_PAM_MODULE_DIR}'")
endif()
set(SCNET_SECURITY_DIR /etc/security CACHE PATH
    "Where the example configuration is installed (absolute; the module reads /etc/security)")
message(STATUS "PAM module directory: ${SCNET_PAM_MODULE_DIR}")

# ---- the module and the command --------------------------------------------------------
# A PAM module is loaded, never executed: 0644, as pam_unix.so. CMake's default is 0755.
install(TARGETS pam_scnet_quota
        LIBRARY DESTINATION "${SCNET_PAM_MODULE_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(TARGETS scnet-quota
        RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                    WORLD_READ WORLD_EXECUTE)

# The network helper: root-owned and not writable by others, in a root-owned directory, or
# the module refuses it (config_check_helper). Its path is compiled into the module.
install(TARGETS scnet-quota-fetch scnet-quota-now
        RUNTIME DESTINATION "${SCNET_HELPER_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                    WORLD_READ WORLD_EXECUTE)

# Run by the .deb's prerm and the .rpm's %preun before the module leaves the disk: refuses
# while a PAM stack line written by hand still names it (packaging/removal-check).
install(PROGRAMS "${PROJECT_SOURCE_DIR}/packaging/removal-check" DESTINATION "${SCNET_HELPER_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                    WORLD_READ WORLD_EXECUTE)

# ---- man pages -------------------------------------------------------------------------
# Every man/<page>.<1|5|8>, gzip -9n (no name, no time: reproducible) as Debian and RHEL
# ship them, into man<section>. CONFIGURE_DEPENDS: a page added later is picked up by the
# next build.
file(GLOB _scnet_man_pages CONFIGURE_DEPENDS
     "${PROJECT_SOURCE_DIR}/man/*.1" "${PROJECT_SOURCE_DIR}/man/*.5" "${PROJECT_SOURCE_DIR}/man/*.8")
find_program(SCNET_GZIP gzip)
set(_scnet_man_outputs)
foreach(_page IN LISTS _scnet_man_pages)
  get_filename_component(_name "${_page}" NAME)
  string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" _section "${_name}")
  if(SCNET_GZIP)
    set(_out "${PROJECT_BINARY_DIR}/man/${_name}.gz")
    add_custom_command(OUTPUT "${_out}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${PROJECT_BINARY_DIR}/man"
      COMMAND ${CMAKE_COMMAND} -E copy "${_page}" "${PROJECT_BINARY_DIR}/man/${_name}"
      COMMAND ${SCNET_GZIP} -9nf "${PROJECT_BINARY_DIR}/man/${_name}"
      DEPENDS "${_page}"
      COMMENT "Compressing man page ${_name}"
      VERBATIM)
  else()
    set(_out "${_page}")
  endif()
  list(APPEND _scnet_man_outputs "${_out}")
  install(FILES "${_out}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${_section}"
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
add_custom_target(scnet_man_pages ALL DEPENDS ${_scnet_man_outputs})

# ---- the example configuration and the licence -----------------------------------------
# Its own name, so it never replaces the admin's pam_scnet_quota.conf. No secrets in it:
# world-readable like the system's other examples.
install(FILES "${PROJECT_SOURCE_DIR}/etc/pam_scnet_quota.conf.example"
        DESTINATION "${SCNET_SECURITY_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# Component doc (share/doc/pam_scnet_quota/): the .deb has the licence as Debian's copyright
# file instead (cmake/cpack-per-generator.cmake); `cmake --install` and the .rpm install it.
install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT doc
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# ---- Debian/Ubuntu: the pam-auth-update profile ----------------------------------------
# /usr/share/pam-configs/scnet-quota (packaging/debian/pam-configs/): `pam-auth-update
# --enable scnet-quota` adds `session optional pam_scnet_quota.so` to common-session. Not
# enabled by anything (Default: no). Installed where pam-auth-update looks (absolute, like
# the PAM directory), and only where that folder exists; set SCNET_PAM_CONFIGS_DIR to
# force a place, or to "" for none.
if(NOT DEFINED SCNET_PAM_CONFIGS_DIR)
  set(_scnet_pam_configs "")
  if(EXISTS /usr/share/pam-configs)
    set(_scnet_pam_configs /usr/share/pam-configs)
  endif()
  set(SCNET_PAM_CONFIGS_DIR "${_scnet_pam_configs}" CACHE PATH
      "Where pam-auth-update's profiles go (absolute; empty: not installed)")
endif()
if(SCNET_PAM_CONFIGS_DIR)
  install(FILES "${PROJECT_SOURCE_DIR}/packaging/debian/pam-configs/scnet-quota"
          DESTINATION "${SCNET_PAM_CONFIGS_DIR}"
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endif()

# ---- the login-shell gate of deny_scope = tty -------------------------------------------
# packaging/profile.d/: login shells source them (never executed: 0644). They act only when
# the module put SCNET_QUOTA_REFUSAL into the session, so installing them enables nothing.
install(FILES "${PROJECT_SOURCE_DIR}/packaging/profile.d/scnet-quota.sh"
              "${PROJECT_SOURCE_DIR}/packaging/profile.d/scnet-quota.csh"
        DESTINATION "${SCNET_PROFILE_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# ---- the background refresh (scnet-quota --refresh) ------------------------------------
# Installed, never enabled: the admin runs `systemctl enable --now
# pam-scnet-quota-refresh.timer` (README). The service names the command by its installed
# path; the checked-in unit says /usr/bin, rewritten at install time for the prefix the
# install (or cpack, with its own prefix) really uses.
# Where: under the system prefix /usr, where this host's systemd looks (systemd.pc:
# /lib/systemd/system on Debian 11 and 12, whose lintian wants it there; /usr/lib/systemd/system
# on EL and newer Debian); without systemd.pc, /lib/systemd/system, which systemd reads on
# every system, merged /usr or not. Under any other prefix (/usr/local): lib/systemd/system
# beneath it, which systemd reads too, so that an install there stays there.
set(_unit_dir "lib/systemd/system")
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_unit_dir "/lib/systemd/system")
  if(PKG_CONFIG_FOUND)
    pkg_get_variable(_systemd_unit_dir systemd systemdsystemunitdir)
    if(_systemd_unit_dir)
      set(_unit_dir "${_systemd_unit_dir}")
    endif()
  endif()
endif()
set(SCNET_SYSTEMD_UNIT_DIR "${_unit_dir}" CACHE PATH
    "Where the refresh's systemd units are installed (relative: under the prefix)")
message(STATUS "systemd unit directory: ${SCNET_SYSTEMD_UNIT_DIR}")
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/packaging/systemd/pam-scnet-quota-refresh.service\" _unit)
  string(REPLACE \"/usr/bin/scnet-quota\"
         \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/scnet-quota\" _unit \"\${_unit}\")
  file(WRITE \"${PROJECT_BINARY_DIR}/systemd/pam-scnet-quota-refresh.service\" \"\${_unit}\")
")
# scnet-quota --now's service: the same way, its program under SCNET_HELPER_DIR.
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/packaging/systemd/pam-scnet-quota-now@.service\" _unit)
  string(REPLACE \"/usr/libexec/pam_scnet_quota/scnet-quota-now\"
         \"${SCNET_HELPER_DIR}/scnet-quota-now\" _unit \"\${_unit}\")
  file(WRITE \"${PROJECT_BINARY_DIR}/systemd/pam-scnet-quota-now@.service\" \"\${_unit}\")
")
install(FILES "${PROJECT_BINARY_DIR}/systemd/pam-scnet-quota-refresh.service"
              "${PROJECT_SOURCE_DIR}/packaging/systemd/pam-scnet-quota-refresh.timer"
              "${PROJECT_BINARY_DIR}/systemd/pam-scnet-quota-now@.service"
              "${PROJECT_SOURCE_DIR}/packaging/systemd/pam-scnet-quota-now.socket"
        DESTINATION "${SCNET_SYSTEMD_UNIT_DIR}"
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# Nodes without systemd: an example for /etc/cron.d, not active where it is installed.
# Component doc, as the licence: the .deb has it under its own doc folder instead.
install(FILES "${PROJECT_SOURCE_DIR}/packaging/cron/pam-scnet-quota-refresh"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples" COMPONENT doc
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
