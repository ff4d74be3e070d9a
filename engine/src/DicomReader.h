#pragma once
// DICOM images through DCMTK (engine-internal).

#include <cstdint>
#include <filesystem>

#include "dermreader/engine/Image.h"
#include "dermreader/engine/ImageLoader.h"

namespace dermreader::engine::detail {

// VL Photographic, Dermoscopic Photography and Secondary Capture images; uncompressed, RLE
// and JPEG transfer syntaxes; RGB, YBR and monochrome. Throws ImageError naming the file.
LoadedImage readDicom(const std::filesystem::path& path, std::int64_t maxPixels);
// Size, modality and attributes without decoding the pixel data. Throws ImageError.
ImageHeader readDicomHeader(const std::filesystem::path& path);

}  // namespace dermreader::engine::detail
