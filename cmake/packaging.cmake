# CPack: the .deb (Debian/Ubuntu login nodes), from the install rules of cmake/install.cmake.
#
#   cmake -S . -B BUILD -DCMAKE_INSTALL_PREFIX=/usr && cmake --build BUILD
#   cmake --build BUILD --target package        or        cd BUILD && cpack
#   cpack --config BUILD/CPackConfig.cmake -G DEB -B OUT_DIR      (what tests/package does)
#
# The prefix must be /usr: the .deb puts its files there, and the helper's path is compiled
# into the module from the build's prefix. cpack refuses a .deb from any other (see
# cmake/cpack-per-generator.cmake).
#
# Name: libpam-scnet-quota (Debian's convention for PAM modules). libcurl is linked by the
# network helper (scnet-quota-fetch) only; dpkg-shlibdeps sees it there, and it is still
# named by hand below. A package is built for the distribution it is built on: the PAM
# directory and the shared-library versions come from the build host.
#
# The .rpm is not made here but by packaging/rpm/pam_scnet_quota.spec (`rpmbuild -ta` on the
# tarball of the `dist` target, cmake/dist.cmake): one RPM recipe, with the -selinux
# subpackage, the systemd scriptlets, the cache folder and %check, and the distribution's
# own macros and flags. (CPack's RPM generator is not configured: two RPM recipes would
# drift apart.)

set(SCNET_PACKAGE_CONTACT "The pam_scnet_quota authors <pam-scnet-quota@example.org>" CACHE STRING
    "Maintainer of the .deb and Packager of the .rpm: \"Name <email>\"")

set(CPACK_PACKAGE_NAME pam_scnet_quota)
set(CPACK_PACKAGE_VENDOR "The pam_scnet_quota authors")
set(CPACK_PACKAGE_CONTACT "${SCNET_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "PAM session module that shows SCNet storage quota at login")
# Lines under 80 columns: Debian shows them indented by one space.
set(CPACK_PACKAGE_DESCRIPTION
"pam_scnet_quota asks the SCNet HPC quota API, when a session opens (sshd,
login, su), how much of their ParaStor storage quota the user uses. It then
says nothing, shows a warning banner, or (when configured) refuses the login.
A slow or broken API never blocks a login longer than the configured timeout.

The package contains the module, the admin command scnet-quota, the manual
pages, /etc/security/pam_scnet_quota.conf.example and the pam-auth-update
profile scnet-quota. Nothing is enabled: copy the example to
/etc/security/pam_scnet_quota.conf, set url and the token, then run
`pam-auth-update --enable scnet-quota` (a warning banner for every
interactive login) or add the module to the session stack of one service
in /etc/pam.d (needed to enforce deny: see pam_scnet_quota(8)).")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# A PAM module and a command: no debug info (and with it no build paths) in the packages.
set(CPACK_STRIP_FILES ON)

# Override with -D CPACK_GENERATOR=... or `cpack -G`.
if(NOT CPACK_GENERATOR)
  set(CPACK_GENERATOR DEB)
endif()

set(_scnet_packaging "${PROJECT_SOURCE_DIR}/packaging")
set(_scnet_example "${SCNET_SECURITY_DIR}/pam_scnet_quota.conf.example")

# ---- .deb ------------------------------------------------------------------------------
set(CPACK_DEBIAN_PACKAGE_NAME libpam-scnet-quota)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # libpam-scnet-quota_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The architecture of the binaries, not of the build host (CPack asks `dpkg
# --print-architecture` when this is unset): a cross build (cmake/toolchain-aarch64-linux-gnu.cmake)
# on amd64 makes an arm64 package. Debian's names for the processors CMake reports.
if(NOT CPACK_DEBIAN_PACKAGE_ARCHITECTURE)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|amd64|AMD64)$")
    set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
  elseif(CMAKE_CROSSCOMPILING)
    message(FATAL_ERROR "no Debian architecture known for the target processor "
            "'${CMAKE_SYSTEM_PROCESSOR}': set CPACK_DEBIAN_PACKAGE_ARCHITECTURE")
  endif()
endif()
# libc6, libpam0g, libcjson1 and libcurl4 (the helper's; libcurl4t64 on Ubuntu 24.04), with
# versions, from dpkg-shlibdeps (appended by CPack): named once, never by hand as well
# (that listed libcurl4 twice). libpam-runtime for pam-auth-update (maintainer scripts),
# which came with 1.0.1-6. Without dpkg-shlibdeps (a build on RHEL), and in a cross build
# (dpkg-shlibdeps finds a library's package in the build host's dpkg database, which has no
# arm64 libraries from the sysroot), the linked libraries are named by hand.
find_program(SCNET_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SCNET_DPKG_SHLIBDEPS AND NOT CMAKE_CROSSCOMPILING)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libpam-runtime (>= 1.0.1-6)")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libpam0g, libcjson1, libcurl4, libpam-runtime (>= 1.0.1-6)")
endif()
# libcurl verifies the API's certificate against the system store unless cafile is set.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS ca-certificates)
# The example is a conffile under its own name: dpkg keeps an admin's edits to it, and it
# never touches /etc/security/pam_scnet_quota.conf, which no package ships. The login-shell
# gate in /etc/profile.d is one too, as Debian wants of every file under /etc: an admin's
# edit (another wording, a hint) survives an upgrade, dpkg asks first.
set(_scnet_deb_control "${PROJECT_BINARY_DIR}/packaging/deb")
file(MAKE_DIRECTORY "${_scnet_deb_control}")
file(WRITE "${_scnet_deb_control}/conffiles"
     "${_scnet_example}\n${SCNET_PROFILE_DIR}/scnet-quota.csh\n${SCNET_PROFILE_DIR}/scnet-quota.sh\n")
