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
#include "dermreader/engine/Prediction.h"
#include "dermreader/taxonomy/Inference.h"

namespace dermreader::engine {

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
    // The image's 8 rotations/flips, each with its own prediction (one batch, never averaged,
    // with or without test-time augmentation): their spread is how much the result depends on
    // the image's orientation.
    std::vector<Prediction> predictViews(const RgbImage& image);
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

    // The class probabilities (no test-time augmentation) on the seal's fixed synthetic input.
    std::vector<double> referenceProbabilities();
    // The manifest's "integrity" object for this bundle as loaded: the weights' SHA-256 and
    // the reference probabilities by class (see sealBundle).
    std::string sealJson();

  private:
    // A sealed bundle must still be what it was sealed as: the weights file's digest and the
    // reference output by class. Throws ModelError naming what differs.
    void verifySeal();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace dermreader::engine
