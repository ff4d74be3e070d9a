// The workstation's PACS round trip against a real Orthanc (issue 16, "Done when"): fixtures
// pushed, the study found and retrieved through the logic layer's jobs into the library, and
// the case's results (structured report, overlay as Secondary Capture, PDF as Encapsulated PDF)
// sent back and found in Orthanc, filed in the source image's patient and study.

#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <QDir>
#include <QSignalSpy>
#include <QThread>
#include <QtTest>
#include <atomic>

#include "DicomFixtures.h"
#include "OrthancServer.h"
#include "dermreader/records/ImageLibrary.h"
#include "dermreader/records/Schema.h"
#include "dermreader/taxonomy/Taxonomy.h"
#include "dermreader/workstation/CaseReport.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/PacsTransfers.h"

namespace fs = std::filesystem;
namespace ws = dermreader::workstation;
namespace rec = dermreader::records;
namespace pacs = dermreader::pacs;

namespace {

constexpr const char* kStudy = "1.2.826.0.1.3680043.10.1234.7";
constexpr const char* kSeries = "1.2.826.0.1.3680043.10.1234.7.1";

std::string attribute(const QString& file, const DcmTagKey& tag) {
    DcmFileFormat dicom;
    OFString value;
    if (dicom.loadFile(file.toStdString().c_str()).good())
        dicom.getDataset()->findAndGetOFString(tag, value);
    return value.c_str();
}

// Runs `work` as a job and waits for it; the result, or nothing when it failed or was cancelled
// (`error`: the job's failure).
template <typename Result>
std::optional<Result> runJob(ws::JobRunner& jobs, std::function<Result(ws::JobContext&)> work,
                             QString* error, bool cancelAtOnce = false) {
    std::optional<Result> result;
    QObject receiver;
    ws::Job* job = jobs.start<Result>("test", std::move(work), &receiver,
                                      [&](const Result& r) { result = r; });
    QObject::connect(job, &ws::Job::failed, &receiver, [error](const QString& m) { *error = m; });
    QSignalSpy finished(job, &ws::Job::finished);
    if (cancelAtOnce)
        job->cancel();
    if (!finished.wait(60000))
        *error = "the job did not finish";
    return result;
}

}  // namespace

