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

// Decompression bombs inside the pixel limit (issue 14.7): a 97 KB PNG that claims 100
// megapixels costs gigabytes and seconds to decode. Photographs of skin never compress that
// far (JPEG about 0.1-1 byte per pixel, PNG more), so a large image stored in under 0.01 byte
// per pixel is refused before decoding. Small images are exempt: they cost little whatever
// they hold.
inline bool looksLikeDecompressionBomb(std::int64_t width, std::int64_t height,
                                       std::uintmax_t fileSize) {
    constexpr std::int64_t kCheckFromPixels = 16'000'000;
    constexpr double kMinBytesPerPixel = 0.01;
    const std::int64_t pixels = width * height;
    return pixels >= kCheckFromPixels &&
           static_cast<double>(fileSize) / static_cast<double>(pixels) < kMinBytesPerPixel;
}

}  // namespace dermreader::engine::detail
