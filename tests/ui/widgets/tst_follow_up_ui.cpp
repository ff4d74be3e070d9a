// The follow-up window on two DICOM visits of a synthetic lesion (known geometry, 20 % growth):
// the lesion comes from Patient ID + Lesion Number, its timeline lists both visits, Compare
// registers them and reports the growth and the CNN's change with ranges, and alignment by
// hand works when asked for. Saves the review screenshot of two registered visits.

#include <dcmtk/dcmdata/dcuid.h>
#include <QDoubleSpinBox>
#include <QListWidget>
#include <QSignalSpy>
#include <QtTest>

#include "DicomFixtures.h"
#include "Mnemonics.h"
#include "Screenshots.h"
#include "SyntheticLesion.h"
#include "TestModels.h"
#include "TestSession.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/records/ImageLibrary.h"
#include "dermreader/records/Lesions.h"
#include "dermreader/ui/CompareWindow.h"
#include "dermreader/ui/FollowUpWindow.h"
#include "dermreader/ui/ImageViewer.h"
#include "dermreader/ui/MainWindow.h"
#include "dermreader/workstation/Jobs.h"

namespace fs = std::filesystem;
namespace ws = dermreader::workstation;
namespace rec = dermreader::records;
using dermreader::ui::FollowUpWindow;

namespace {

void writeVisit(const fs::path& file, const testdata::SyntheticImage& image, const char* date,
                const char* lesion = "1") {
    testdata::DicomSpec spec{UID_VLPhotographicImageStorage};
    spec.modality = "XC";
    spec.patientId = "FU-1";
    spec.patientName = "Follow^Up";
    spec.studyDate = date;
    spec.lesionNumber = lesion;
    spec.pixelSpacing = "0.05\\0.05";
    testdata::writeDicom(file, image.width, image.height, image.pixels, spec);
}

}  // namespace

