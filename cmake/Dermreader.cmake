# Shared helpers for dermreader's CMake files.

# Warnings for our own targets only; errors with DERMREADER_WERROR (CI turns it on).
function(dermreader_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wold-style-cast -Wcast-align -Woverloaded-virtual)
  if(DERMREADER_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# nlohmann/json and CLI11 come from Debian packages; on machines without them, point
# DERMREADER_THIRD_PARTY_INCLUDE at a folder holding their headers.
function(dermreader_find_header_only_deps)
  find_package(nlohmann_json 3.10 QUIET)
  find_package(CLI11 QUIET)
  add_library(dermreader_third_party INTERFACE)
  if(nlohmann_json_FOUND)
    target_link_libraries(dermreader_third_party INTERFACE nlohmann_json::nlohmann_json)
  endif()
  if(CLI11_FOUND)
    target_link_libraries(dermreader_third_party INTERFACE CLI11::CLI11)
  endif()
  if(NOT (nlohmann_json_FOUND AND CLI11_FOUND))
    if(NOT DERMREADER_THIRD_PARTY_INCLUDE)
      message(FATAL_ERROR "nlohmann_json or CLI11 not found: install them "
                          "(packaging/setup-debian.sh) or set DERMREADER_THIRD_PARTY_INCLUDE")
    endif()
    target_include_directories(dermreader_third_party SYSTEM INTERFACE
                               ${DERMREADER_THIRD_PARTY_INCLUDE})
  endif()
endfunction()

# Turns a text file into a C++ source defining `std::string_view <symbol>()` so a resource
# travels inside the binary. Regenerated whenever the file changes.
function(dermreader_embed_text_file input namespace symbol output)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${input} -DOUTPUT=${output} -DNAMESPACE=${namespace}
            -DSYMBOL=${symbol} -P ${PROJECT_SOURCE_DIR}/cmake/EmbedTextFile.cmake
    DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/EmbedTextFile.cmake
    COMMENT "Embedding ${input}"
    VERBATIM)
endfunction()