# postinst registers the pam-auth-update profile (off), prerm removes it from common-session.
# prerm runs removal-check (packaging/removal-check, installed beside the helper) and names
# the profile: their paths are filled in here.
foreach(_script postinst postrm)
  configure_file("${_scnet_packaging}/deb/${_script}" "${_scnet_deb_control}/${_script}" COPYONLY)
endforeach()
configure_file("${_scnet_packaging}/deb/prerm" "${_scnet_deb_control}/prerm" @ONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_scnet_deb_control}/conffiles;${_scnet_deb_control}/postinst;${_scnet_deb_control}/prerm;${_scnet_deb_control}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debian wants /usr/share/doc/<package>/copyright (made from LICENSE, cmake/deb-doc.cmake),
# changelog.Debian.gz and examples/, in the .deb only: their install rules have their own
# component, which cmake/cpack-per-generator.cmake gives the .deb (and that of LICENSE and
# share/doc/pam_scnet_quota/examples/ to the others).
set(_scnet_deb_doc "${PROJECT_BINARY_DIR}/packaging/deb-doc")
add_custom_command(OUTPUT "${_scnet_deb_doc}/copyright" "${_scnet_deb_doc}/changelog.Debian.gz"
  COMMAND ${CMAKE_COMMAND} -DLICENSE=${PROJECT_SOURCE_DIR}/LICENSE -DOUT_DIR=${_scnet_deb_doc}
          -DPACKAGE=${CPACK_DEBIAN_PACKAGE_NAME} -DVERSION=${PROJECT_VERSION}
          -DRELEASE=${CPACK_DEBIAN_PACKAGE_RELEASE} -DCONTACT=${SCNET_PACKAGE_CONTACT}
          -P ${PROJECT_SOURCE_DIR}/cmake/deb-doc.cmake
  DEPENDS "${PROJECT_SOURCE_DIR}/LICENSE" "${PROJECT_SOURCE_DIR}/cmake/deb-doc.cmake"
  COMMENT "Debian copyright and changelog.Debian.gz"
  VERBATIM)
add_custom_target(scnet_deb_doc ALL DEPENDS "${_scnet_deb_doc}/copyright")
install(FILES "${_scnet_deb_doc}/copyright" "${_scnet_deb_doc}/changelog.Debian.gz"
        DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/${CPACK_DEBIAN_PACKAGE_NAME}"
        COMPONENT deb_doc EXCLUDE_FROM_ALL
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# The cron example too: Debian's examples/ is under the package's own doc folder.
install(FILES "${PROJECT_SOURCE_DIR}/packaging/cron/pam-scnet-quota-refresh"
        DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/${CPACK_DEBIAN_PACKAGE_NAME}/examples"
        COMPONENT deb_doc EXCLUDE_FROM_ALL
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# Debian's tcsh and csh read /etc/csh.login, which sources every file of /etc/csh/login.d/
# (not /etc/profile.d/*.csh, as RHEL's does): the .deb links the csh gate there, relative
# (Debian's rule for links within /etc), so tcsh logins pass the gate too. A link made here
# and installed as one; dpkg removes it with the package.
set(_scnet_csh_link "${PROJECT_BINARY_DIR}/packaging/deb-csh/scnet-quota.csh")
file(RELATIVE_PATH _scnet_csh_target /etc/csh/login.d "${SCNET_PROFILE_DIR}/scnet-quota.csh")
file(MAKE_DIRECTORY "${PROJECT_BINARY_DIR}/packaging/deb-csh")
file(REMOVE "${_scnet_csh_link}")
file(CREATE_LINK "${_scnet_csh_target}" "${_scnet_csh_link}" SYMBOLIC)
install(FILES "${_scnet_csh_link}" DESTINATION /etc/csh/login.d COMPONENT deb_doc EXCLUDE_FROM_ALL)
set(CPACK_PROJECT_CONFIG_FILE "${PROJECT_SOURCE_DIR}/cmake/cpack-per-generator.cmake")
# CPack passes on only CPACK_* variables. The prefix: the .deb refuses any but /usr.
set(CPACK_SCNET_BINARY_DIR "${PROJECT_BINARY_DIR}")
set(CPACK_SCNET_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")

include(CPack)
