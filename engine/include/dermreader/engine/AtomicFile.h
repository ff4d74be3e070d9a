#pragma once
// Small files written whole or not at all: through `<file>.partial`, fsync'ed, then renamed
// over the file and the folder fsync'ed, so a crash, a power cut or a full disk never leaves a
// half-written manifest, state or export.

#include <filesystem>
#include <string_view>

namespace dermreader::engine {

// OwnerOnly (0600) for what holds truth, decisions or patient data (study exports, the audit
// log); Shared (0644) for model bundles and plots.
enum class FileAccess { Shared, OwnerOnly };

// Throws std::runtime_error naming the file when it cannot be written.
void writeFileAtomically(const std::filesystem::path& file, std::string_view content,
                         FileAccess access = FileAccess::Shared);

}  // namespace dermreader::engine
