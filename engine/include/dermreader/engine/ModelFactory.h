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
    std::vector<std::string> ignored;             // layers of the source not used (a foreign head)
};

// Loads an ImageNet Inception v3 checkpoint (safetensors with torchvision's names; timm's
// `inception_v3.tv_in1k` uses the same), keeps everything but the final layers, and writes a
// bundle for `manifest`'s classes. Sets the input normalisation those weights expect.
ImportReport importImageNetWeights(const std::filesystem::path& checkpoint, CheckpointSource source,
                                   const std::filesystem::path& dir, ModelManifest manifest,
                                   std::uint64_t seed = 0);

// Loads a TensorFlow.js layers model of Keras' InceptionV3 (`modelDir` or its model.json):
// conv2d_N / batch_normalization_N in creation order onto torchvision's BasicConv2d order, every
// shape, stride and padding checked; Keras' `scale=False` gives gamma 1; the foreign head (Dense
// layers) is ignored. Writes a bundle like importImageNetWeights; `provenance` goes into the
// manifest's training record. Throws ModelError naming the file and the problem.
ImportReport importTfjsWeights(const std::filesystem::path& modelDir,
                               const std::filesystem::path& dir, ModelManifest manifest,
                               const std::string& provenance = "", std::uint64_t seed = 0);

// Seals a bundle: records in its manifest the weights' SHA-256 and its class probabilities on
// a fixed synthetic input, which every later load checks (swapped weights, swapped classes, a
// changed input size or normalisation are refused). Every bundle this program writes is
// sealed; `dermtool seal-model` seals an older one.
void sealBundle(const std::filesystem::path& dir);

// Copies a bundle, storing its floating-point weights as `floatType` (F16 halves the size of
// a bundle shipped with the program). Checks the copy loads before returning.
void copyBundle(const std::filesystem::path& from, const std::filesystem::path& to,
                DType floatType);

}  // namespace dermreader::engine
