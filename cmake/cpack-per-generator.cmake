# CPACK_PROJECT_CONFIG_FILE (cmake/packaging.cmake): read by cpack once per generator, with
# CPACK_GENERATOR set to that one. It picks the install components each package gets:
# everything installed without a COMPONENT ("Unspecified"), plus the documents of that
# package's convention: the .deb share/doc/libpam-scnet-quota/{copyright,changelog.Debian.gz,
# examples/} and the link /etc/csh/login.d/scnet-quota.csh to the csh gate (component
# deb_doc, left out of a plain `cmake --install`), every other package
# share/doc/pam_scnet_quota/{LICENSE,examples/} (component doc). (CPack 3.16 has no
# pre-build hook.)
#
# The helper's path is compiled into the module (SCNET_HELPER_DIR, from the build's
# CMAKE_INSTALL_PREFIX), so a .deb, whose files CPack puts under /usr, is only right from a
# build configured with -DCMAKE_INSTALL_PREFIX=/usr: any other prefix is refused here.

if(CPACK_GENERATOR STREQUAL "DEB")
  if(NOT CPACK_SCNET_INSTALL_PREFIX STREQUAL CPACK_PACKAGING_INSTALL_PREFIX)
    message(FATAL_ERROR "The .deb needs a build configured with "
            "-DCMAKE_INSTALL_PREFIX=${CPACK_PACKAGING_INSTALL_PREFIX} (this one has "
            "'${CPACK_SCNET_INSTALL_PREFIX}', compiled into the module as the helper's "
            "path): cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr")
  endif()
  set(_doc deb_doc)
else()
  set(_doc doc)
endif()
set(CPACK_INSTALL_CMAKE_PROJECTS
    "${CPACK_SCNET_BINARY_DIR};pam_scnet_quota;Unspecified;/"
    "${CPACK_SCNET_BINARY_DIR};pam_scnet_quota;${_doc};/")
