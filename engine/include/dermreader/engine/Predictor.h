#pragma once
// The predictor owns a loaded model bundle on a device and turns images into what the
// workstation shows: P(malignant), the taxonomy breakdown, binary-task probabilities,
// saliency maps and embeddings. Thread-safe. No torch in this header.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/engine/Image.h"
#include "dermreader/engine/ModelManifest.h"
#include "dermreader/taxonomy/Inference.h"

namespace dermreader::engine {

enum class DevicePreference { Auto, Cpu, Cuda };
std::optional<DevicePreference> parseDevicePreference(const std::string& text);

struct PredictorOptions {
    DevicePreference device = DevicePreference::Auto;  // Auto: CUDA when available
    bool testTimeAugmentation = false;  // average over the 8 rotations/flips of the input
    int cpuThreads = 0;                 // 0: all cores
    bool cudaBFloat16 = false;          // bf16 weights and activations on CUDA
};

struct Prediction {
    std::vector<double> classProbabilities;  // over the model's training classes
    std::vector<double> nodeProbabilities;   // P(node) for every taxonomy node
    double malignant = 0.0;
    std::optional<double> melanocyticMalignant;          // P(malignant | melanocytic lesion)
    std::optional<double> epidermalMalignant;            // P(malignant | epidermal lesion)
    std::vector<taxonomy::NodeProbability> firstLevel;   // the 3 roots
    std::vector<taxonomy::NodeProbability> secondLevel;  // the 9 classes, most probable first
    std::vector<taxonomy::NodeProbability> topClasses;   // training classes, most probable first
};

enum class SaliencyMethod { Gradient, GradCam };
std::string toString(SaliencyMethod method);

struct SaliencyMap {
    int width = 0, height = 0;  // the input image's size
    std::vector<float> values;  // row-major, scaled to [0, 1]
    SaliencyMethod method = SaliencyMethod::Gradient;
    int targetClass = -1;  // the training class explained
};

class Predictor {
  public:
    // Loads the bundle and checks it against the taxonomy; throws ModelError naming the
    // bundle and the problem (missing files, wrong shapes, mismatched taxonomy, no CUDA...).
    Predictor(const std::filesystem::path& bundle, const taxonomy::Taxonomy& taxonomy,
              const PredictorOptions& options = {});
    ~Predictor();
    Predictor(const Predictor&) = delete;
    Predictor& operator=(const Predictor&) = delete;

    const ModelManifest& manifest() const;
    const taxonomy::InferenceMap& inferenceMap() const;
    // "CUDA: NVIDIA H100 80GB HBM3" or "CPU: 2 threads".
    std::string deviceDescription() const;
    bool usesCuda() const;

    Prediction predict(const RgbImage& image);
    std::vector<Prediction> predictBatch(const std::vector<const RgbImage*>& images);
    // The 2,048-d last hidden layer after global average pooling.
    std::vector<float> embed(const RgbImage& image);
    std::vector<std::vector<float>> embedBatch(const std::vector<const RgbImage*>& images);
    // Gradient: the paper's map (L1 norm over RGB of the loss gradient at the input pixels).
    // GradCam: on Mixed_7c. Explains `targetClass`, or the most probable training class.
    SaliencyMap saliency(const RgbImage& image, SaliencyMethod method,
                         std::optional<int> targetClass = std::nullopt);

    struct Timing {
        double preprocessMs = 0, forwardMs = 0;
    };
    Timing lastTiming() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dermreader::engine
