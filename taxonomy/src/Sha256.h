#pragma once
// SHA-256 (FIPS 180-4). Hand-written because the LibTorch-only build (GPU servers) may have
// no crypto library; tested against the NIST vectors in tests/taxonomy.

#include <string>
#include <string_view>

namespace dermreader::taxonomy::detail {

std::string sha256Hex(std::string_view data);

}  // namespace dermreader::taxonomy::detail