class TestFollowUpUi : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir dir_;
    std::unique_ptr<ws::WorkstationSession> session_;

  private Q_SLOTS:
    void initTestCase() {
        QCoreApplication::setOrganizationName("dermreader-follow-up-tests");
        const fs::path folder = fs::path(dir_.path().toStdString()) / "visits";
        fs::create_directories(folder);
        writeVisit(folder / "visit-2025.dcm", testdata::firstVisit(testdata::scene(1.0)),
                   "20250301");
        writeVisit(folder / "visit-2026.dcm",
                   testdata::secondVisit(testdata::scene(std::sqrt(1.2))), "20260301");
        const QString bundle = dir_.filePath("model");
        dermreader::engine::createInitialBundle(
            bundle.toStdString(),
            testdata::testManifest("follow-up test model",
                                   {"nevus", "melanoma", "seborrheic_keratosis"}),
            5);
        session_ = testdata::makeSession(dir_.filePath("library.sqlite"), bundle);
        QVERIFY2(session_->reloadModel(), qPrintable(session_->modelError()));
        rec::ImageLibrary library(session_->database());
        QCOMPARE(library.addFolder(folder).added, 2);
    }

    void comparesTwoRegisteredVisits() {
        FollowUpWindow window(*session_);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const auto lesion = rec::Lesions(session_->database()).ofPatient("FU-1");
        QCOMPARE(lesion.size(), std::size_t{1});
        window.refresh(lesion[0].id);
        QCOMPARE(window.timeline()->count(), 2);
        const QStringList clashes = testdata::clashingMnemonics(&window);  // one field per Alt+key
        QVERIFY2(clashes.isEmpty(), qPrintable(clashes.join("; ")));
        QCOMPARE(window.timeline()->item(0)->text(), QStringLiteral("2025-03-01"));

        QSignalSpy compared(&window, &FollowUpWindow::compared);
        QTest::keyClick(&window, Qt::Key_Return);  // Enter compares
        QVERIFY(compared.wait(120000));
        const auto& result = *window.result();
        QCOMPARE(result.registration.method, dermreader::engine::Registration::Method::Features);
        QVERIFY(result.area.relative && std::abs(*result.area.relative - 0.2) < 0.06);
        QVERIFY(result.area.squareMmPerPixel.has_value());
        QVERIFY(result.malignantChange.has_value());
        QVERIFY(*result.malignantChangeLow <= *result.malignantChange &&
                *result.malignantChange <= *result.malignantChangeHigh);
        QVERIFY(*result.before.malignantLow <= *result.before.malignant &&
                *result.before.malignant <= *result.before.malignantHigh);
        QVERIFY2(window.summaryText().contains("mm²") && window.summaryText().contains("ORB"),
                 qPrintable(window.summaryText()));
        QCOMPARE(result.afterRegistered.size(), result.beforeImage.size());
        // Linked zoom: zooming the earlier visit zooms the later one.
        window.comparison()->left()->zoomIn();
        QCOMPARE(window.comparison()->right()->viewState().zoomOverFit,
                 window.comparison()->left()->viewState().zoomOverFit);
        // The timeline's thumbnails (DICOM too) arrive from the pool.
        QTRY_VERIFY_WITH_TIMEOUT(!window.timeline()->item(1)->icon().isNull(), 20000);
        QCoreApplication::processEvents();  // the summary's new lines laid out
        testdata::saveScreenshot(&window, "follow-up.png");

        // By hand, with the camera's true motion undone (turn back 8 degrees, 1/1.15 of the
        // size, the later centre put where it truly lies): the same growth comes out.
        cv::Mat inverse;
        cv::invertAffineTransform(testdata::secondCamera(), inverse);
        const cv::Point2d centre(inverse.at<double>(0, 0) * 320 + inverse.at<double>(0, 1) * 240 +
                                     inverse.at<double>(0, 2) - testdata::kCrop.x,
                                 inverse.at<double>(1, 0) * 320 + inverse.at<double>(1, 1) * 240 +
                                     inverse.at<double>(1, 2) - testdata::kCrop.y);
        const auto spins = window.findChildren<QDoubleSpinBox*>();  // x, y, rotation, scale
        QCOMPARE(spins.size(), 4);
        spins[0]->setValue(centre.x - 320);
        spins[1]->setValue(centre.y - 240);
        spins[2]->setValue(-8);
        spins[3]->setValue(1 / 1.15);
        spins[3]->setFocus();
        QTest::keyClick(spins[3], Qt::Key_Return);  // Enter in the alignment fields aligns
        QVERIFY(compared.wait(120000));
        QCOMPARE(window.result()->registration.method,
                 dermreader::engine::Registration::Method::Manual);
        QVERIFY2(window.result()->area.relative &&
                     std::abs(*window.result()->area.relative - 0.2) < 0.06,
                 qPrintable(window.summaryText()));
    }

    // What is on screen belongs to the lesion named: choosing another lesion drops the shown
    // comparison, and one still running; Esc cancels a comparison and says so.
    void anotherLesionDropsTheComparison() {
        const fs::path folder = fs::path(dir_.path().toStdString()) / "second-lesion";
        fs::create_directories(folder);
        writeVisit(folder / "mole-2.dcm", testdata::firstVisit(testdata::scene(0.8)), "20260401",
                   "2");
        FollowUpWindow window(*session_);  // lists lesions before the new image is imported
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(rec::ImageLibrary(session_->database()).addFolder(folder).added, 1);
        // From the main window's image: its lesion, linked now although imported after the
        // window listed lesions.
        window.showLesionOf(QString::fromStdString((folder / "mole-2.dcm").string()));
        QCOMPARE(window.timeline()->count(), 1);
        const auto lesions = rec::Lesions(session_->database()).ofPatient("FU-1");
        QCOMPARE(lesions.size(), std::size_t{2});

        QSignalSpy compared(&window, &FollowUpWindow::compared);
        window.showLesion(lesions[0].id);
        QCOMPARE(window.timeline()->count(), 2);
        window.compare();
        QVERIFY(compared.wait(120000));
        QVERIFY(window.result().has_value());
        QVERIFY(!window.comparison()->left()->imageSize().isEmpty());
        window.refresh();  // listed again (as reopening the window does): the comparison stays
        QVERIFY(window.result().has_value());
        QCOMPARE(window.timeline()->count(), 2);

        window.showLesion(lesions[1].id);
        QVERIFY(!window.result().has_value());
        QVERIFY(window.comparison()->left()->imageSize().isEmpty());
        QVERIFY(window.comparison()->right()->imageSize().isEmpty());
        QVERIFY(!window.comparison()->left()->hasOverlay());

        window.showLesion(lesions[0].id);
        window.compare();
        QVERIFY(window.busy());
        window.showLesion(lesions[1].id);  // while the comparison runs
        QVERIFY(!window.busy());
        QTRY_COMPARE_WITH_TIMEOUT(session_->jobs().running(), 0, 120000);
        QCoreApplication::processEvents();
        QCOMPARE(compared.count(), 1);
        QVERIFY(!window.result().has_value());
        QVERIFY(window.comparison()->left()->imageSize().isEmpty());

        window.showLesion(lesions[0].id);
        window.compare();
        QTest::keyClick(&window, Qt::Key_Escape);
        QTRY_VERIFY_WITH_TIMEOUT(!window.busy(), 120000);
        QVERIFY2(window.summaryText().contains("cancelled"), qPrintable(window.summaryText()));
        QVERIFY(!window.result().has_value());
    }

    void cleanupTestCase() {
        if (session_)
            session_->jobs().waitForIdle(30000);
        session_.reset();
    }
};

QTEST_MAIN(TestFollowUpUi)
#include "tst_follow_up_ui.moc"
