# Run by the `dist` target (cmake/dist.cmake) as `cmake -P`, with GIT, SOURCE_DIR, PREFIX
# and OUTPUT set. Archives the files git tracks, as they are in the work tree: committed
# state, or, when tracked files have uncommitted changes, a snapshot commit of them made with
# `git stash create` (which touches neither the work tree, the index nor the stash list).
# Untracked files are never in the tarball. (No `git -C`: git 1.8.3 of CentOS 7 lacks it.) gzip output from git carries no timestamp.

foreach(_var GIT SOURCE_DIR PREFIX OUTPUT)
  if(NOT ${_var})
    message(FATAL_ERROR "dist-archive: ${_var} is not set")
  endif()
endforeach()

execute_process(COMMAND "${GIT}" rev-parse --verify HEAD
                WORKING_DIRECTORY "${SOURCE_DIR}"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _head ERROR_VARIABLE _err
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "dist: ${SOURCE_DIR} is not a git work tree with a commit (git: ${_err}); "
          "the tarball is made with `git archive`")
endif()

execute_process(COMMAND "${GIT}" stash create
                WORKING_DIRECTORY "${SOURCE_DIR}"
                RESULT_VARIABLE _rc OUTPUT_VARIABLE _snapshot ERROR_VARIABLE _err
                OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "dist: git stash create failed: ${_err}")
endif()
if(_snapshot)
  set(_commit "${_snapshot}")
  message(WARNING "dist: tracked files have uncommitted changes; they are in the tarball "
          "(a release tarball should come from a clean commit)")
else()
  set(_commit "${_head}")
endif()

execute_process(COMMAND "${GIT}" archive --format=tar.gz "--prefix=${PREFIX}/"
                        -o "${OUTPUT}" "${_commit}"
                WORKING_DIRECTORY "${SOURCE_DIR}"
                RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  file(REMOVE "${OUTPUT}")
  message(FATAL_ERROR "dist: git archive failed: ${_err}")
endif()
message(STATUS "dist: ${OUTPUT} (from ${_commit})")
