#pragma once
// Small files written whole or not at all: through `<file>.partial`, then renamed over the
// file, so a crash or a full disk never leaves a half-written manifest, state or export.

#include <filesystem>
#include <string_view>

namespace dermreader::engine {

// Throws std::runtime_error naming the file when it cannot be written.
void writeFileAtomically(const std::filesystem::path& file, std::string_view content);

}  // namespace dermreader::engine
