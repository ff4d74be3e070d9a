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
#include "dermreader/training/Statistics.h"
#include "dermreader/training/TrainingProgress.h"

namespace dermreader::training {

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
    // What the progress protocol carries (no per-class tables, no ROC points).
    ValidationSummary summary() const;
    // metrics.json, confusion_level1.csv, confusion_level2.csv, roc_<task>.csv
    void writeFiles(const std::filesystem::path& dir, const taxonomy::Taxonomy& taxonomy) const;
};

// labels[i] is image i's taxonomy node, classProbabilities[i] the model's distribution.
EvaluationReport evaluate(const taxonomy::InferenceMap& inference,
                          const std::vector<taxonomy::NodeIndex>& labels,
                          const std::vector<std::vector<double>>& classProbabilities,
                          std::optional<double> loss = std::nullopt);

}  // namespace dermreader::training
