#pragma once
// The workstation's saved settings (QSettings): the model bundle, device, test-time
// augmentation, the review/biopsy thresholds of the risk bar, and the PACS nodes.

#include <QString>
#include <optional>
#include <vector>

#include "dermreader/engine/Prediction.h"
#include "dermreader/pacs/DicomNode.h"

namespace dermreader::workstation {

// The one definition of the risk bar's thresholds on P(malignant): at or above `review` an
// image is flagged for review, at or above `biopsy` a biopsy is suggested.
struct RiskThresholds {
    double review = 0.2, biopsy = 0.5;
};

// The DICOM nodes the workstation talks to, and its own application entity.
struct PacsSettings {
    std::vector<pacs::DicomNode> nodes;
    pacs::LocalEntity local;
    pacs::Timeouts timeouts;
    // The node of that name (a copy: settings are values); nothing when there is none.
    std::optional<pacs::DicomNode> find(const QString& name) const;
};
bool operator==(const PacsSettings& a, const PacsSettings& b);

struct WorkstationSettings {
    QString modelBundle;                      // empty: the embedded default model
    QString device = QStringLiteral("auto");  // auto, cpu, cuda
    bool testTimeAugmentation = false;
    RiskThresholds thresholds;
    PacsSettings pacs;

    static WorkstationSettings load();
    void save() const;
    // Device and test-time augmentation as the predictor takes them.
    engine::PredictorOptions predictorOptions() const;
    bool operator==(const WorkstationSettings& other) const;
    bool operator!=(const WorkstationSettings& other) const { return !(*this == other); }
};

}  // namespace dermreader::workstation
