#pragma once
// The one-page PDF case report: the image with and without the saliency overlay, P(malignant)
// on the review/biopsy threshold scale, the binary-task probabilities and the most probable
// classes, the model and its validation AUC, patient and study fields when the image is DICOM,
// the date, and the "not a medical device" line. Laid out by QTextDocument, so text wraps
// instead of running off the page.

#include <QDateTime>
#include <QImage>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <optional>

#include "dermreader/engine/Prediction.h"
#include "dermreader/workstation/Settings.h"

namespace dermreader::taxonomy {
class Taxonomy;
}

namespace dermreader::workstation {

struct CaseReport {
    QString imageName;  // the file name
    QImage image;
    QImage withOverlay;  // the image with the saliency overlay laid over; null for none
    QString overlayMethod;
    std::optional<engine::Prediction> prediction;
    RiskThresholds thresholds;
    QString model;                           // name and creation time
    QString modelValidation;                 // e.g. "melanoma vs nevus: AUC 0.842 (0.81–0.87)"
    QList<QPair<QString, QString>> patient;  // patient and study rows (DICOM)
    // The clinician's decision filed with the DICOM results ("biopsy", "reassure"; empty: none
    // recorded) and who made it.
    QString readerDecision, readerName;
    QDateTime created = QDateTime::currentDateTime();
};

// The report as HTML; images are the document resources "report:image", "report:overlay"
// and "report:scale".
QString caseReportHtml(const CaseReport& report, const taxonomy::Taxonomy& taxonomy);
// The threshold scale with P(malignant) marked.
QImage riskScaleImage(double malignant, const RiskThresholds& thresholds, int width = 900);
// Writes the one-page A4 PDF; false and `error` naming the file when it cannot.
bool writeCaseReportPdf(const CaseReport& report, const taxonomy::Taxonomy& taxonomy,
                        const QString& path, QString* error);

// The report's results as DICOM objects filed in the source image's patient and study
// (engine/DicomResults.h), into `folder`: NAME-sr.dcm (the structured report: model, P(malignant),
// binary tasks, the three most probable classes), NAME-overlay.dcm (Secondary Capture, when the
// report has an overlay) and NAME-report.dcm (this PDF, encapsulated). `source` must be the DICOM
// image the report is about; `modelVersion` identifies the model. False and `error` naming the
// file and the problem when one cannot be written (what was written stays listed).
bool writeCaseReportDicom(const CaseReport& report, const QString& source,
                          const QString& modelVersion, const taxonomy::Taxonomy& taxonomy,
                          const QString& folder, QStringList* written, QString* error);

// The folder the last report went to (the save dialog starts there), else Documents.
QString reportFolder();
void rememberReportFolder(const QString& reportPath);

}  // namespace dermreader::workstation
