# CPACK_PROJECT_CONFIG_FILE (cmake/packaging.cmake): read by cpack once per generator, with
# CPACK_GENERATOR set to that one. It picks the install components each package gets:
# everything installed without a COMPONENT ("Unspecified"), plus the documents of that
# package's convention: the .deb share/doc/libpam-scnet-quota/{copyright,changelog.Debian.gz}
# (component deb_doc, left out of a plain `cmake --install`), every other package
# share/doc/pam_scnet_quota/LICENSE (component licence). (CPack 3.16 has no pre-build hook.)

if(CPACK_GENERATOR STREQUAL "DEB")
  set(_doc deb_doc)
else()
  set(_doc licence)
endif()
set(CPACK_INSTALL_CMAKE_PROJECTS
    "${CPACK_SCNET_BINARY_DIR};pam_scnet_quota;Unspecified;/"
    "${CPACK_SCNET_BINARY_DIR};pam_scnet_quota;${_doc};/")
