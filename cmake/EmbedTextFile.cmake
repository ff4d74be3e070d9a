# cmake -DINPUT=file -DOUTPUT=file.cpp -DNAMESPACE=ns -DSYMBOL=name -P EmbedTextFile.cmake
file(READ "${INPUT}" content HEX)
string(LENGTH "${content}" hex_length)
math(EXPR byte_count "${hex_length} / 2")
# One byte per array element keeps any content (quotes, backslashes, `)"`) intact.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${content}")
string(REGEX REPLACE "(([^,]*,){24})" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUTPUT}"
"// Generated from ${INPUT}; do not edit.\n#include <string_view>\n\nnamespace ${NAMESPACE} {\nnamespace {\nconstexpr char kData[] = {\n    ${bytes}'\\0'};\n}  // namespace\n\nstd::string_view ${SYMBOL}() { return {kData, ${byte_count}}; }\n\n}  // namespace ${NAMESPACE}\n")
