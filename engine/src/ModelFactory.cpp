#include "dermreader/engine/ModelFactory.h"

#include "dermreader/engine/Predictor.h"

#include "dermreader/engine/TorchInceptionV3.h"
#include "dermreader/engine/TorchStateDict.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "dermreader/engine/TfjsModel.h"

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
    sealBundle(dir);  // replaces whatever seal the manifest carried
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

namespace {

// Replaces the classifiers, sets the [-1, 1] input scaling ImageNet Inception v3 weights expect
// (torchvision's, ported from TensorFlow and used with transform_input; timm's tv_in1k copy;
// Keras Applications'), and writes the bundle.
void writeImportedBundle(InceptionV3Impl& model, const std::filesystem::path& dir,
                         ModelManifest manifest, const std::string& provenanceJson,
                         ImportReport& report) {
    report.freshlyInitialised.push_back("fc");
    if (manifest.auxLogits)
        report.freshlyInitialised.push_back("AuxLogits.fc");
    model.resetClassifier(static_cast<int64_t>(manifest.classes.size()));
    manifest.mean = {0.5f, 0.5f, 0.5f};
    manifest.std = {0.5f, 0.5f, 0.5f};
    manifest.trainingJson = provenanceJson;
    if (manifest.auxLogits) {
        writeBundle(dir, manifest, model, DType::F32);
    } else {
        InceptionV3 withoutAux(static_cast<int64_t>(manifest.classes.size()), false);
        copyState(model, *withoutAux);
        writeBundle(dir, manifest, *withoutAux, DType::F32);
    }
}

// torchvision's BasicConv2d modules outside the aux head, in registration order: the order in
// which Keras' InceptionV3 creates (and numbers) its conv2d_N / batch_normalization_N pairs.
std::vector<std::pair<std::string, BasicConv2dImpl*>> backboneConvs(InceptionV3Impl& model) {
    std::vector<std::pair<std::string, BasicConv2dImpl*>> convs;
    for (const auto& item : model.named_modules()) {
        auto* conv = item.value()->as<BasicConv2dImpl>();
        if (conv && item.key().rfind("AuxLogits", 0) != 0)
            convs.emplace_back(item.key(), conv);
    }
    return convs;
}

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string text = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        text += (i ? "," : "") + std::to_string(shape[i]);
    return text + "]";
}

// Keras numbers layers in creation order (conv2d_1, ..., conv2d_94); "conv2d" alone is 0.
int creationNumber(const std::string& name) {
    const auto underscore = name.rfind('_');
    if (underscore == std::string::npos)
        return 0;
    try {
        return std::stoi(name.substr(underscore + 1));
    } catch (const std::exception&) {
        return 0;
    }
}

// The (height, width) padding of a convolution, read off its output size on a small probe
// (LibTorch's padding option is a variant whose type differs between versions).
std::pair<int64_t, int64_t> paddingOf(torch::nn::Conv2dImpl& conv, int64_t inChannels) {
    constexpr int64_t probe = 17;
    torch::NoGradGuard noGrad;
    const auto out = conv.forward(torch::zeros({1, inChannels, probe, probe}));
    const auto& kernel = conv.options.kernel_size();
    const auto& stride = conv.options.stride();
    return {((out.size(2) - 1) * (*stride)[0] + (*kernel)[0] - probe) / 2,
            ((out.size(3) - 1) * (*stride)[1] + (*kernel)[1] - probe) / 2};
}

class KerasInceptionLoader {
  public:
    KerasInceptionLoader(const TfjsModel& tfjs) : tfjs_(tfjs) {}

    void load(InceptionV3Impl& model) {
        std::vector<const TfjsLayer*> convs;
        for (const auto& layer : tfjs_.layers)
            if (layer.className == "Conv2D")
                convs.push_back(&layer);
        std::stable_sort(convs.begin(), convs.end(), [](const auto* a, const auto* b) {
            return creationNumber(a->name) < creationNumber(b->name);
        });
        const auto targets = backboneConvs(model);
        if (convs.size() != targets.size())
            fail("not an Inception v3 topology: " + std::to_string(targets.size()) +
                 " convolutions expected, found " + std::to_string(convs.size()));
        torch::NoGradGuard noGrad;
        for (std::size_t i = 0; i < convs.size(); ++i)
            loadPair(*convs[i], batchNormAfter(*convs[i]), targets[i].first, *targets[i].second);
    }

  private:
    [[noreturn]] void fail(const std::string& problem) const {
        throw ModelError("TensorFlow.js model '" + tfjs_.modelJson.string() + "': " + problem);
    }

    const TfjsLayer& batchNormAfter(const TfjsLayer& conv) const {
        for (const auto& layer : tfjs_.layers) {
            if (layer.className == "BatchNormalization" && layer.inbound.size() == 1 &&
                layer.inbound[0] == conv.name)
                return layer;
        }
        fail("convolution '" + conv.name + "' is not followed by batch normalisation");
    }

