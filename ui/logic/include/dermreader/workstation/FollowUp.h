#pragma once
// Lesion follow-up (issue 16.3) without widgets: two visits of one lesion compared on a worker
// thread. The later image is registered onto the earlier one (ORB + homography, else ECC; or
// aligned by hand), the lesion's area is measured in each with an uncertainty
// (engine/LesionChange.h), and the CNN's P(malignant) is given at each visit with its range
// over the image's 8 rotations/flips (how much it depends on how the photo was turned).

#include <QImage>
#include <QString>
#include <optional>

#include "dermreader/engine/LesionChange.h"

namespace dermreader::engine {
class Predictor;
}

namespace dermreader::workstation {

class JobContext;

// By hand, when the images will not register: the later image's shift (earlier image's
// pixels), rotation (degrees, counter-clockwise) and scale.
struct ManualAlignment {
    double dx = 0, dy = 0, degrees = 0, scale = 1;
};

struct VisitMeasure {
    QString path;
    QString date;  // the study date, YYYY-MM-DD (as written when not a DICOM date); "" if none
    // P(malignant) and its range over the 8 views; empty without a model.
    std::optional<double> malignant, malignantLow, malignantHigh;
};

struct FollowUpComparison {
    VisitMeasure before, after;
    engine::Registration registration;
    engine::AreaChange area;
    QImage beforeImage;
    QImage afterImage;             // as taken
    QImage afterRegistered;        // in the earlier image's frame; null when not registered
    QImage beforeMask, afterMask;  // the lesion (8-bit, 255 inside) in the earlier image's frame
    // After minus before, with the range the two visits' ranges allow.
    std::optional<double> malignantChange, malignantChangeLow, malignantChangeHigh;

    // What the numbers say, in a few lines for the window and the audit log.
    QString summary() const;
};

// Loads both images and compares them; `predictor` null: no CNN part. Throws
// engine::ImageError naming a file that cannot be read. Reports progress on `context`.
FollowUpComparison compareVisits(const QString& before, const QString& after,
                                 engine::Predictor* predictor,
                                 const std::optional<ManualAlignment>& manual,
                                 JobContext* context = nullptr);

}  // namespace dermreader::workstation
