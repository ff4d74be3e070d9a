#pragma once
// SHA-256 of a file, hex. Through libsodium; a build without it (the LibTorch-only GPU build)
// returns nothing, and checks that need the digest are skipped there.

#include <filesystem>
#include <optional>
#include <string>

namespace dermreader::engine {

// Throws std::runtime_error naming the file when it cannot be read.
std::optional<std::string> fileSha256(const std::filesystem::path& file);

}  // namespace dermreader::engine
