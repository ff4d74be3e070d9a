#pragma once
// Exports are written through a temporary file and renamed, so a file is complete or absent,
// never half-written (records-internal).

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace dermreader::records::detail {

inline void writeFileAtomically(const std::filesystem::path& file, const std::string& content) {
    const std::filesystem::path partial = file.string() + ".partial";
    {
        std::ofstream out(partial, std::ios::binary | std::ios::trunc);
        out << content;
        if (!out.flush())
            throw std::runtime_error("cannot write '" + partial.string() + "'");
    }
    std::error_code error;
    std::filesystem::rename(partial, file, error);
    if (error)
        throw std::runtime_error("cannot write '" + file.string() + "': " + error.message());
}

}  // namespace dermreader::records::detail
