#include "dermreader/training/PackedDataset.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

namespace dermreader::training {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr char kMagic[8] = {'D', 'R', 'P', 'A', 'C', 'K', '1', '\n'};
constexpr char kEndMagic[8] = {'D', 'R', 'P', 'K', 'E', 'N', 'D', '\n'};

[[noreturn]] void fail(const fs::path& path, const std::string& what) {
    throw PackError("packed dataset '" + path.string() + "': " + what);
}

// Area-averaging shrink (each output pixel is the mean of the source pixels it covers).
engine::RgbImage shrink(const engine::RgbImage& image, int maxSide) {
    const int longSide = std::max(image.width, image.height);
    if (longSide <= maxSide)
        return image;
    const double scale = static_cast<double>(maxSide) / longSide;
    engine::RgbImage out;
    out.width = std::max(1, static_cast<int>(std::lround(image.width * scale)));
    out.height = std::max(1, static_cast<int>(std::lround(image.height * scale)));
    out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * 3);
    for (int y = 0; y < out.height; ++y) {
        const int y0 = y * image.height / out.height,
                  y1 = std::max(y0 + 1, (y + 1) * image.height / out.height);
        for (int x = 0; x < out.width; ++x) {
            const int x0 = x * image.width / out.width,
                      x1 = std::max(x0 + 1, (x + 1) * image.width / out.width);
            for (int c = 0; c < 3; ++c) {
                std::uint32_t sum = 0;
                for (int sy = y0; sy < y1; ++sy) {
                    for (int sx = x0; sx < x1; ++sx)
                        sum +=
                            image.pixels[(static_cast<std::size_t>(sy) * image.width + sx) * 3 + c];
                }
                const auto count = static_cast<std::uint32_t>((y1 - y0) * (x1 - x0));
                out.pixels[(static_cast<std::size_t>(y) * out.width + x) * 3 + c] =
                    static_cast<std::uint8_t>((sum + count / 2) / count);
            }
        }
    }
    return out;
}

std::uint64_t readU64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

}  // namespace

PackedDataset PackedDataset::open(const fs::path& path) {
    PackedDataset pack;
    pack.path_ = path;
    try {
        pack.mapped_ = engine::MappedFile::open(path);
    } catch (const engine::MappedFileError& e) {
        fail(path, e.what());
    }
    const std::uint64_t size = pack.mapped_.size();
    if (size < 24)
        fail(path, "too short to be a packed dataset");
    const auto* bytes = pack.mapped_.data();
    if (std::memcmp(bytes, kMagic, 8) != 0)
        fail(path, "not a packed dataset (bad magic)");
    if (std::memcmp(bytes + size - 8, kEndMagic, 8) != 0)
        fail(path, "truncated or unfinished (no end marker)");
    const std::uint64_t indexLength = readU64(bytes + size - 16);
    if (indexLength > size - 24)
        fail(path, "index length does not fit the file");
    const std::uint64_t indexStart = size - 16 - indexLength;
    const std::uint64_t dataLength = indexStart - 8;
    json index;
    try {
        index = json::parse(bytes + indexStart, bytes + indexStart + indexLength);
        pack.taxonomyDigest_ = index.at("taxonomy_digest").get<std::string>();
        pack.maxSide_ = index.at("max_side").get<int>();
        for (const auto& e : index.at("images")) {
            PackedEntry entry;
            entry.imageId = e.at("id").get<std::string>();
            entry.nodeId = e.at("node").get<std::string>();
            entry.label = e.value("label", "");
            entry.group = e.value("group", entry.imageId);
            entry.source = e.value("source", "");
            entry.validation = e.value("validation", false);
            const std::string modality = e.value("modality", "unknown");
            entry.modality = engine::parseModality(modality);
            if (e.contains("biopsy_proven") && e["biopsy_proven"].is_boolean())
                entry.biopsyProven = e["biopsy_proven"].get<bool>();
            entry.width = e.at("w").get<int>();
            entry.height = e.at("h").get<int>();
            entry.offset = e.at("offset").get<std::uint64_t>();
            const std::uint64_t bytesNeeded =
                static_cast<std::uint64_t>(entry.width) * entry.height * 3;
            if (entry.width <= 0 || entry.height <= 0 || entry.offset + bytesNeeded > dataLength) {
                fail(path, "image '" + entry.imageId + "' lies outside the pixel data");
            }
            pack.entries_.push_back(std::move(entry));
        }
    } catch (const json::exception& e) {
        fail(path, std::string("damaged index (") + e.what() + ")");
    }
    pack.data_ = bytes + 8;
    return pack;
}

