#include "dermreader/engine/FileDigest.h"

#include <fstream>
#include <stdexcept>
#include <vector>

#ifdef DERMREADER_HAVE_SODIUM
#include <sodium.h>
#endif

namespace dermreader::engine {

std::optional<std::string> fileSha256(const std::filesystem::path& file) {
#ifdef DERMREADER_HAVE_SODIUM
    if (sodium_init() < 0)
        throw std::runtime_error("libsodium cannot be initialised");
    if (!std::filesystem::is_regular_file(file))
        throw std::runtime_error("'" + file.string() + "' is not a regular file");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw std::runtime_error("'" + file.string() + "' cannot be read");
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::vector<char> buffer(1 << 20);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        if (in.gcount() > 0)
            crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(buffer.data()),
                                      static_cast<unsigned long long>(in.gcount()));
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state, digest);
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return std::string(hex);
#else
    (void)file;
    return std::nullopt;
#endif
}

}  // namespace dermreader::engine
