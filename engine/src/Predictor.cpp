#include "dermreader/engine/Predictor.h"

#include <nlohmann/json.hpp>

#include "dermreader/engine/FileDigest.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include "CudaGraphForward.h"
#include "dermreader/engine/Safetensors.h"
#include "dermreader/engine/TorchDevice.h"
#include "dermreader/engine/TorchImage.h"
#include "dermreader/engine/TorchInceptionV3.h"
#include "dermreader/engine/TorchStateDict.h"

namespace dermreader::engine {

namespace F = torch::nn::functional;
namespace tax = dermreader::taxonomy;

namespace {

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Saliency runs at the image's own resolution, capped so huge photographs stay tractable;
// the map is then scaled up to the full size.
constexpr int kMaxSaliencySide = 1024;

std::vector<double> toDoubles(const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

// Scales a non-negative map to [0, 1] by its 99.5th percentile, so one hot pixel does not
// wash out the rest of the map.
std::vector<float> normaliseMap(const torch::Tensor& map) {
    auto flat = map.detach().to(torch::kCPU, torch::kFloat32).flatten();
    // kthvalue is linear time; a full sort of a megapixel map costs more than the backward pass.
    const auto k = std::clamp<int64_t>(static_cast<int64_t>(0.995 * flat.numel()), 1, flat.numel());
    float scale = std::get<0>(flat.kthvalue(k)).item<float>();
    if (!(scale > 0.0f))
        scale = std::max(flat.max().item<float>(), 1e-12f);
    flat = (flat / scale).clamp_(0.0f, 1.0f).contiguous();
    return {flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel()};
}

// Resampling the input to the network's size and the stride-2 first layer leave a raw gradient
// map as a regular grid of dots, one per network input pixel. A Gaussian as wide as one such
// pixel (`sigma` image pixels) removes the grid and keeps everything the network can resolve.
torch::Tensor smoothAtNetworkResolution(const torch::Tensor& map, double sigma) {
    if (sigma < 0.75)
        return map;
    const int radius = static_cast<int>(std::ceil(3 * sigma));
    auto taps = torch::arange(-radius, radius + 1, map.options()).to(torch::kFloat32);
    auto kernel = torch::exp(-(taps * taps) / (2 * sigma * sigma));
    kernel = (kernel / kernel.sum()).to(map.options());
    auto out =
        F::pad(map, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReplicate));
    out = F::conv2d(out, kernel.view({1, 1, 1, -1}));
    return F::conv2d(out, kernel.view({1, 1, -1, 1}));
}

// The seal's fixed input: smooth colour gradients and a dark blob, so every class gets a
// distinct probability (a swap of two classes in the manifest then shows).
RgbImage referenceImage() {
    constexpr int kWidth = 96, kHeight = 72;
    RgbImage image = RgbImage::filled(kWidth, kHeight, 0, 0, 0);
    for (int y = 0; y < kHeight; ++y) {
        for (int x = 0; x < kWidth; ++x) {
            const double dx = x - 40.0, dy = y - 38.0;
            const bool blob = dx * dx / 400.0 + dy * dy / 225.0 < 1.0;
            auto* p = &image.pixels[(static_cast<std::size_t>(y) * kWidth + x) * 3];
            p[0] = static_cast<std::uint8_t>(blob ? 70 + x / 3 : 190 + 40 * x / kWidth);
            p[1] = static_cast<std::uint8_t>(blob ? 45 : 140 + 50 * y / kHeight);
            p[2] = static_cast<std::uint8_t>(blob ? 35 + y / 2 : 120 + (x + y) % 30);
        }
    }
    return image;
}

std::string classKey(const ModelClass& c) {
    return c.node + (c.residual ? "*" : "");
}

// NaN or infinite weights give NaN probabilities that would be shown as a result; refuse them.
void requireFiniteWeights(torch::nn::Module& model, const std::filesystem::path& file) {
    torch::NoGradGuard noGrad;
    for (const auto& item : model.named_parameters()) {
        if (!torch::isfinite(item.value()).all().item<bool>())
            throw ModelError("'" + file.string() + "': tensor '" + item.key() +
                             "' holds NaN or infinite values");
    }
    for (const auto& item : model.named_buffers()) {
        if (item.value().is_floating_point() && !torch::isfinite(item.value()).all().item<bool>())
            throw ModelError("'" + file.string() + "': tensor '" + item.key() +
                             "' holds NaN or infinite values");
    }
}

}  // namespace

struct Predictor::Impl {
    ModelManifest manifest;
    std::unique_ptr<tax::InferenceMap> inference;
    InceptionV3 model{nullptr};
    torch::Device device{torch::kCPU};
    PredictorOptions options;
    std::mutex mutex;  // one forward at a time: simple, and the model is not re-entrant on CUDA
    Timing timing;
    std::string deviceText;
    // Batch-1 predictions on CUDA (options.cudaGraphs).
    std::unique_ptr<CudaGraphForward> graphLogits;

