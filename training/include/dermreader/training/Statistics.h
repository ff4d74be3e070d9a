#pragma once
// Binary-task statistics shared by training, the model comparison and reader studies: ROC
// curves, AUC with DeLong's 95% interval, the paired DeLong test, sensitivity at a
// specificity. Plain C++ with no dependencies, so the records library links it without
// LibTorch.

#include <string>
#include <vector>

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

}  // namespace dermreader::training
