#include "dermreader/engine/AtomicFile.h"

#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace dermreader::engine {

void writeFileAtomically(const std::filesystem::path& file, std::string_view content) {
    const std::filesystem::path partial = file.string() + ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        out.write(content.data(), static_cast<std::streamsize>(content.size()));
        if (!out.flush())
            throw std::runtime_error("cannot write '" + partial.string() + "'");
    }
    std::error_code error;
    std::filesystem::rename(partial, file, error);
    if (error)
        throw std::runtime_error("cannot write '" + file.string() + "': " + error.message());
}

}  // namespace dermreader::engine