    bool bf16() const { return device.is_cuda() && options.cudaBFloat16; }

    torch::Tensor preprocess(const RgbImage& image) {
        const auto start = Clock::now();
        auto x = imageToTensor(image);
        // Page-locked memory lets the upload run as DMA, asynchronously to the host.
        x = device.is_cuda() ? x.pin_memory().to(device, /*non_blocking=*/true) : x.to(device);
        x = resizeAndNormalise(x, manifest.inputSize, manifest.mean, manifest.std);
        timing.preprocessMs = millisecondsSince(start);
        return x;
    }

    // cuDNN's fastest convolutions on tensor cores read channels-last.
    torch::Tensor prepareForModel(torch::Tensor x) const {
        if (device.is_cuda())
            x = x.contiguous(at::MemoryFormat::ChannelsLast);
        return x;
    }

    // Float32 logits of a prepared batch, under bf16 autocast when asked for.
    torch::Tensor logits(const torch::Tensor& x) {
        BFloat16Autocast autocast(bf16());
        return model->forward(x).logits.to(torch::kFloat32);
    }

    torch::Tensor inferenceLogits(const torch::Tensor& x) {
        if (graphLogits && x.size(0) == 1)
            return (*graphLogits)(x);
        return logits(x);
    }

    // Softmax over the training classes, averaged over test-time views when asked for.
    torch::Tensor classProbabilities(const torch::Tensor& batch) {
        torch::NoGradGuard noGrad;
        const auto start = Clock::now();
        const int64_t n = batch.size(0);
        torch::Tensor input = options.testTimeAugmentation ? dihedralViews(batch) : batch;
        auto probabilities =
            torch::softmax(inferenceLogits(prepareForModel(input)) / manifest.temperature, 1);
        if (options.testTimeAugmentation) {
            // dihedralViews stacks view-major: [view0 of all images, view1 of all, ...].
            probabilities = probabilities.view({8, n, -1}).mean(0);
        }
        timing.forwardMs = millisecondsSince(start);
        return probabilities.to(torch::kCPU);
    }

    // Softmax of each of the 8 rotations/flips of one image, never averaged.
    torch::Tensor viewProbabilities(const torch::Tensor& image) {
        torch::NoGradGuard noGrad;
        const torch::Tensor views = dihedralViews(image);
        return torch::softmax(logits(prepareForModel(views)) / manifest.temperature, 1)
            .to(torch::kCPU);
    }

    Prediction makePrediction(const std::vector<double>& classP) const {
        Prediction p;
        p.classProbabilities = classP;
        p.nodeProbabilities = inference->nodeProbabilities(classP);
        p.malignant = inference->malignantProbability(p.nodeProbabilities);
        p.melanocyticMalignant =
            inference->restrictedMalignantProbability(classP, tax::Lineage::Melanocytic);
        p.epidermalMalignant =
            inference->restrictedMalignantProbability(classP, tax::Lineage::Epidermal);
        p.firstLevel = inference->firstLevel(p.nodeProbabilities);
        p.secondLevel =
            tax::InferenceMap::ranked(p.nodeProbabilities, inference->taxonomy().nodesAtDepth(1));
        for (std::size_t k = 0; k < classP.size(); ++k) {
            p.topClasses.push_back({inference->classNodes()[k], classP[k]});
        }
        std::stable_sort(
            p.topClasses.begin(), p.topClasses.end(),
            [](const auto& a, const auto& b) { return a.probability > b.probability; });
        return p;
    }

    // One prediction per row of class probabilities. Fail closed: a result that is not a
    // probability is never shown as one.
    std::vector<Prediction> predictions(const torch::Tensor& probabilities) const {
        if (!torch::isfinite(probabilities).all().item<bool>())
            throw ModelError("model '" + manifest.bundleDir.string() +
                             "' produced a non-finite probability for this image");
        std::vector<Prediction> out;
        for (int64_t i = 0; i < probabilities.size(0); ++i)
            out.push_back(makePrediction(toDoubles(probabilities[i])));
        return out;
    }

