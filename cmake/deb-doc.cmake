# Debian keeps a package's documents in /usr/share/doc/<package>/ and its licence as a
# machine-readable `copyright` file there. This makes that file from LICENSE, and
# changelog.Debian.gz, into OUT_DIR; cmake/packaging.cmake runs it at build time and installs
# the two files in the .deb only (the .rpm keeps share/doc/pam_scnet_quota/LICENSE).
#
#   cmake -DLICENSE=... -DOUT_DIR=... -DPACKAGE=... -DVERSION=... -DRELEASE=... -DCONTACT=...
#         -P cmake/deb-doc.cmake

foreach(_var LICENSE OUT_DIR PACKAGE VERSION RELEASE CONTACT)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "deb-doc: -D${_var}=... is missing")
  endif()
endforeach()

# LICENSE: "MIT License", "", "Copyright (c) YEAR HOLDER", "", then the permission text.
file(STRINGS "${LICENSE}" _lines)
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
  message(FATAL_ERROR "deb-doc: no 'Copyright (c) ...' line and text in ${LICENSE}")
endif()

file(MAKE_DIRECTORY "${OUT_DIR}")
file(WRITE "${OUT_DIR}/copyright"
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: pam_scnet_quota
Upstream-Contact: ${CONTACT}

Files: *
Copyright: ${_copyright}
License: Expat

License: Expat
${_body}")

# The changelog's date honours SOURCE_DATE_EPOCH (string(TIMESTAMP) reads it); gzip -n
# leaves name and time out, so the same sources and epoch give the same bytes.
string(TIMESTAMP _date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE "${OUT_DIR}/changelog.Debian"
"${PACKAGE} (${VERSION}-${RELEASE}) unstable; urgency=medium

  * Built with CPack from pam_scnet_quota ${VERSION}.

 -- ${CONTACT}  ${_date}
")
execute_process(COMMAND gzip -9nf "${OUT_DIR}/changelog.Debian" RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "deb-doc: gzip ${OUT_DIR}/changelog.Debian failed (${_rc})")
endif()