class TestPacsWorkflow : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir work_;
    std::unique_ptr<testdata::OrthancServer> orthanc_;
    ws::PacsSettings settings_;
    ws::JobRunner jobs_{2};

    pacs::PacsClient client() const { return ws::pacsClient(settings_, settings_.nodes.front()); }

  private Q_SLOTS:
    void initTestCase() {
        orthanc_ = std::make_unique<testdata::OrthancServer>(testdata::OrthancServer::Options{});
        DERMREADER_START_ORTHANC_OR_SKIP(*orthanc_);
        settings_.nodes = {orthanc_->node("Clinic PACS")};
        std::vector<fs::path> fixtures;
        for (int i = 0; i < 2; ++i) {
            testdata::DicomSpec spec{UID_VLPhotographicImageStorage};
            spec.modality = "XC";
            spec.patientId = "DERM-007";
            spec.patientName = "Müller^Jürgen";
            spec.characterSet = "ISO_IR 192";
            spec.studyUid = kStudy;
            spec.seriesUid = kSeries;
            const fs::path file =
                fs::path(work_.path().toStdString()) / ("visit" + std::to_string(i) + ".dcm");
            testdata::writeDicom(
                file, 64, 48,
                std::vector<std::uint8_t>(64 * 48 * 3, static_cast<std::uint8_t>(90 + 40 * i)),
                spec);
            fixtures.push_back(file);
        }
        QCOMPARE(client().store(fixtures).stored.size(), std::size_t{2});
    }

    void retrievalFolderIsPerStudyAndSafe() {
        pacs::StudyRecord study;
        study.patientId = "../../etc/P 1";
        study.studyDate = "20260315";
        study.studyUid = "1.2.3";
        const QString folder = ws::retrievalFolder("/data/pacs", study);
        QVERIFY2(folder.startsWith("/data/pacs/") && !folder.mid(11).contains('/'),
                 qPrintable(folder));
        QVERIFY2(folder.endsWith("_20260315_1.2.3"), qPrintable(folder));
        QCOMPARE(ws::retrievalRoot("/var/lib/derm/library.sqlite"),
                 QStringLiteral("/var/lib/derm/pacs"));
    }

    void findRetrieveImportAndSendResultsBack() {
        pacs::StudyQuery query;
        query.patientId = "DERM-007";
        const auto studies = client().findStudies(query);
        QCOMPARE(studies.size(), std::size_t{1});
        QCOMPARE(QString::fromStdString(studies[0].patientName), QStringLiteral("Müller^Jürgen"));

        // Retrieve through the job pool, as the dialog does.
        const QString root = work_.filePath("library/pacs");
        const pacs::PacsClient pacsClient = client();
        const pacs::StudyRecord study = studies[0];
        QString error;
        const auto retrieved = runJob<pacs::RetrieveReport>(
            jobs_,
            [&](ws::JobContext& context) {
                return ws::retrieveStudy(pacsClient, study, {}, root, context);
            },
            &error);
        QVERIFY2(retrieved.has_value(), qPrintable(error));
        QCOMPARE(retrieved->files.size(), std::size_t{2});

        // Into the library, like any folder: the patient comes with the images.
        rec::Database db = rec::openWorkstationDatabase(
            fs::path(work_.filePath("library/library.sqlite").toStdString()));
        rec::ImageLibrary library(db);
        const QString folder = ws::retrievalFolder(root, study);
        const rec::AddReport added = library.addFolder(folder.toStdString());
        QCOMPARE(added.added, 2);
        QVERIFY(added.problems.empty());
        const auto image = library.find(retrieved->files.front());
        QVERIFY(image.has_value());
        QCOMPARE(QString::fromStdString(image->patientId), QStringLiteral("DERM-007"));
        QVERIFY(image->modality == dermreader::engine::ImageModality::Clinical);

        // The results of a read image go back into its study.
        const QString source = QString::fromStdString(retrieved->files.front().string());
        const auto& taxonomy = dermreader::taxonomy::Taxonomy::builtin();
        ws::CaseReport report;
        report.imageName = QFileInfo(source).fileName();
        report.image = QImage(64, 48, QImage::Format_RGB888);
        report.image.fill(Qt::darkRed);
        report.withOverlay = report.image.copy();
        report.withOverlay.fill(Qt::yellow);
        report.overlayMethod = "gradient";
        report.model = "test model";
        dermreader::engine::Prediction prediction;
        prediction.malignant = 0.61;
        prediction.topClasses = {{*taxonomy.find("melanoma"), 0.55}};
        report.prediction = prediction;
        QStringList written;
        QVERIFY(QDir().mkpath(work_.filePath("results")));
        QVERIFY2(ws::writeCaseReportDicom(report, source, "model-v1", taxonomy,
                                          work_.filePath("results"), &written, &error),
                 qPrintable(error));
        QCOMPARE(written.size(), 3);
        const auto sent = runJob<pacs::StoreReport>(
            jobs_,
            [&](ws::JobContext& context) { return ws::sendFiles(pacsClient, written, context); },
            &error);
        QVERIFY2(sent.has_value(), qPrintable(error));
        QCOMPARE(sent->stored.size(), std::size_t{3});
        QVERIFY(sent->problems.empty());

        // Orthanc holds them, in the source's patient and study, as the right SOP classes.
        const QStringList classes = {UID_ComprehensiveSRStorage, UID_SecondaryCaptureImageStorage,
                                     UID_EncapsulatedPDFStorage};
        for (int i = 0; i < 3; ++i) {
            const QJsonObject tags = orthanc_->instanceTags(
                QString::fromStdString(attribute(written[i], DCM_SOPInstanceUID)));
            QVERIFY2(!tags.isEmpty(), qPrintable(written[i]));
            QCOMPARE(tags["SOPClassUID"].toString(), classes[i]);
            QCOMPARE(tags["StudyInstanceUID"].toString(), QString(kStudy));
            QCOMPARE(tags["PatientID"].toString(), QStringLiteral("DERM-007"));
        }
        const QJsonObject srTags = orthanc_->instanceTags(
            QString::fromStdString(attribute(written[0], DCM_SOPInstanceUID)));
        QCOMPARE(srTags["Modality"].toString(), QStringLiteral("SR"));
        QCOMPARE(orthanc_->instanceCount(), 5);  // two photographs and three results

        // Retrieving the study again brings the photographs, not our own results.
        const auto again = runJob<pacs::RetrieveReport>(
            jobs_,
            [&](ws::JobContext& context) {
                return ws::retrieveStudy(pacsClient, study, {}, root, context);
            },
            &error);
        QVERIFY2(again.has_value(), qPrintable(error));
        QCOMPARE(again->files.size(), std::size_t{2});
        QCOMPARE(library.addFolder(folder.toStdString()).unchanged, 2);
    }

    // The job is cancelled before its thread is free, so the transfer starts cancelled: it must
    // end as a cancelled job, not as an error (a PacsError "cancelled" would be reported).
    void cancelledRetrievalIsNotAnError() {
        pacs::StudyRecord study;
        study.studyUid = kStudy;
        study.patientId = "DERM-007";
        const pacs::PacsClient pacsClient = client();
        const QString root = work_.filePath("cancelled");
        ws::JobRunner oneThread(1);
        std::atomic<bool> release{false};
        oneThread.start(QStringLiteral("blocker"), [&](ws::JobContext&) {
            while (!release)
                QThread::msleep(5);
        });
        QString error;
        std::optional<pacs::RetrieveReport> result;
        QObject receiver;
        ws::Job* job = oneThread.start<pacs::RetrieveReport>(
            "retrieval",
            [&](ws::JobContext& context) {
                return ws::retrieveStudy(pacsClient, study, {}, root, context);
            },
            &receiver, [&](const pacs::RetrieveReport& r) { result = r; });
        QObject::connect(job, &ws::Job::failed, &receiver,
                         [&error](const QString& m) { error = m; });
        QSignalSpy finished(job, &ws::Job::finished);
        job->cancel();
        release = true;
        QVERIFY(finished.wait(60000));
        QVERIFY(!result.has_value());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(QDir(ws::retrievalFolder(root, study)).entryList({"*.dcm"}).isEmpty());
    }
};

QTEST_MAIN(TestPacsWorkflow)
#include "tst_pacs_workflow.moc"