    torch::Tensor stackPreprocessed(const std::vector<const RgbImage*>& images) {
        std::vector<torch::Tensor> inputs;
        for (const auto* image : images)
            inputs.push_back(preprocess(*image));
        return torch::cat(inputs, 0);
    }
};

Predictor::Predictor(const std::filesystem::path& bundle, const tax::Taxonomy& taxonomy,
                     const PredictorOptions& options)
    : impl_(std::make_unique<Impl>()) {
    auto& d = *impl_;
    d.options = options;
    d.manifest = readManifest(bundle);
    d.manifest.requireTaxonomy(taxonomy);
    d.inference = std::make_unique<tax::InferenceMap>(taxonomy, d.manifest.classNodes(taxonomy));

    d.device = selectDevice(options.device, d.manifest.bundleDir.string());
    if (d.device.is_cpu())
        configureCpuThreads(options.cpuThreads);
    d.deviceText = describeDevice(d.device);

    d.model = InceptionV3(static_cast<int64_t>(d.manifest.classes.size()), d.manifest.auxLogits);
    try {
        const auto weights = SafetensorsFile::open(d.manifest.weightsPath());
        loadStateDict(*d.model, weights);
    } catch (const SafetensorsError& e) {
        throw ModelError("model '" + d.manifest.bundleDir.string() + "': " + e.what());
    }
    requireFiniteWeights(*d.model, d.manifest.weightsPath());
    d.model->eval();
    // Inference only: gradients are wanted for the input pixels (saliency), never the weights.
    for (auto& parameter : d.model->parameters())
        parameter.set_requires_grad(false);
    if (d.device.is_cuda()) {
        d.model->to(d.device);
        useChannelsLast(*d.model);
        if (options.cudaBFloat16)
            d.deviceText += ", bf16 autocast";
        if (options.cudaGraphs) {
            d.graphLogits = std::make_unique<CudaGraphForward>(
                [&d](const torch::Tensor& x) { return d.logits(x); });
            d.deviceText += ", CUDA graphs";
        }
    }
    verifySeal();
}

Predictor::~Predictor() = default;

std::vector<double> Predictor::referenceProbabilities() {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto& d = *impl_;
    torch::NoGradGuard noGrad;
    const auto input = d.preprocess(referenceImage());  // a batch of one
    const auto logits = d.inferenceLogits(d.prepareForModel(input));
    return toDoubles(torch::softmax(logits / d.manifest.temperature, 1)[0]);
}

void Predictor::verifySeal() {
    const auto& m = impl_->manifest;
    if (m.integrityJson.empty())
        return;  // a bundle from before the seal
    const std::string where = "model '" + m.bundleDir.string() + "'";
    nlohmann::json seal;
    try {
        seal = nlohmann::json::parse(m.integrityJson);
    } catch (const nlohmann::json::exception&) {
        throw ModelError(where + ": its manifest's 'integrity' cannot be read");
    }
    if (seal.contains("weights_sha256") && seal["weights_sha256"].is_string()) {
        const auto digest = fileSha256(m.weightsPath());
        if (digest && *digest != seal["weights_sha256"].get<std::string>())
            throw ModelError(where + ": '" + m.weightsFile +
                             "' is not the file the manifest was sealed with (SHA-256 differs): "
                             "the weights were changed or swapped");
    }
    const auto& reference = seal.value("reference_probabilities", nlohmann::json::object());
    if (!reference.is_object() || reference.empty())
        throw ModelError(where + ": its manifest's seal has no reference output");
    const auto probabilities = referenceProbabilities();
    // bf16 on a GPU rounds more than float32 on a CPU; either is far below what a swapped
    // class, another input size or another normalisation does.
    const double tolerance = impl_->bf16() ? 0.05 : impl_->device.is_cuda() ? 0.005 : 0.001;
    double worst = 0;
    std::string worstClass;
    for (std::size_t i = 0; i < m.classes.size(); ++i) {
        const std::string key = classKey(m.classes[i]);
        if (!reference.contains(key) || !reference[key].is_number())
            throw ModelError(where + ": class '" + key +
                             "' is not in the sealed reference output: the classes were changed");
        const double difference = std::abs(probabilities[i] - reference[key].get<double>());
        if (difference > worst) {
            worst = difference;
            worstClass = key;
        }
    }
    if (worst > tolerance || reference.size() != m.classes.size()) {
        char text[32];
        std::snprintf(text, sizeof text, "%.3f", worst);
        throw ModelError(where +
                         ": its output on the reference input differs from the sealed one "
                         "(by " +
                         text + " for '" + worstClass +
                         "'): classes, input size, normalisation or weights were changed");
    }
}

std::string Predictor::sealJson() {
    const auto probabilities = referenceProbabilities();
    nlohmann::json byClass = nlohmann::json::object();
    for (std::size_t i = 0; i < impl_->manifest.classes.size(); ++i)
        byClass[classKey(impl_->manifest.classes[i])] = probabilities[i];
    nlohmann::json seal = {{"reference_input", "dermreader synthetic lesion v1"},
                           {"reference_probabilities", byClass}};
    if (const auto digest = fileSha256(impl_->manifest.weightsPath()))
        seal["weights_sha256"] = *digest;
    return seal.dump();
}

const ModelManifest& Predictor::manifest() const {
    return impl_->manifest;
}
const tax::InferenceMap& Predictor::inferenceMap() const {
    return *impl_->inference;
}
std::string Predictor::deviceDescription() const {
    return impl_->deviceText;
}
bool Predictor::usesCuda() const {
    return impl_->device.is_cuda();
}

Predictor::Timing Predictor::lastTiming() const {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->timing;
}

Prediction Predictor::predict(const RgbImage& image) {
    return predictBatch({&image}).front();
}

std::vector<Prediction> Predictor::predictBatch(const std::vector<const RgbImage*>& images) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (images.empty())
        return {};
    return impl_->predictions(impl_->classProbabilities(impl_->stackPreprocessed(images)));
}

