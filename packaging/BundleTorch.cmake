# Install step (packaging/CMakeLists.txt): copies the LibTorch and CUDA libraries the programs
# load from PyTorch's wheel environment into ${DERMREADER_BUNDLE_DIR}.
file(GET_RUNTIME_DEPENDENCIES
     EXECUTABLES ${DERMREADER_PROGRAMS}
     RESOLVED_DEPENDENCIES_VAR resolved
     UNRESOLVED_DEPENDENCIES_VAR unresolved
     POST_INCLUDE_REGEXES "^${DERMREADER_WHEEL_SITE}/"
     POST_EXCLUDE_REGEXES ".*")
list(FILTER unresolved EXCLUDE REGEX "^libcuda\\.so")  # the GPU driver's, on machines with one
if(unresolved)
  message(FATAL_ERROR "libraries the programs need were not found: ${unresolved}")
endif()
list(APPEND resolved ${DERMREADER_DLOPENED})
list(REMOVE_DUPLICATES resolved)
# file(INSTALL) adds $DESTDIR itself.
set(destination "${CMAKE_INSTALL_PREFIX}/${DERMREADER_BUNDLE_DIR}")
file(INSTALL ${resolved} DESTINATION "${destination}" FOLLOW_SYMLINK_CHAIN)
list(LENGTH resolved count)
message(STATUS "Bundled ${count} LibTorch/CUDA libraries into ${destination}")
