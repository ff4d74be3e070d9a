#pragma once
// A model bundle is a folder holding `manifest.json` (what the network is, which taxonomy
// nodes its outputs are, how it was trained and how well it did) and the weights in
// safetensors. This header reads and writes manifests; no torch here.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "dermreader/taxonomy/Taxonomy.h"

namespace dermreader::engine {

// Any problem with a model bundle; the message names the bundle and what is wrong.
class ModelError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct ModelClass {
    std::string node;  // taxonomy node id
    bool residual = false;
    std::int64_t images = 0;  // training images, when known
};

struct ModelManifest {
    static constexpr int kFormatVersion = 1;

    std::string name;
    std::string description;
    std::string created;  // ISO 8601
    std::string architecture = "inception_v3";
    bool auxLogits = true;
    int inputSize = 299;
    std::array<float, 3> mean = {0.5f, 0.5f, 0.5f};  // of RGB in [0, 1]
    std::array<float, 3> std = {0.5f, 0.5f, 0.5f};
    std::vector<ModelClass> classes;
    std::string taxonomyVersion;
    std::string taxonomyDigest;
    std::string weightsFile = "weights.safetensors";
    std::string trainingJson = "{}";  // how it was trained (free-form JSON object)
    std::string metricsJson = "{}";   // validation metrics (free-form JSON object)
    // Temperature scaling fitted on held-out images: probabilities are softmax(logits / T).
    double temperature = 1.0;
    std::string calibrationJson = "{}";  // how T was fitted and what it changed (free-form)
    // The seal (sealBundle): the weights' SHA-256 and the class probabilities on a fixed
    // synthetic input, checked when the bundle loads. "" for bundles from before the seal.
    std::string integrityJson;

    std::filesystem::path bundleDir;  // set when read

    std::filesystem::path weightsPath() const { return bundleDir / weightsFile; }
    // The taxonomy node of every output class; throws ModelError if one is unknown.
    std::vector<taxonomy::NodeIndex> classNodes(const taxonomy::Taxonomy& taxonomy) const;
    // Throws ModelError unless the model was trained with this taxonomy.
    void requireTaxonomy(const taxonomy::Taxonomy& taxonomy) const;
};

// The current time as ISO 8601 UTC ("2026-11-27T12:00:00Z"), as manifests record it.
std::string utcTimestamp();

// `bundle` is the folder (or its manifest.json). Throws ModelError listing what is wrong.
ModelManifest readManifest(const std::filesystem::path& bundle);
// Writes bundleDir/manifest.json atomically.
void writeManifest(const ModelManifest& manifest, const std::filesystem::path& bundleDir);

// The bundle's list of the images it was trained on (dataset image ids, one per line), so a
// reader study can tell when its cases may be in the model's training data.
inline constexpr const char* kTrainingImagesFile = "training-images.txt";
void writeTrainingImageIds(const std::filesystem::path& bundleDir,
                           const std::vector<std::string>& imageIds);
// Nothing when the bundle has no list (models from before the list, imported weights).
std::optional<std::set<std::string>> readTrainingImageIds(const std::filesystem::path& bundleDir);

}  // namespace dermreader::engine
