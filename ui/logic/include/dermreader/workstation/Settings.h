#pragma once
// The workstation's saved settings (QSettings): the model bundle, device, test-time
// augmentation and the review/biopsy thresholds of the risk bar.

#include <QString>

#include "dermreader/engine/Prediction.h"

namespace dermreader::workstation {

// The one definition of the risk bar's thresholds on P(malignant): at or above `review` an
// image is flagged for review, at or above `biopsy` a biopsy is suggested.
struct RiskThresholds {
    double review = 0.2, biopsy = 0.5;
};

struct WorkstationSettings {
    QString modelBundle;                      // empty: the embedded default model
    QString device = QStringLiteral("auto");  // auto, cpu, cuda
    bool testTimeAugmentation = false;
    RiskThresholds thresholds;

    static WorkstationSettings load();
    void save() const;
    // Device and test-time augmentation as the predictor takes them.
    engine::PredictorOptions predictorOptions() const;
    bool operator==(const WorkstationSettings& other) const;
    bool operator!=(const WorkstationSettings& other) const { return !(*this == other); }
};

}  // namespace dermreader::workstation
