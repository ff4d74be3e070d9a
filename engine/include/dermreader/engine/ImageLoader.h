#pragma once
// Reading image files: JPEG, PNG (8/16 bit), TIFF, BMP and WebP through OpenCV (EXIF
// orientation honoured, grey and alpha handled) and DICOM through DCMTK (VL photographic,
// dermoscopic photography, secondary capture; uncompressed, RLE and JPEG). Oversized, empty,
// truncated, corrupt and non-image files are refused with an ImageError naming the file.
// Not available in the LibTorch-only build.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/engine/Image.h"

namespace dermreader::engine {

struct ImageLoadOptions {
    // Refused before decoding: protects against decompression bombs.
    std::int64_t maxPixels = 100'000'000;
    std::uintmax_t maxFileBytes = 1ull << 30;
};

LoadedImage loadImage(const std::filesystem::path& path, const ImageLoadOptions& options = {});

// Writes PNG, JPEG, TIFF, BMP or WebP by the file's extension; throws ImageError.
void saveImage(const RgbImage& image, const std::filesystem::path& path);

struct ImageHeader {
    std::string format;
    int width = 0, height = 0;  // as stored (before EXIF orientation); 0 when unreadable
    ImageModality modality = ImageModality::Unknown;  // known for DICOM only
    std::map<std::string, std::string> tags;          // DICOM attributes, as in ImageInfo
};
// Format, size and (DICOM) attributes without decoding the pixels; nullopt if the file is
// not a supported image. A file loadImage would refuse before decoding (a DICOM that cannot be
// parsed, a corrupt header, truncated JPEG/PNG data) throws ImageError naming the problem.
std::optional<ImageHeader> peekImageHeader(const std::filesystem::path& path);

// True for the file extensions the loader reads (.jpg, .png, .dcm, ...; any case).
bool hasImageExtension(const std::filesystem::path& path);

// The image files (by extension) in `folder` and below, as absolute normalised paths in
// byte order of their text (the order a database sorts them in). Unreadable subfolders are
// skipped.
std::vector<std::filesystem::path> listImageFiles(const std::filesystem::path& folder);

}  // namespace dermreader::engine