std::vector<Prediction> Predictor::predictViews(const RgbImage& image) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    return impl_->predictions(impl_->viewProbabilities(impl_->stackPreprocessed({&image})));
}

std::vector<float> Predictor::embed(const RgbImage& image) {
    return embedBatch({&image}).front();
}

std::vector<std::vector<float>> Predictor::embedBatch(const std::vector<const RgbImage*>& images) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (images.empty())
        return {};
    torch::NoGradGuard noGrad;
    auto& d = *impl_;
    BFloat16Autocast autocast(d.bf16());
    const auto pooled =
        InceptionV3Impl::pool(d.model->features(d.prepareForModel(d.stackPreprocessed(images))))
            .to(torch::kCPU, torch::kFloat32)
            .contiguous();
    std::vector<std::vector<float>> out;
    for (int64_t i = 0; i < pooled.size(0); ++i) {
        const float* row = pooled[i].data_ptr<float>();
        out.emplace_back(row, row + pooled.size(1));
    }
    return out;
}

SaliencyMap Predictor::saliency(const RgbImage& image, SaliencyMethod method,
                                std::optional<int> targetClass) {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    auto& d = *impl_;
    const int classes = static_cast<int>(d.manifest.classes.size());
    if (targetClass && (*targetClass < 0 || *targetClass >= classes)) {
        throw std::invalid_argument("saliency: class " + std::to_string(*targetClass) +
                                    " out of range");
    }
    torch::Tensor pixels = imageToTensor(image).to(d.device);
    // Work at the image's resolution (capped), so the gradient lands on its pixels.
    const int longSide = std::max(image.width, image.height);
    if (longSide > kMaxSaliencySide) {
        const double f = static_cast<double>(kMaxSaliencySide) / longSide;
        pixels = F::interpolate(pixels, F::InterpolateFuncOptions()
                                            .size(std::vector<int64_t>{
                                                std::max<int64_t>(1, std::lround(image.height * f)),
                                                std::max<int64_t>(1, std::lround(image.width * f))})
                                            .mode(torch::kBilinear)
                                            .align_corners(false)
                                            .antialias(true));
    }
    pixels = pixels.detach().set_requires_grad(true);
    const auto input = d.prepareForModel(
        resizeAndNormalise(pixels, d.manifest.inputSize, d.manifest.mean, d.manifest.std));

    torch::Tensor map;
    int target = 0;
    BFloat16Autocast autocast(d.bf16());
    if (method == SaliencyMethod::Gradient) {
        const auto logits = d.logits(input);
        target = targetClass.value_or(static_cast<int>(logits.argmax(1).item<int64_t>()));
        // The paper: the loss gradient at the input, L1 norm across RGB.
        const auto loss = F::cross_entropy(
            logits, torch::tensor({int64_t{target}}, torch::TensorOptions().device(d.device)));
        loss.backward();
        map = pixels.grad().abs().sum(1, /*keepdim=*/true).to(torch::kFloat32);
        const double pixelsPerInput =
            static_cast<double>(std::max(pixels.size(2), pixels.size(3))) / d.manifest.inputSize;
        map = smoothAtNetworkResolution(map, pixelsPerInput);
    } else {
        auto features = d.model->features(input);
        features.retain_grad();
        const auto logits = d.model->classify(InceptionV3Impl::pool(features)).to(torch::kFloat32);
        target = targetClass.value_or(static_cast<int>(logits.argmax(1).item<int64_t>()));
        logits[0][target].backward();
        const auto weights = features.grad().to(torch::kFloat32).mean({2, 3}, /*keepdim=*/true);
        map =
            torch::relu((weights * features.detach().to(torch::kFloat32)).sum(1, /*keepdim=*/true));
    }
    map = map.detach().to(torch::kFloat32);
    const int nativeHeight = static_cast<int>(map.size(2)),
              nativeWidth = static_cast<int>(map.size(3));
    if (map.size(2) != image.height || map.size(3) != image.width) {
        map = F::interpolate(map, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{image.height, image.width})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
    }

    SaliencyMap result;
    result.width = image.width;
    result.height = image.height;
    result.method = method;
    result.targetClass = target;
    result.nativeWidth = nativeWidth;
    result.nativeHeight = nativeHeight;
    result.values = normaliseMap(map);
    return result;
}

}  // namespace dermreader::engine
