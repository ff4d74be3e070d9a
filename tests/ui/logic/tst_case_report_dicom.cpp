// The case report's results as DICOM in the source image's study (issue 16.2): the structured
// report, the overlay and the PDF, from the workstation's logic layer.
#include <QtTest>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <QDir>
#include <QImage>
#include <QTemporaryDir>

#include "DicomFixtures.h"
#include "dermreader/taxonomy/Taxonomy.h"
#include "dermreader/workstation/CaseReport.h"

namespace ws = dermreader::workstation;
namespace tax = dermreader::taxonomy;

namespace {

std::string attribute(const QString& file, const DcmTagKey& tag) {
    DcmFileFormat dicom;
    if (dicom.loadFile(file.toStdString().c_str()).bad())
        return "<unreadable>";
    OFString value;
    dicom.getDataset()->findAndGetOFString(tag, value);
    return value.c_str();
}

}  // namespace

class TestCaseReportDicom : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void writesReportOverlayAndPdfIntoTheSourceStudy() {
        QTemporaryDir dir;
        const QString source = dir.filePath("visit.dcm");
        testdata::writeDicom(source.toStdString(), 24, 16,
                             std::vector<std::uint8_t>(24 * 16 * 3, 140),
                             {"1.2.840.10008.5.1.4.1.1.77.1.4"});
        const auto& taxonomy = tax::Taxonomy::builtin();
        ws::CaseReport report;
        report.imageName = "visit.dcm";
        report.image = QImage(24, 16, QImage::Format_RGB888);
        report.image.fill(Qt::darkRed);
        report.withOverlay = report.image.copy();
        report.withOverlay.fill(Qt::yellow);
        report.overlayMethod = "gradient";
        report.model = "test model";
        dermreader::engine::Prediction p;
        p.malignant = 0.42;
        p.topClasses = {{*taxonomy.find("melanoma"), 0.4}, {*taxonomy.find("nevus"), 0.35}};
        report.prediction = p;

        QStringList written;
        QString error;
        QVERIFY2(
            ws::writeCaseReportDicom(report, source, "v1", taxonomy, dir.path(), &written, &error),
            qPrintable(error));
        QCOMPARE(written,
                 QStringList({dir.filePath("visit-sr.dcm"), dir.filePath("visit-overlay.dcm"),
                              dir.filePath("visit-report.dcm")}));
        const std::string study = attribute(source, DCM_StudyInstanceUID);
        const char* classes[] = {UID_ComprehensiveSRStorage, UID_SecondaryCaptureImageStorage,
                                 UID_EncapsulatedPDFStorage};
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(QString::fromStdString(attribute(written[i], DCM_StudyInstanceUID)),
                     QString::fromStdString(study));
            QCOMPARE(QString::fromStdString(attribute(written[i], DCM_SOPClassUID)),
                     QString(classes[i]));
            QCOMPARE(QString::fromStdString(attribute(written[i], DCM_PatientID)), QString("P123"));
        }

        // Without a result there is nothing to send; a non-DICOM source is named.
        report.prediction.reset();
        QVERIFY(
            !ws::writeCaseReportDicom(report, source, "v1", taxonomy, dir.path(), nullptr, &error));
        report.prediction = p;
        const QString jpeg = dir.filePath("photo.jpg");
        QVERIFY(report.image.save(jpeg));
        QVERIFY(
            !ws::writeCaseReportDicom(report, jpeg, "v1", taxonomy, dir.path(), nullptr, &error));
        QVERIFY2(error.contains("photo.jpg") && error.contains("not a DICOM file"),
                 qPrintable(error));
    }
};

QTEST_MAIN(TestCaseReportDicom)
#include "tst_case_report_dicom.moc"
