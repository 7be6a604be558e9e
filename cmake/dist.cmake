# `cmake --build BUILD --target dist`: the source tarball BUILD/pam_scnet_quota-<version>.tar.gz
# (top folder pam_scnet_quota-<version>/), made with `git archive` from the git work tree the
# sources are in. It is what the RPM spec's Source0 names, so
#     rpmbuild -ta BUILD/pam_scnet_quota-<version>.tar.gz
# builds the packages (packaging/rpm/pam_scnet_quota.spec travels inside it).
# tests/package/test-rpm.sh builds it and feeds it to rpmbuild.

find_package(Git QUIET)
if(NOT GIT_EXECUTABLE)
  set(GIT_EXECUTABLE git) # the dist target then says what is missing
endif()
set(SCNET_DIST_NAME "${PROJECT_NAME}-${PROJECT_VERSION}")
add_custom_target(dist
  COMMAND "${CMAKE_COMMAND}" "-DGIT=${GIT_EXECUTABLE}" "-DSOURCE_DIR=${PROJECT_SOURCE_DIR}"
          "-DPREFIX=${SCNET_DIST_NAME}" "-DOUTPUT=${PROJECT_BINARY_DIR}/${SCNET_DIST_NAME}.tar.gz"
          -P "${PROJECT_SOURCE_DIR}/cmake/dist-archive.cmake"
  COMMENT "Source tarball ${SCNET_DIST_NAME}.tar.gz (git archive)"
  VERBATIM)
