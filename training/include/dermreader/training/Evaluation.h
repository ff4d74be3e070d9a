#pragma once
// Evaluation as in the paper: mean per-class accuracy over the 3 first-level and 9 second-level
// inference classes, confusion matrices, and ROC curves with AUC (95% CI, DeLong) for the
// binary tasks, melanoma vs nevus and carcinoma vs seborrheic keratosis, scored with the
// restricted rule. No torch here.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dermreader/taxonomy/Inference.h"

namespace dermreader::training {

struct RocPoint {
    double threshold = 0, sensitivity = 0, specificity = 0;
};

struct BinaryMetrics {
    std::string task;  // "melanocytic" (melanoma vs nevus) or "epidermal" (carcinoma vs SK)
    int positives = 0, negatives = 0;
    double auc = 0, aucLow = 0, aucHigh = 0;  // 95% confidence interval (DeLong)
    std::vector<RocPoint> roc;                // from (0 sensitivity, 1 specificity) upwards
    double sensitivityAt90Specificity = 0, sensitivityAt95Specificity = 0;
};

// ROC, AUC and DeLong's 95% interval for scores of positives and negatives. Predicted
// positive means score >= threshold.
BinaryMetrics binaryMetrics(const std::vector<double>& positiveScores,
                            const std::vector<double>& negativeScores);

// Two models' AUCs on the same images, compared with DeLong's test for correlated ROC curves:
// the difference A - B, its 95% confidence interval and the two-sided p-value. Positive and
// negative scores must be in the same image order for both models.
struct AucDifference {
    double aucA = 0, aucB = 0;
    double difference = 0, low = 0, high = 0;
    double pValue = 1;
};
AucDifference pairedAucDifference(const std::vector<double>& positivesA,
                                  const std::vector<double>& negativesA,
                                  const std::vector<double>& positivesB,
                                  const std::vector<double>& negativesB);

// The best sensitivity a threshold on the curve reaches while keeping at least
// `specificity` (the operating point a reader at that specificity is compared with).
double sensitivityAtSpecificity(const std::vector<RocPoint>& roc, double specificity);

struct LevelMetrics {
    std::vector<taxonomy::NodeIndex> classes;
    std::vector<std::vector<int>> confusion;  // [truth][prediction]
    std::vector<double> perClassAccuracy;     // NaN for classes without images
    double meanClassAccuracy = 0;             // over classes with images
    int images = 0;
};

struct EvaluationReport {
    int images = 0;
    std::optional<double> loss;
    LevelMetrics firstLevel, secondLevel;
    std::vector<BinaryMetrics> binary;  // only tasks with both positives and negatives

    std::string toJson(const taxonomy::Taxonomy& taxonomy) const;
    // metrics.json, confusion_level1.csv, confusion_level2.csv, roc_<task>.csv
    void writeFiles(const std::filesystem::path& dir, const taxonomy::Taxonomy& taxonomy) const;
};

// labels[i] is image i's taxonomy node, classProbabilities[i] the model's distribution.
EvaluationReport evaluate(const taxonomy::InferenceMap& inference,
                          const std::vector<taxonomy::NodeIndex>& labels,
                          const std::vector<std::vector<double>>& classProbabilities,
                          std::optional<double> loss = std::nullopt);

}  // namespace dermreader::training
