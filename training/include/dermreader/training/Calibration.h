#pragma once
// Making P(malignant) mean what it says: temperature scaling of the class probabilities
// (Guo et al. 2017), fitted on held-out images by minimising the log-loss of P(malignant), and
// the reliability diagram with its expected calibration error. No torch here.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/taxonomy/Inference.h"

namespace dermreader::training {

// Class probabilities p with temperature T: softmax(log p / T), the same as dividing the
// logits by T (the softmax's per-row constant cancels).
std::vector<double> withTemperature(const std::vector<double>& classProbabilities, double t);

struct ScoredImage {
    std::vector<double> classProbabilities;  // the model's, at temperature 1
    bool malignant = false;                  // truth: under a malignant root
};

// Whether a label is malignant (true) or benign (false); nullopt for non-neoplastic or unplaced
// labels, which P(malignant) is not judged on.
std::optional<bool> malignancyOf(const taxonomy::Taxonomy& taxonomy, taxonomy::NodeIndex label);

// The held-out images whose truth is benign or malignant (non-neoplastic and unplaced left out).
std::vector<ScoredImage> malignancyTruth(const taxonomy::InferenceMap& inference,
                                         const std::vector<taxonomy::NodeIndex>& labels,
                                         const std::vector<std::vector<double>>& probabilities);

struct ReliabilityBin {
    double lower = 0, upper = 0;  // P(malignant) range
    double meanPredicted = 0;     // over the images in the bin
    double observed = 0;          // fraction malignant
    int images = 0;
};

struct Reliability {
    std::vector<ReliabilityBin> bins;     // equal width over [0, 1]
    double expectedCalibrationError = 0;  // sum over bins of (n_b / n) |observed - predicted|
    double logLoss = 0;                   // of P(malignant)
    double brier = 0;
    int images = 0;
};

// P(malignant) of each image at temperature t, against its truth.
Reliability reliability(const taxonomy::InferenceMap& inference,
                        const std::vector<ScoredImage>& images, double t, int bins = 10);

// The temperature in [0.1, 10] minimising the log-loss of P(malignant) on `images`.
double fitTemperature(const taxonomy::InferenceMap& inference,
                      const std::vector<ScoredImage>& images);

// JSON object {"images", "ece", "log_loss", "brier", "bins": [[lower, upper, predicted,
// observed, n], ...]}.
std::string toJson(const Reliability& r);

// A PNG reliability diagram: observed against predicted P(malignant) per bin, before (grey) and
// after (blue) temperature `t`, with the diagonal and both ECEs. Full build only (OpenCV).
void writeReliabilityDiagram(const Reliability& before, const Reliability& after, double t,
                             const std::filesystem::path& png);

}  // namespace dermreader::training
