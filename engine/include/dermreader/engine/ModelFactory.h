#pragma once
// Making model bundles: from scratch (torchvision's initialisation) or from an ImageNet
// checkpoint exported from torchvision or timm, with the classifier replaced by one sized to
// the training classes. No torch in this header.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dermreader/engine/ModelManifest.h"
#include "dermreader/engine/Safetensors.h"

namespace dermreader::engine {

enum class CheckpointSource { Torchvision, Timm };

// Writes `dir` (manifest.json + weights) for `manifest`, whose classes, taxonomy and name
// must be set; weights are freshly initialised from `seed`.
void createInitialBundle(const std::filesystem::path& dir, ModelManifest manifest,
                         std::uint64_t seed, DType storeAs = DType::F32);

struct ImportReport {
    std::size_t loaded = 0;
    std::vector<std::string> freshlyInitialised;  // e.g. the classifier, a missing aux head
};

// Loads an ImageNet Inception v3 checkpoint (safetensors with torchvision's names; timm's
// `inception_v3.tv_in1k` uses the same), keeps everything but the final layers, and writes a
// bundle for `manifest`'s classes. Sets the input normalisation those weights expect.
ImportReport importImageNetWeights(const std::filesystem::path& checkpoint, CheckpointSource source,
                                   const std::filesystem::path& dir, ModelManifest manifest,
                                   std::uint64_t seed = 0);

// Copies a bundle, storing its floating-point weights as `floatType` (F16 halves the size of
// a bundle shipped with the program). Checks the copy loads before returning.
void copyBundle(const std::filesystem::path& from, const std::filesystem::path& to,
                DType floatType);

}  // namespace dermreader::engine
