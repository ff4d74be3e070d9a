#pragma once
// Engine-internal helpers for recognising image files from their bytes.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dermreader::engine::detail {

using Bytes = std::vector<std::uint8_t>;
enum class Format { Unknown, Jpeg, Png, Tiff, Bmp, WebP, Dicom };
struct Size {
    std::uint32_t width, height;
};

Bytes readFileBytes(const std::filesystem::path& path);
Format detectFormat(const Bytes& bytes);
std::string formatName(Format format);
// Width and height from the header (not for DICOM); nullopt when the header is unreadable.
std::optional<Size> headerSize(Format format, const Bytes& bytes);
// False for JPEGs without an end-of-image marker and PNGs without IEND: truncated files,
// which decoders would otherwise fill with grey.
bool looksComplete(Format format, const Bytes& bytes);

}  // namespace dermreader::engine::detail
