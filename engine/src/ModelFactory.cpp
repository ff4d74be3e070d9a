#include "dermreader/engine/ModelFactory.h"

#include "dermreader/engine/TorchInceptionV3.h"
#include "dermreader/engine/TorchStateDict.h"

namespace dermreader::engine {
namespace {

void validateForWriting(const ModelManifest& manifest) {
    if (manifest.classes.empty())
        throw ModelError("a model needs at least one class");
    if (manifest.taxonomyDigest.empty())
        throw ModelError("a model needs its taxonomy digest");
}

void writeBundle(const std::filesystem::path& dir, ModelManifest& manifest,
                 const InceptionV3Impl& model, DType storeAs) {
    if (manifest.created.empty())
        manifest.created = utcTimestamp();
    std::filesystem::create_directories(dir);
    saveStateDict(model, dir / manifest.weightsFile, storeAs,
                  {{"format", "pt"}, {"dermreader_model", manifest.name}});
    writeManifest(manifest, dir);
}

// Smooth random pictures with a little grain: closer to photographs than white noise, whose
// statistics would leave smooth inputs far outside the normalised range.
torch::Tensor calibrationImages(int size) {
    namespace F = torch::nn::functional;
    std::vector<torch::Tensor> images;
    for (int scale : {2, 4, 8, 16, 32, 64}) {
        auto coarse = torch::rand({2, 3, scale, scale});
        images.push_back(F::interpolate(coarse, F::InterpolateFuncOptions()
                                                    .size(std::vector<int64_t>{size, size})
                                                    .mode(torch::kBilinear)
                                                    .align_corners(false)));
    }
    auto x = torch::cat(images, 0);
    x = (x + 0.05 * torch::randn_like(x)).clamp(0.0, 1.0);
    return (x - 0.5) / 0.5;
}

bool isNumBatchesTracked(const std::string& name) {
    const std::string suffix = "num_batches_tracked";
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void createInitialBundle(const std::filesystem::path& dir, ModelManifest manifest,
                         std::uint64_t seed, DType storeAs) {
    validateForWriting(manifest);
    torch::manual_seed(seed);
    InceptionV3 model(static_cast<int64_t>(manifest.classes.size()), manifest.auxLogits);
    initialiseLikeTorchvision(*model);
    model->resetClassifier(static_cast<int64_t>(manifest.classes.size()));
    // Normalising statistics from noise images keep an untrained network's outputs spread out
    // instead of saturated, so its probabilities and saliency are meaningful to test against.
    calibrateBatchNorm(*model, calibrationImages(manifest.inputSize));
    writeBundle(dir, manifest, *model, storeAs);
}

ImportReport importImageNetWeights(const std::filesystem::path& checkpoint, CheckpointSource source,
                                   const std::filesystem::path& dir, ModelManifest manifest,
                                   std::uint64_t seed) {
    validateForWriting(manifest);
    const auto file = SafetensorsFile::open(checkpoint);
    torch::manual_seed(seed);
    // Build the ImageNet-sized network with the aux head, load, then replace the classifiers.
    InceptionV3 model(1000, /*auxLogits=*/true);
    initialiseLikeTorchvision(*model);
    StateDictLoadOptions options;
    options.allowMissing = true;  // checked below: only the aux head may be absent
    // The classifiers are replaced anyway; skipping them also accepts checkpoints whose
    // classifier has another number of classes.
    options.skipPrefixes = {"fc.", "AuxLogits.fc."};
    auto loaded = loadStateDict(*model, file, options);
    std::vector<std::string> missingBackbone;
    for (const auto& name : loaded.missing) {
        if (name.rfind("AuxLogits.", 0) != 0 && !isNumBatchesTracked(name))
            missingBackbone.push_back(name);
    }
    if (!missingBackbone.empty()) {
        std::string list;
        for (std::size_t i = 0; i < missingBackbone.size() && i < 10; ++i)
            list += " " + missingBackbone[i];
        throw ModelError("checkpoint '" + checkpoint.string() + "' lacks " +
                         std::to_string(missingBackbone.size()) + " Inception v3 tensors:" + list +
                         (missingBackbone.size() > 10 ? " ..." : ""));
    }
    ImportReport report;
    report.loaded = loaded.loaded.size();
    bool auxMissing = false;
    for (const auto& name : loaded.missing)
        auxMissing |= name.rfind("AuxLogits.", 0) == 0;
    if (auxMissing)
        report.freshlyInitialised.push_back("AuxLogits (absent from the checkpoint)");
    report.freshlyInitialised.push_back("fc");
    if (manifest.auxLogits)
        report.freshlyInitialised.push_back("AuxLogits.fc");

    model->resetClassifier(static_cast<int64_t>(manifest.classes.size()));
    // Both torchvision's weights (ported from TensorFlow, used with transform_input) and timm's
    // tv_in1k copy of them expect inputs scaled to [-1, 1].
    manifest.mean = {0.5f, 0.5f, 0.5f};
    manifest.std = {0.5f, 0.5f, 0.5f};
    manifest.trainingJson = std::string(R"({"initialisation": "imagenet", "checkpoint": ")") +
                            checkpoint.filename().string() + R"(", "source": ")" +
                            (source == CheckpointSource::Torchvision ? "torchvision" : "timm") +
                            "\"}";
    if (manifest.auxLogits) {
        writeBundle(dir, manifest, *model, DType::F32);
    } else {
        InceptionV3 withoutAux(static_cast<int64_t>(manifest.classes.size()), false);
        copyState(*model, *withoutAux);
        writeBundle(dir, manifest, *withoutAux, DType::F32);
    }
    return report;
}

void copyBundle(const std::filesystem::path& from, const std::filesystem::path& to,
                DType floatType) {
    auto manifest = readManifest(from);
    InceptionV3 model(static_cast<int64_t>(manifest.classes.size()), manifest.auxLogits);
    loadStateDict(*model, SafetensorsFile::open(manifest.weightsPath()));
    std::filesystem::create_directories(to);
    saveStateDict(*model, to / manifest.weightsFile, floatType,
                  {{"format", "pt"}, {"dermreader_model", manifest.name}});
    writeManifest(manifest, to);
    InceptionV3 check(static_cast<int64_t>(manifest.classes.size()), manifest.auxLogits);
    loadStateDict(*check, SafetensorsFile::open(to / manifest.weightsFile));
}

}  // namespace dermreader::engine
