// Reading an image's size from its header, before any decoder allocates pixels.
#include <algorithm>
#include <fstream>
#include <vector>

#include "ImageFormats.h"

namespace dermreader::engine::detail {
namespace {

std::uint32_t be16(const std::uint8_t* p) {
    return (p[0] << 8) | p[1];
}
std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           p[3];
}
std::uint32_t le16(const std::uint8_t* p) {
    return p[0] | (p[1] << 8);
}
std::uint32_t le32(const std::uint8_t* p) {
    return p[0] | (p[1] << 8) | (p[2] << 16) | (std::uint32_t{p[3]} << 24);
}

bool startsWith(const Bytes& b, std::initializer_list<std::uint8_t> magic, std::size_t at = 0) {
    if (b.size() < at + magic.size())
        return false;
    return std::equal(magic.begin(), magic.end(), b.begin() + static_cast<long>(at));
}

std::optional<Size> pngSize(const Bytes& b) {
    if (b.size() < 24 || !startsWith(b, {'I', 'H', 'D', 'R'}, 12))
        return std::nullopt;
    return Size{be32(&b[16]), be32(&b[20])};
}

std::optional<Size> jpegSize(const Bytes& b) {
    std::size_t i = 2;
    while (i + 9 < b.size()) {
        if (b[i] != 0xFF)
            return std::nullopt;
        const std::uint8_t marker = b[i + 1];
        if (marker == 0xFF) {  // fill byte
            ++i;
            continue;
        }
        const bool startOfFrame =
            marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
        if (startOfFrame)
            return Size{be16(&b[i + 7]), be16(&b[i + 5])};
        if (marker == 0xD9 || marker == 0xDA)
            return std::nullopt;  // no frame before the scan
        i += 2 + be16(&b[i + 2]);
    }
    return std::nullopt;
}

std::optional<Size> bmpSize(const Bytes& b) {
    if (b.size() < 26)
        return std::nullopt;
    const auto width = static_cast<std::int32_t>(le32(&b[18]));
    const auto height = static_cast<std::int32_t>(le32(&b[22]));
    if (width <= 0 || height == 0 || height == INT32_MIN)
        return std::nullopt;
    // In 64 bits: negating INT32_MIN (a top-down BMP's height) overflows 32.
    const std::int64_t rows = height < 0 ? -std::int64_t{height} : std::int64_t{height};
    return Size{static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(rows)};
}

std::optional<Size> webpSize(const Bytes& b) {
    if (b.size() < 30)
        return std::nullopt;
    if (startsWith(b, {'V', 'P', '8', ' '}, 12))
        return Size{le16(&b[26]) & 0x3FFF, le16(&b[28]) & 0x3FFF};
    if (startsWith(b, {'V', 'P', '8', 'L'}, 12)) {
        const std::uint32_t bits = le32(&b[21]);
        return Size{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
    }
    if (startsWith(b, {'V', 'P', '8', 'X'}, 12)) {
        return Size{(b[24] | (b[25] << 8) | (b[26] << 16)) + 1u,
                    (b[27] | (b[28] << 8) | (b[29] << 16)) + 1u};
    }
    return std::nullopt;
}

std::optional<Size> tiffSize(const Bytes& b) {
    if (b.size() < 8)
        return std::nullopt;
    const bool little = b[0] == 'I';
    auto u16 = [&](std::size_t at) { return little ? le16(&b[at]) : be16(&b[at]); };
    auto u32 = [&](std::size_t at) { return little ? le32(&b[at]) : be32(&b[at]); };
    const std::size_t ifd = u32(4);
    if (ifd + 2 > b.size())
        return std::nullopt;
    const std::size_t entries = u16(ifd);
    Size size{0, 0};
    for (std::size_t e = 0; e < entries; ++e) {
        const std::size_t at = ifd + 2 + 12 * e;
        if (at + 12 > b.size())
            return std::nullopt;
        const std::uint32_t tag = u16(at), type = u16(at + 2);
        const std::uint32_t value = type == 3 ? u16(at + 8) : u32(at + 8);
        if (tag == 256)
            size.width = value;
        if (tag == 257)
            size.height = value;
    }
    if (size.width == 0 || size.height == 0)
        return std::nullopt;
    return size;
}

}  // namespace

Bytes readFileBytes(const std::filesystem::path& path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        return {};  // a FIFO would block the read for ever; callers report "not an image"
    std::ifstream in(path, std::ios::binary);
    Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return bytes;
}

Format detectFormat(const Bytes& b) {
    if (startsWith(b, {0xFF, 0xD8, 0xFF}))
        return Format::Jpeg;
    if (startsWith(b, {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}))
        return Format::Png;
    if (startsWith(b, {'I', 'I', 42, 0}) || startsWith(b, {'M', 'M', 0, 42}))
        return Format::Tiff;
    if (startsWith(b, {'B', 'M'}))
        return Format::Bmp;
    if (startsWith(b, {'R', 'I', 'F', 'F'}) && startsWith(b, {'W', 'E', 'B', 'P'}, 8))
        return Format::WebP;
    if (startsWith(b, {'D', 'I', 'C', 'M'}, 128))
        return Format::Dicom;
    return Format::Unknown;
}

std::string formatName(Format format) {
    switch (format) {
        case Format::Jpeg:
            return "JPEG";
        case Format::Png:
            return "PNG";
        case Format::Tiff:
            return "TIFF";
        case Format::Bmp:
            return "BMP";
        case Format::WebP:
            return "WebP";
        case Format::Dicom:
            return "DICOM";
        default:
            return "unknown";
    }
}

std::optional<Size> headerSize(Format format, const Bytes& b) {
    switch (format) {
        case Format::Jpeg:
            return jpegSize(b);
        case Format::Png:
            return pngSize(b);
        case Format::Tiff:
            return tiffSize(b);
        case Format::Bmp:
            return bmpSize(b);
        case Format::WebP:
            return webpSize(b);
        default:
            return std::nullopt;
    }
}

bool looksComplete(Format format, const Bytes& b) {
    const std::size_t tail = std::min<std::size_t>(b.size(), 4096);
    const auto begin = b.end() - static_cast<long>(tail);
    if (format == Format::Jpeg) {
        for (auto it = begin; it + 1 < b.end(); ++it) {
            if (*it == 0xFF && *(it + 1) == 0xD9)
                return true;
        }
        return false;
    }
    if (format == Format::Png) {
        static const std::uint8_t iend[] = {'I', 'E', 'N', 'D'};
        return std::search(begin, b.end(), std::begin(iend), std::end(iend)) != b.end();
    }
    return true;
}

}  // namespace dermreader::engine::detail
