#pragma once
// DICOM images through DCMTK (engine-internal).

#include <cstdint>
#include <filesystem>

#include "ImageFormats.h"
#include "dermreader/engine/Image.h"
#include "dermreader/engine/ImageLoader.h"

namespace dermreader::engine::detail {

// VL Photographic, Dermoscopic Photography and Secondary Capture images; uncompressed, RLE
// and JPEG transfer syntaxes; RGB, YBR and monochrome. Throws ImageError naming the file.
// `bytes` is the file as the caller read it: its structure is checked before DCMTK parses.
LoadedImage readDicom(const std::filesystem::path& path, const Bytes& bytes,
                      std::int64_t maxPixels);
// Refuses what DCMTK must not parse (sequences nested too deep). Throws ImageError.
void refuseUnsafeDicom(const std::filesystem::path& path, const Bytes& bytes);
// Size, modality and attributes without decoding the pixel data. Throws ImageError.
ImageHeader readDicomHeader(const std::filesystem::path& path, const Bytes& bytes);

}  // namespace dermreader::engine::detail