    torch::Tensor tensor(const std::string& layer, const std::string& field,
                         const std::vector<int64_t>& expected) const {
        const TfjsTensor* t = tfjs_.weight(layer, field);
        if (!t)
            fail("weight '" + layer + "/" + field + "' is missing");
        if (t->shape != expected)
            fail("weight '" + layer + "/" + field + "' has shape " + shapeText(t->shape) +
                 ", Inception v3 needs " + shapeText(expected));
        return torch::from_blob(const_cast<float*>(t->values.data()), expected, torch::kFloat32)
            .clone();
    }

    void loadPair(const TfjsLayer& conv, const TfjsLayer& bn, const std::string& target,
                  BasicConv2dImpl& module) {
        const auto& w = module.conv->weight;  // [out, in, kh, kw]
        const auto& o = module.conv->options;
        const int64_t out = w.size(0), in = w.size(1), kh = w.size(2), kw = w.size(3);
        const auto where = "'" + conv.name + "' (torchvision's " + target + ")";
        const std::vector<int> strides{static_cast<int>((*o.stride())[0]),
                                       static_cast<int>((*o.stride())[1])};
        if (!conv.strides.empty() && conv.strides != strides)
            fail(where + " has other strides than Inception v3");
        if (kh * kw > 1 && !conv.padding.empty()) {
            const auto pad = paddingOf(*module.conv, in);
            const bool same = pad.first == kh / 2 && pad.second == kw / 2;
            const bool valid = pad.first == 0 && pad.second == 0;
            if ((conv.padding == "same" && !same) || (conv.padding == "valid" && !valid))
                fail(where + " has padding '" + conv.padding + "', unlike Inception v3");
        }
        // Keras kernels are [kh, kw, in, out].
        w.copy_(tensor(conv.name, "kernel", {kh, kw, in, out}).permute({3, 2, 0, 1}));

        auto& norm = *module.bn;
        norm.running_mean.copy_(tensor(bn.name, "moving_mean", {out}));
        // torchvision's epsilon is 0.001; another epsilon moves into the variance exactly.
        norm.running_var.copy_(
            (tensor(bn.name, "moving_variance", {out}) + (bn.epsilon - norm.options.eps()))
                .clamp_min(0.0));
        norm.weight.copy_(bn.scale ? tensor(bn.name, "gamma", {out}) : torch::ones({out}));
        norm.bias.copy_(bn.center ? tensor(bn.name, "beta", {out}) : torch::zeros({out}));
        if (conv.useBias)  // BN(conv + b) normalises with mean - b
            norm.running_mean.sub_(tensor(conv.name, "bias", {out}));
    }

    const TfjsModel& tfjs_;
};

}  // namespace

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
    const std::string provenance =
        std::string(R"({"initialisation": "imagenet", "checkpoint": ")") +
        checkpoint.filename().string() + R"(", "source": ")" +
        (source == CheckpointSource::Torchvision ? "torchvision" : "timm") + "\"}";
    writeImportedBundle(*model, dir, manifest, provenance, report);
    return report;
}

ImportReport importTfjsWeights(const std::filesystem::path& modelDir,
                               const std::filesystem::path& dir, ModelManifest manifest,
                               const std::string& provenance, std::uint64_t seed) {
    validateForWriting(manifest);
    const TfjsModel tfjs = readTfjsModel(modelDir);
    torch::manual_seed(seed);
    InceptionV3 model(1000, /*auxLogits=*/true);
    initialiseLikeTorchvision(*model);
    KerasInceptionLoader(tfjs).load(*model);
    ImportReport report;
    report.loaded = tfjs.weights.size();
    report.freshlyInitialised.push_back("AuxLogits (Keras' Inception v3 has no aux head)");
    for (const auto& layer : tfjs.layers)
        if (layer.className == "Dense")
            report.ignored.push_back(layer.name);
    nlohmann::json record = {{"initialisation", "imagenet"},
                             {"source", "tfjs"},
                             {"checkpoint", tfjs.modelJson.parent_path().filename().string()},
                             {"keras_version", tfjs.kerasVersion},
                             {"provenance", provenance}};
    writeImportedBundle(*model, dir, manifest, record.dump(), report);
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
    sealBundle(to);  // other bytes, other rounding: sealed anew
}

void sealBundle(const std::filesystem::path& dir) {
    auto manifest = readManifest(dir);
    manifest.integrityJson.clear();  // the load below must not check an old seal
    writeManifest(manifest, dir);
    PredictorOptions cpu;
    cpu.device = DevicePreference::Cpu;      // the seal is the float32 CPU reference
    cpu.cpuThreads = at::get_num_threads();  // keep the caller's (a training rank's) share
    Predictor predictor(dir, taxonomy::Taxonomy::builtin(), cpu);
    manifest.integrityJson = predictor.sealJson();
    writeManifest(manifest, dir);
}

}  // namespace dermreader::engine
