# CPack: a .deb (Debian/Ubuntu login nodes) and an .rpm (RHEL/Rocky), from the install rules
# of cmake/install.cmake.
#
#   cmake --build BUILD --target package        or        cd BUILD && cpack
#   cpack --config BUILD/CPackConfig.cmake -G DEB -B OUT_DIR      (what tests/package does)
#
# Names: libpam-scnet-quota (Debian's convention for PAM modules) and pam_scnet_quota (RPM).
# The module dlopen()s libcurl.so.4 at the first request, so no tool can see that
# dependency: it is declared by hand in both packages.
#
# A package is built for the distribution it is built on: the PAM directory and the
# shared-library versions come from the build host. Build the .rpm on RHEL/Rocky (where
# SCNET_PAM_MODULE_DIR is detected as /usr/lib64/security); the .rpm built on Debian is for
# checking the spec (tests/package/test-deb.sh does), not for RHEL hosts.

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
pages and /etc/security/pam_scnet_quota.conf.example. Nothing is enabled:
copy the example to /etc/security/pam_scnet_quota.conf, set url and the
token, and add the module to the session stack of a service in /etc/pam.d.")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# A PAM module and a command: no debug info (and with it no build paths) in the packages.
set(CPACK_STRIP_FILES ON)

# Generators that can run here: RPM needs rpmbuild (Debian: apt-get install rpm). Override
# with -D CPACK_GENERATOR=... or `cpack -G`.
if(NOT CPACK_GENERATOR)
  find_program(SCNET_RPMBUILD rpmbuild)
  set(CPACK_GENERATOR DEB)
  if(SCNET_RPMBUILD)
    list(APPEND CPACK_GENERATOR RPM)
  else()
    message(STATUS "rpmbuild not found: `cpack` builds the .deb only (apt-get install rpm)")
  endif()
endif()

set(_scnet_packaging "${PROJECT_SOURCE_DIR}/packaging")
set(_scnet_example "${SCNET_SECURITY_DIR}/pam_scnet_quota.conf.example")

# ---- .deb ------------------------------------------------------------------------------
set(CPACK_DEBIAN_PACKAGE_NAME libpam-scnet-quota)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # libpam-scnet-quota_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# libc6, libpam0g and libcjson1, with versions, from dpkg-shlibdeps (appended by CPack);
# libcurl4 by hand, since it is dlopen'ed (Ubuntu 24.04's libcurl4t64 provides libcurl4).
# Without dpkg-shlibdeps (a build on RHEL), the linked libraries are named by hand.
find_program(SCNET_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(SCNET_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libcurl4")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6, libpam0g, libcjson1, libcurl4")
endif()
# libcurl verifies the API's certificate against the system store unless cafile is set.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS ca-certificates)
# The example is a conffile under its own name: dpkg keeps an admin's edits to it, and it
# never touches /etc/security/pam_scnet_quota.conf, which no package ships.
set(_scnet_deb_control "${PROJECT_BINARY_DIR}/packaging/deb")
file(MAKE_DIRECTORY "${_scnet_deb_control}")
file(WRITE "${_scnet_deb_control}/conffiles" "${_scnet_example}\n")
configure_file("${_scnet_packaging}/deb/prerm" "${_scnet_deb_control}/prerm" COPYONLY)
configure_file("${_scnet_packaging}/deb/postrm" "${_scnet_deb_control}/postrm" COPYONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${_scnet_deb_control}/conffiles;${_scnet_deb_control}/prerm;${_scnet_deb_control}/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Debian wants /usr/share/doc/<package>/copyright: made from LICENSE at packaging time.
set(CPACK_PRE_BUILD_SCRIPTS "${PROJECT_SOURCE_DIR}/cmake/packaging-prebuild.cmake")
# CPack passes on only CPACK_* variables: these two are read by packaging-prebuild.cmake.
set(CPACK_SCNET_DOC_SUBDIR "${CMAKE_INSTALL_DOCDIR}")
set(CPACK_SCNET_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")

# ---- .rpm ------------------------------------------------------------------------------
set(CPACK_RPM_PACKAGE_NAME pam_scnet_quota)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT) # pam_scnet_quota-<version>-<release><dist>.<arch>.rpm
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_RELEASE_DIST ON) # .el9 on RHEL 9; nothing on Debian
set(CPACK_RPM_PACKAGE_LICENSE MIT)
set(CPACK_RPM_PACKAGE_GROUP "System Environment/Base")
set(CPACK_RPM_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
# rpm's automatic requires add libpam.so.0 and libcjson.so.1 from the ELF files; the
# package names are listed too, and libcurl by hand (dlopen'ed).
set(CPACK_RPM_PACKAGE_REQUIRES "pam, cjson, libcurl")
# Absolute paths (the PAM directory, /etc/security): not relocatable.
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_RPM_PACKAGE_RELOCATABLE OFF)
# The example is %config(noreplace): an edited copy is kept (the new one goes to .rpmnew).
# CPack marks every file with an absolute destination %config; the module is listed here
# to be a plain file, which rpm replaces on upgrade.
set(CPACK_RPM_USER_FILELIST "%config(noreplace) ${_scnet_example}"
    "%attr(0644,root,root) ${SCNET_PAM_MODULE_DIR}/pam_scnet_quota.so")
# Instead of CPack's placeholder entry (2010, its author): one entry for this build.
string(TIMESTAMP _scnet_rpm_date "%a %b %d %Y" UTC)
file(WRITE "${PROJECT_BINARY_DIR}/packaging/rpm-changelog"
     "* ${_scnet_rpm_date} ${SCNET_PACKAGE_CONTACT} - ${PROJECT_VERSION}-${CPACK_RPM_PACKAGE_RELEASE}\n- Built with CPack from pam_scnet_quota ${PROJECT_VERSION}.\n")
set(CPACK_RPM_CHANGELOG_FILE "${PROJECT_BINARY_DIR}/packaging/rpm-changelog")
set(CPACK_RPM_PRE_UNINSTALL_SCRIPT_FILE "${_scnet_packaging}/rpm/preun")
set(CPACK_RPM_POST_UNINSTALL_SCRIPT_FILE "${_scnet_packaging}/rpm/postun")
# Directories the system's packages (filesystem, pam, man-db) own: never claimed by ours.
set(_scnet_mandir "${CPACK_PACKAGING_INSTALL_PREFIX}/${CMAKE_INSTALL_MANDIR}")
set(_scnet_system_dirs /etc/security "${_scnet_mandir}")
foreach(_section 1 5 8)
  list(APPEND _scnet_system_dirs "${_scnet_mandir}/man${_section}")
endforeach()
set(_dir "${SCNET_PAM_MODULE_DIR}")
while(NOT _dir STREQUAL "/" AND NOT _dir STREQUAL "")
  list(APPEND _scnet_system_dirs "${_dir}")
  get_filename_component(_dir "${_dir}" DIRECTORY)
endwhile()
set(CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION ${_scnet_system_dirs})

include(CPack)
