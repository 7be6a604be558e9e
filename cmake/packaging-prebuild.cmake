# Run by cpack (CPACK_PRE_BUILD_SCRIPTS, set in cmake/packaging.cmake) after the files are
# staged and before each package is made. For the .deb only: Debian keeps a package's
# documents in /usr/share/doc/<package>/ and its licence as a machine-readable
# `copyright` file there, so share/doc/pam_scnet_quota/LICENSE becomes
# share/doc/libpam-scnet-quota/copyright, made from LICENSE. The .rpm keeps LICENSE in
# share/doc/pam_scnet_quota/, its own name.

if(NOT CPACK_GENERATOR STREQUAL "DEB")
  return()
endif()

set(_root "${CPACK_TEMPORARY_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}")
set(_from "${_root}/${CPACK_SCNET_DOC_SUBDIR}")
get_filename_component(_docs "${_from}" DIRECTORY)
set(_to "${_docs}/${CPACK_DEBIAN_PACKAGE_NAME}")
if(NOT EXISTS "${_from}/LICENSE")
  message(FATAL_ERROR "packaging-prebuild: ${_from}/LICENSE was not staged")
endif()

# LICENSE: "MIT License", "", "Copyright (c) YEAR HOLDER", "", then the permission text.
file(STRINGS "${CPACK_SCNET_LICENSE}" _lines)
set(_copyright)
set(_body)
set(_in_body FALSE)
foreach(_line IN LISTS _lines)
  if(_line MATCHES "^Copyright \\(c\\) (.+)$")
    set(_copyright "${CMAKE_MATCH_1}")
    set(_in_body TRUE)
  elseif(_in_body)
    if(_line STREQUAL "")
      if(_body) # blank lines inside the text are " ." in a copyright file
        string(APPEND _body " .\n")
      endif()
    else()
      string(APPEND _body " ${_line}\n")
    endif()
  endif()
endforeach()
if(NOT _copyright OR NOT _body)
  message(FATAL_ERROR "packaging-prebuild: no 'Copyright (c) ...' line and text in ${CPACK_SCNET_LICENSE}")
endif()

file(REMOVE_RECURSE "${_to}")
file(RENAME "${_from}" "${_to}")
file(REMOVE "${_to}/LICENSE")
file(WRITE "${_to}/copyright"
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: pam_scnet_quota
Upstream-Contact: ${CPACK_PACKAGE_CONTACT}

Files: *
Copyright: ${_copyright}
License: Expat

License: Expat
${_body}")
file(CHMOD "${_to}/copyright" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)

# The changelog's date honours SOURCE_DATE_EPOCH (string(TIMESTAMP) reads it); gzip -n
# leaves name and time out, so the same sources and epoch give the same bytes.
string(TIMESTAMP _date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE "${_to}/changelog.Debian"
"${CPACK_DEBIAN_PACKAGE_NAME} (${CPACK_PACKAGE_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}) unstable; urgency=medium

  * Built with CPack from pam_scnet_quota ${CPACK_PACKAGE_VERSION}.

 -- ${CPACK_PACKAGE_CONTACT}  ${_date}
")
execute_process(COMMAND gzip -9nf "${_to}/changelog.Debian" RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "packaging-prebuild: gzip ${_to}/changelog.Debian failed (${_rc})")
endif()
file(CHMOD "${_to}/changelog.Debian.gz" FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