engine::RgbImage PackedDataset::image(std::size_t i) const {
    const auto& e = entries_.at(i);
    engine::RgbImage image;
    image.width = e.width;
    image.height = e.height;
    image.pixels.assign(pixels(i), pixels(i) + static_cast<std::size_t>(e.width) * e.height * 3);
    return image;
}

std::vector<LabelledImage> PackedDataset::labelledImages(const taxonomy::Taxonomy& taxonomy) const {
    if (taxonomyDigest_ != taxonomy.digest()) {
        throw PackError("packed dataset '" + path_.string() + "' was made with taxonomy digest " +
                        taxonomyDigest_ + ", this program uses " + taxonomy.digest() +
                        "; repack it");
    }
    std::vector<LabelledImage> images;
    for (const auto& e : entries_) {
        LabelledImage image;
        image.imageId = e.imageId;
        image.label = e.label;
        image.group = e.group;
        image.modality = e.modality;
        image.biopsyProven = e.biopsyProven;
        image.path = e.source;
        image.origin = path_.string() + "#" + e.imageId;
        const auto node = taxonomy.find(e.nodeId);
        if (!node)
            throw PackError("packed dataset '" + path_.string() + "': unknown node '" + e.nodeId +
                            "'");
        image.node = *node;
        images.push_back(std::move(image));
    }
    return images;
}

void writePackedDataset(const std::vector<LabelledImage>& images,
                        const taxonomy::Taxonomy& taxonomy, const fs::path& path, int maxSide,
                        const ImageDecoder& decode, const PackProgress& progress,
                        const std::vector<bool>& validation) {
    if (maxSide < 32)
        throw PackError("packed dataset '" + path.string() + "': max side must be at least 32");
    const fs::path temporary = path.string() + ".partial";
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out)
        throw PackError("cannot write '" + temporary.string() + "'");
    out.write(kMagic, 8);
    json entries = json::array();
    std::vector<std::string> failures;
    std::uint64_t offset = 0;
    for (std::size_t i = 0; i < images.size(); ++i) {
        const auto& source = images[i];
        try {
            const auto image = shrink(decode(source.path), maxSide);
            out.write(reinterpret_cast<const char*>(image.pixels.data()),
                      static_cast<std::streamsize>(image.pixels.size()));
            json e = {{"id", source.imageId},
                      {"node", taxonomy.node(source.node).id},
                      {"label", source.label},
                      {"group", source.group},
                      {"source", source.path.string()},
                      {"modality", engine::toString(source.modality)},
                      {"w", image.width},
                      {"h", image.height},
                      {"offset", offset}};
            if (source.biopsyProven)
                e["biopsy_proven"] = *source.biopsyProven;
            if (i < validation.size() && validation[i])
                e["validation"] = true;
            entries.push_back(std::move(e));
            offset += image.pixels.size();
        } catch (const std::exception& e) {
            failures.push_back(e.what());
        }
        if (progress)
            progress(i + 1, images.size());
    }
    if (!failures.empty()) {
        out.close();
        fs::remove(temporary);
        std::string message = "packed dataset '" + path.string() +
                              "' not written: " + std::to_string(failures.size()) +
                              " image(s) could not be read:";
        for (const auto& f : failures)
            message += "\n  " + f;
        throw PackError(message);
    }
    const std::string index = json{
        {"format", "dermreader-pack"},
        {"taxonomy_digest", taxonomy.digest()},
        {"max_side", maxSide},
        {"images", entries}}.dump();
    out.write(index.data(), static_cast<std::streamsize>(index.size()));
    char length[8];
    for (int i = 0; i < 8; ++i)
        length[i] = static_cast<char>((index.size() >> (8 * i)) & 0xff);
    out.write(length, 8);
    out.write(kEndMagic, 8);
    out.close();
    if (!out)
        throw PackError("error writing '" + temporary.string() + "' (disk full?)");
    fs::rename(temporary, path);
}

}  // namespace dermreader::training
