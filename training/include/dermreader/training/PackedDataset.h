#pragma once
// A packed dataset: every image decoded once, shrunk to at most `maxSide` pixels, and stored
// raw (8-bit RGB) in one memory-mapped file with a JSON index, so that an epoch never decodes
// a JPEG. Reading needs only the C++ library, so a GPU server without OpenCV trains from packs
// made elsewhere. Writing decodes images and needs the full build.
//
// Layout: "DRPACK1\n", raw pixels, JSON index, index length (u64 little-endian), "DRPKEND\n".

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dermreader/engine/Image.h"
#include "dermreader/engine/MappedFile.h"
#include "dermreader/training/Dataset.h"

namespace dermreader::training {

class PackError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct PackedEntry {
    std::string imageId, nodeId, label, group, source;
    bool validation = false;  // packed as validation data (never trained on)
    Modality modality = Modality::Unknown;
    std::optional<bool> biopsyProven;
    int width = 0, height = 0;
    std::uint64_t offset = 0;  // into the pixel section
};

class PackedDataset {
  public:
    static PackedDataset open(const std::filesystem::path& path);
    PackedDataset(PackedDataset&&) noexcept = default;
    PackedDataset& operator=(PackedDataset&&) noexcept = default;

    std::size_t size() const { return entries_.size(); }
    const PackedEntry& entry(std::size_t i) const { return entries_.at(i); }
    const std::vector<PackedEntry>& entries() const { return entries_; }
    const std::uint8_t* pixels(std::size_t i) const { return data_ + entries_.at(i).offset; }
    engine::RgbImage image(std::size_t i) const;
    const std::string& taxonomyDigest() const { return taxonomyDigest_; }
    int maxSide() const { return maxSide_; }
    const std::filesystem::path& path() const { return path_; }

    // The entries as labelled images (nodes resolved by id); throws PackError for ids the
    // taxonomy lacks, or if the pack was made with another taxonomy.
    std::vector<LabelledImage> labelledImages(const taxonomy::Taxonomy& taxonomy) const;

  private:
    PackedDataset() = default;

    std::filesystem::path path_;
    engine::MappedFile mapped_;
    const std::uint8_t* data_ = nullptr;
    std::vector<PackedEntry> entries_;
    std::string taxonomyDigest_;
    int maxSide_ = 0;
};

using ImageDecoder = std::function<engine::RgbImage(const std::filesystem::path&)>;
using PackProgress = std::function<void(std::size_t done, std::size_t total)>;

// Decodes every image with `decode`, shrinks it to at most `maxSide` (area-averaged, aspect
// kept) and writes the pack atomically. Images that fail to decode are listed in the thrown
// PackError (all of them) and nothing is written.
// `validation[i]` marks image i as validation data (may be empty: none).
void writePackedDataset(const std::vector<LabelledImage>& images,
                        const taxonomy::Taxonomy& taxonomy, const std::filesystem::path& path,
                        int maxSide, const ImageDecoder& decode, const PackProgress& progress = {},
                        const std::vector<bool>& validation = {});

}  // namespace dermreader::training
