// The workstation, offscreen: select real images and see exactly what the engine computes;
// the overlay changes the rendered pixels; a corrupt file shows an error; fast navigation
// ends on the last image's result; no model still lets the dermatologist view images.
#include <QtTest>

#include <QDir>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QMenuBar>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTreeView>

#include "DicomFixtures.h"
#include "Screenshots.h"
#include "TestModels.h"
#include "TestSession.h"
#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/ui/AnalysisPanel.h"
#include "dermreader/ui/CompareWindow.h"
#include "dermreader/ui/ImageViewer.h"
#include "dermreader/ui/LibraryBrowser.h"
#include "dermreader/ui/LibraryModel.h"
#include "dermreader/ui/MainWindow.h"
#include "dermreader/ui/ModelCardDialog.h"
#include "dermreader/ui/SettingsDialog.h"
#include "dermreader/ui/TaxonomyTreeModel.h"
#include "dermreader/workstation/CaseReport.h"
#include "dermreader/workstation/PredictionService.h"

using namespace dermreader::ui;
using dermreader::workstation::WorkstationSettings;
namespace ws = dermreader::workstation;
namespace eng = dermreader::engine;
namespace tax = dermreader::taxonomy;

namespace {

const tax::Taxonomy& taxonomy() {
    return tax::Taxonomy::builtin();
}

QImage rendered(ImageViewer* viewer) {
    return viewer->viewport()->grab().toImage();
}

}  // namespace

class TestWorkstation : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        QCoreApplication::setOrganizationName(
            "dermreader-tests");  // keep the user's settings apart
        images_ = dir_.filePath("images");
        QDir().mkpath(images_);
        const QDir samples(QStringLiteral(DERMREADER_SOURCE_DIR "/resources/samples"));
        for (const auto& name : samples.entryList({"*.jpg"}))
            QFile::copy(samples.filePath(name), images_ + "/" + name);
        QFile corrupt(images_ + "/zz_corrupt.jpg");
        QVERIFY(corrupt.open(QIODevice::WriteOnly));
        corrupt.write("\xFF\xD8\xFF not really a jpeg");
        corrupt.close();

        bundle_ = dir_.filePath("model");
        eng::createInitialBundle(
            bundle_.toStdString(),
            testdata::testManifest("gui test model", {"nevus", "melanoma", "seborrheic_keratosis",
                                                      "basal_cell_carcinoma", "dermatofibroma"}),
            21);
        predictor_ = std::make_unique<eng::Predictor>(bundle_.toStdString(), taxonomy());
    }

    void init() {
        session_ = testdata::makeSession(dir_.filePath("workstation.sqlite"), bundle_);
        QVERIFY2(session_->reloadModel(), qPrintable(session_->modelError()));
        window_ = std::make_unique<MainWindow>(*session_);
        window_->show();
        window_->setOverlayEnabled(false);
        window_->setOverlayOpacity(60);
    }

    void cleanup() {
        window_.reset();
        session_.reset();
    }

    void showsExactlyWhatTheEngineComputes() {
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        window_->openFolder(images_);
        QVERIFY(shown.wait(30000));
        const QString path = window_->currentPath();
        QCOMPARE(shown.last().at(0).toString(), path);
        const auto expected = predictor_->predict(eng::loadImage(path.toStdString()).image);
        QCOMPARE(window_->analysisPanel()->malignantText(),
                 QStringLiteral("%1 %").arg(100.0 * expected.malignant, 0, 'f', 1));
        const auto& shownP = window_->analysisPanel()->treeModel()->probabilities();
        QCOMPARE(shownP.size(), expected.nodeProbabilities.size());
        for (std::size_t n = 0; n < shownP.size(); ++n)
            QVERIFY(std::abs(shownP[n] - expected.nodeProbabilities[n]) < 1e-9);
        QVERIFY(window_->analysisPanel()->binaryText().contains("P(melanoma)"));
        QCOMPARE(window_->viewer()->imageSize(), QSize(256, 256));
        // The tree has the most probable leaf selected.
        const auto current = window_->analysisPanel()->treeView()->currentIndex();
        QCOMPARE(window_->analysisPanel()->treeModel()->nodeAt(current),
                 expected.topClasses.front().node);
    }

    void overlayToggleAndOpacityChangeThePixels() {
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        window_->openFolder(images_);
        QVERIFY(shown.wait(30000));
        QTest::qWait(50);
        const QImage plain = rendered(window_->viewer());
        QSignalSpy saliency(window_.get(), &MainWindow::saliencyShown);
        window_->setOverlayEnabled(true);
        QVERIFY(saliency.wait(30000));
        QTest::qWait(50);
        const QImage withOverlay = rendered(window_->viewer());
        QVERIFY(window_->viewer()->hasOverlay());
        QVERIFY(withOverlay != plain);
        QVERIFY2(window_->saliencyNote().startsWith("Gradient"),
                 qPrintable(window_->saliencyNote()));
        // Grad-CAM says how coarse it is at this image's size.
        window_->setSaliencyMethod(1);
        QVERIFY(saliency.wait(30000));
        QVERIFY2(window_->saliencyNote().contains("Grad-CAM: a 8×8 grid") &&
                     window_->saliencyNote().contains("32 px"),
                 qPrintable(window_->saliencyNote()));
        window_->setSaliencyMethod(0);
        QVERIFY(saliency.wait(30000));
        window_->setOverlayOpacity(10);
        QTest::qWait(50);
        const QImage faint = rendered(window_->viewer());
        QVERIFY(faint != withOverlay && faint != plain);
        window_->setOverlayEnabled(false);
        QTest::qWait(50);
        QCOMPARE(rendered(window_->viewer()), plain);
        QVERIFY(window_->saliencyNote().isEmpty());
        // Registered under rotation: the overlay turns with the image.
        window_->setOverlayEnabled(true);
        window_->viewer()->rotateClockwise();
        QTest::qWait(50);
        QVERIFY(rendered(window_->viewer()) != withOverlay);
    }

    void corruptFileShowsAnErrorAndTheAppGoesOn() {
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        QSignalSpy errors(window_.get(), &MainWindow::errorShown);
        window_->openFolder(images_);
        QVERIFY(shown.wait(30000));
        const int last = window_->browser()->rowCount() - 1;
        window_->selectRow(last);  // zz_corrupt.jpg sorts last
        QVERIFY(errors.wait(30000));
        QVERIFY(window_->viewer()->showsError());
        QVERIFY2(window_->viewer()->errorText().contains("zz_corrupt.jpg"),
                 qPrintable(window_->viewer()->errorText()));
        QVERIFY(!window_->shownPrediction());
        window_->previous();
        QVERIFY(shown.wait(30000));
        QVERIFY(!window_->viewer()->showsError());
    }

    void quickNavigationEndsOnTheLastImage() {
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        window_->openFolder(images_);
        QVERIFY(shown.wait(30000));
        for (int i = 0; i < 3; ++i)
            window_->next();  // faster than predictions arrive
        const QString last = window_->currentPath();
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toString() == last, 30000);
        QTest::qWait(1500);  // nothing older may arrive afterwards
        QCOMPARE(shown.last().at(0).toString(), last);
        QCOMPARE(window_->currentPath(), last);
        const auto expected = predictor_->predict(eng::loadImage(last.toStdString()).image);
        QVERIFY(window_->shownPrediction());
        QVERIFY(std::abs(window_->shownPrediction()->malignant - expected.malignant) < 1e-9);
    }

    void dicomShowsItsTagsAndModality() {
        QTemporaryDir folder;
        std::vector<std::uint8_t> rgb(64 * 48 * 3);
        for (std::size_t i = 0; i < rgb.size(); ++i)
            rgb[i] = static_cast<std::uint8_t>(i * 7);
        testdata::writeDicom((folder.path() + "/lesion.dcm").toStdString(), 64, 48, rgb,
                             {"1.2.840.10008.5.1.4.1.1.77.1.7", true, EXS_LittleEndianExplicit,
                              nullptr, "0.1\\0.1"});
        QFile::copy(images_ + "/" + QDir(images_).entryList({"ISIC*.jpg"}).first(),
                    folder.path() + "/plain.jpg");
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        window_->openFolder(folder.path());
        QVERIFY(shown.wait(30000));
        QCOMPARE(window_->viewer()->imageSize(), QSize(64, 48));
        QString table;
        auto* details = window_->imageDetails();
        for (int r = 0; r < details->rowCount(); ++r) {
            table += details->item(r, 0)->text() + "=" + details->item(r, 1)->text() + ";";
        }
        QCOMPARE(table.count("Modality="), 1);  // one modality row (issue 13.11)
        QVERIFY2(table.contains("Modality=dermoscopic") &&
                     table.contains("Patient=Test, Patient") && table.contains("Format=DICOM"),
                 qPrintable(table));
        QCOMPARE(window_->findChild<QLabel*>("modalityBadge")->text(),
                 QStringLiteral("DERMOSCOPIC"));
        // Issue 13.11 and 13.9: the patient and study over the image, a scale bar from the
        // pixel spacing, and both gone with the next (non-DICOM) image.
        const QString banner = window_->viewer()->banner();
        QVERIFY2(banner.contains("Test, Patient") && banner.contains("ID P123") &&
                     banner.contains("Study 2026-11-27"),
                 qPrintable(banner));
        QVERIFY(!window_->viewer()->scaleBarText().isEmpty());
        window_->viewer()->setDisplayAdjustment(20, 30);
        testdata::saveScreenshot(window_.get(), "dicom-banner-scale-bar.png");
        window_->viewer()->resetDisplay();
        // Side by side with the other image of the folder, zoom and pan linked.
        QPointer<CompareWindow> compare = window_->openComparison(folder.path() + "/plain.jpg");
        QVERIFY(compare);
        QCOMPARE(compare->left()->imageSize(), QSize(64, 48));
        QVERIFY(compare->left()->banner().contains("Test, Patient"));
        QVERIFY(compare->right()->banner().isEmpty());
        compare->left()->zoomIn();
        QVERIFY(std::abs(compare->right()->viewState().zoomOverFit -
                         compare->left()->viewState().zoomOverFit) < 0.02);
        testdata::saveScreenshot(compare, "compare.png");
        compare->close();
        shown.clear();
        window_->next();
        QVERIFY(shown.wait(30000));
        QVERIFY(window_->viewer()->banner().isEmpty());
        QVERIFY(window_->viewer()->scaleBarText().isEmpty());
    }

    // Issue 13.1: while the next image is analysed, nothing of the previous one stays.
    void pendingShowsNothingOfThePreviousImage() {
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        window_->openFolder(images_);
        QVERIFY(shown.wait(30000));
        AnalysisPanel* panel = window_->analysisPanel();
        QVERIFY(!panel->binaryText().isEmpty() && !panel->topClassesText().isEmpty());
        QVERIFY(panel->showsProbabilities());
        QVERIFY2(panel->sourceText().contains("gui test model"), qPrintable(panel->sourceText()));
        window_->next();  // no event is processed before the checks
        QCOMPARE(panel->malignantText(), QStringLiteral("…"));
        QVERIFY(panel->binaryText().isEmpty());
        QVERIFY(panel->topClassesText().isEmpty());
        QVERIFY(panel->sourceText().isEmpty());
        QVERIFY(!panel->showsProbabilities());
        QVERIFY(!window_->shownPrediction());
        QVERIFY(window_->viewer()->imageSize().isEmpty());
        QCOMPARE(window_->imageDetails()->rowCount(), 1);
        QCOMPARE(window_->imageDetails()->item(0, 1)->text(),
                 QFileInfo(window_->currentPath()).fileName());
        QVERIFY(shown.wait(30000));
        QVERIFY(panel->showsProbabilities());
    }

    // Issue 13.2: activating a model in the registry replaces the result on screen with the
    // new model's (not a cached one), and the result names its model.
    void activatedModelReplacesTheShownResult() {
        const QString other = dir_.filePath("other-model");
        if (!QFileInfo::exists(other)) {
            eng::createInitialBundle(
                other.toStdString(),
                testdata::testManifest("other gui model",
                                       {"nevus", "melanoma", "seborrheic_keratosis",
                                        "basal_cell_carcinoma", "dermatofibroma"}),
                99);
        }
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        window_->openFolder(images_);
        QVERIFY(shown.wait(30000));
        const QString path = window_->currentPath();
        const double before = window_->shownPrediction()->malignant;
        namespace rec = dermreader::records;
        rec::User trainer;
        {
            rec::Accounts accounts(session_->database());
            const auto coordinator = accounts.list().empty()
                                         ? accounts.create(std::nullopt, "coord",
                                                           rec::Role::Coordinator, 3, "coord-pass")
                                         : accounts.authenticate("coord", "coord-pass");
            trainer = accounts.create(coordinator, "trainer-" + std::to_string(++accounts_),
                                      rec::Role::Trainer, 1, "trainer-pass");
        }
        const auto registered = session_->registerModel(trainer, other);
        QVERIFY(registered.has_value());
        shown.clear();
        QVERIFY(session_->activateModel(trainer, registered->id));
        QVERIFY(shown.wait(30000));
        QCOMPARE(shown.last().at(0).toString(), path);
        const auto expected = eng::Predictor(other.toStdString(), taxonomy())
                                  .predict(eng::loadImage(path.toStdString()).image);
        QVERIFY(std::abs(window_->shownPrediction()->malignant - expected.malignant) < 1e-9);
        QVERIFY(std::abs(expected.malignant - before) > 1e-6);  // the models differ
        QVERIFY2(window_->analysisPanel()->sourceText().contains("other gui model"),
                 qPrintable(window_->analysisPanel()->sourceText()));
        for (QLabel* label : window_->findChildren<QLabel*>())
            QVERIFY2(label->text() != "cached result", "a cached result of the old model");
    }

    // Issue 13.3: an unreadable file after a DICOM shows none of the DICOM's details.
    void unreadableAfterDicomShowsNoStaleDetails() {
        QTemporaryDir folder;
        std::vector<std::uint8_t> rgb(64 * 48 * 3, 90);
        testdata::writeDicom((folder.path() + "/a_lesion.dcm").toStdString(), 64, 48, rgb,
                             {"1.2.840.10008.5.1.4.1.1.77.1.7", true, EXS_LittleEndianExplicit});
        QFile bad(folder.path() + "/b_broken.jpg");
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("\xFF\xD8\xFF broken");
        bad.close();
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        QSignalSpy failed(window_.get(), &MainWindow::errorShown);
        window_->openFolder(folder.path());
        QVERIFY(shown.wait(30000));
        QCOMPARE(window_->findChild<QLabel*>("modalityBadge")->text(),
                 QStringLiteral("DERMOSCOPIC"));
        window_->next();
        QVERIFY(failed.wait(30000));
        QString table;
        auto* details = window_->imageDetails();
        for (int r = 0; r < details->rowCount(); ++r)
            table += details->item(r, 0)->text() + "=" + details->item(r, 1)->text() + ";";
        QVERIFY2(table.startsWith("File=b_broken.jpg;") && !table.contains("Patient") &&
                     !table.contains("DICOM"),
                 qPrintable(table));
        QVERIFY(window_->findChild<QLabel*>("modalityBadge")->text().isEmpty());
        QCOMPARE(window_->analysisPanel()->malignantText(), QStringLiteral("–"));
    }

    // Issue 13.8: the model card is a readable document with the ROC curve, not raw JSON.
    void modelCardIsADocument() {
        ModelCardDialog* card = window_->showModelCard();
        QVERIFY(card);
        QVERIFY2(card->documentText().contains("gui test model"), qPrintable(card->documentText()));
        QVERIFY(!card->documentText().contains("{\""));
        QVERIFY(card->rocChart());
        testdata::saveScreenshot(card, "model-card.png");
        card->close();
    }

    // Issue 13.10: one entry per action in each menu, and a shortcut sheet that lists them.
    void menusHaveNoDuplicatesAndTheSheetListsEveryShortcut() {
        int withKeys = 0;
        for (QAction* menu : window_->menuBar()->actions()) {
            QStringList texts;
            for (QAction* action : menu->menu()->actions()) {
                if (action->isSeparator())
                    continue;
                QVERIFY2(!texts.contains(action->text()), qPrintable(action->text()));
                texts << action->text();
                withKeys += action->shortcuts().isEmpty() ? 0 : 1;
            }
        }
        const auto sheet = window_->shortcutSheet();
        QCOMPARE(int(sheet.size()), withKeys);
        bool next = false;
        for (const auto& [action, keys] : sheet)
            next = next ||
                   (action.endsWith("Next image") && keys.contains("J") && keys.contains("PgDown"));
        QVERIFY(next);
        QDialog* dialog = window_->showShortcuts();
        QCOMPARE(dialog->findChild<QTableWidget*>("shortcutTable")->rowCount(), withKeys);
        testdata::saveScreenshot(dialog, "shortcuts.png");
        dialog->close();
    }

    void settingsChangeThresholdsAndReloadTheModel() {
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        window_->openFolder(images_);
        QVERIFY(shown.wait(30000));
        const double p = window_->shownPrediction()->malignant;
        WorkstationSettings settings;
        settings.modelBundle = bundle_;
        settings.save();  // the model in use: only the thresholds change below
        settings.thresholds.review = p / 4;
        settings.thresholds.biopsy = p / 2;
        window_->applySettings(settings);
        QVERIFY2(window_->analysisPanel()->verdictText().startsWith("Above the biopsy threshold"),
                 qPrintable(window_->analysisPanel()->verdictText()));
        settings.thresholds.review = std::min(0.999, p + 0.001);
        settings.thresholds.biopsy = std::min(1.0, p + 0.002);
        window_->applySettings(settings);
        QVERIFY(window_->analysisPanel()->verdictText().startsWith("Below the review threshold"));
        // Turning on test-time augmentation reloads the model and analyses the image again.
        shown.clear();
        settings.testTimeAugmentation = true;
        window_->applySettings(settings);
        QVERIFY(shown.wait(30000));
        QVERIFY(window_->shownPrediction());
        QVERIFY(std::abs(window_->shownPrediction()->malignant - p) > 1e-9);
        settings.testTimeAugmentation = false;
        settings.thresholds.review = 0.2;
        settings.thresholds.biopsy = 0.5;
        settings.save();
    }

    // Issue 13.7: a one-page report with the result, the model and its validation, patient and
    // study fields from DICOM, the "not a medical device" line, and no text off the page.
    void exportsAOnePageReport() {
        QTemporaryDir folder;
        std::vector<std::uint8_t> rgb(64 * 48 * 3, 120);
        testdata::writeDicom((folder.path() + "/lesion.dcm").toStdString(), 64, 48, rgb,
                             {"1.2.840.10008.5.1.4.1.1.77.1.7", true, EXS_LittleEndianExplicit});
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        QSignalSpy saliency(window_.get(), &MainWindow::saliencyShown);
        window_->setOverlayEnabled(true);
        window_->openFolder(folder.path());
        QVERIFY(shown.wait(30000));
        QVERIFY(!saliency.isEmpty() || saliency.wait(30000));
        const QString pdf = dir_.filePath("case.pdf");
        window_->exportReport(pdf);
        QFile file(pdf);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QVERIFY(file.read(5) == "%PDF-");
        // The same result as DICOM objects in the image's study (File > Export results as DICOM).
        QTemporaryDir results;
        window_->exportDicomResults(results.path(), "biopsy");
        QCOMPARE(QDir(results.path()).entryList({"*.dcm"}, QDir::Files),
                 QStringList({"lesion-overlay.dcm", "lesion-report.dcm", "lesion-sr.dcm"}));
        QFile sr(QDir(results.path()).filePath("lesion-sr.dcm"));  // the decision is filed
        QVERIFY(sr.open(QIODevice::ReadOnly));
        const QByteArray srBytes = sr.readAll();
        QVERIFY(srBytes.contains("Reader decision") && srBytes.contains("biopsy"));
        if (QStandardPaths::findExecutable("pdftotext").isEmpty())
            QSKIP("pdftotext (poppler-utils) is not installed");
        QProcess info;
        info.start("pdfinfo", {pdf});
        QVERIFY(info.waitForFinished(30000));
        const QString pages = QString::fromUtf8(info.readAllStandardOutput());
        QVERIFY2(pages.contains(QRegularExpression("Pages:\\s+1\\n")), qPrintable(pages));
        QProcess text;
        text.start("pdftotext", {"-bbox", pdf, "-"});
        QVERIFY(text.waitForFinished(30000));
        const QString html = QString::fromUtf8(text.readAllStandardOutput());
        QString words;
        double pageWidth = 0, maxRight = 0;
        const QRegularExpression page("<page width=\"([0-9.]+)\"");
        const QRegularExpression word(
            "<word xMin=\"[0-9.]+\" yMin=\"[0-9.]+\" xMax=\"([0-9.]+)\"[^>]*>([^<]*)</word>");
        pageWidth = page.match(html).captured(1).toDouble();
        for (auto it = word.globalMatch(html); it.hasNext();) {
            const auto m = it.next();
            maxRight = std::max(maxRight, m.captured(1).toDouble());
            words += m.captured(2) + " ";
        }
        QVERIFY(pageWidth > 500);
        QVERIFY2(maxRight < pageWidth - 30,
                 qPrintable(QString("%1 of %2").arg(maxRight).arg(pageWidth)));
        const QString p = window_->analysisPanel()->malignantText().section(' ', 0, 0);
        for (const QString& expected :
             {QString("lesion.dcm"), QString("Test, Patient"), QString("gui test model"),
              QString("medical device"), p, QString("Saliency overlay"), QString("review"),
              QString("assessment")}) {
            QVERIFY2(words.contains(expected), qPrintable(expected + " not in: " + words));
        }
        QVERIFY(!words.contains("Test^Patient"));
        QCOMPARE(ws::reportFolder(), dir_.path());  // the next save dialog starts here
        const QString screenshots = qEnvironmentVariable("DERMREADER_SCREENSHOT_DIR");
        if (!screenshots.isEmpty()) {
            QDir().mkpath(screenshots);
            QFile::remove(screenshots + "/case-report.pdf");
            QFile::copy(pdf, screenshots + "/case-report.pdf");
        }
        window_->setOverlayEnabled(false);
    }

    void libraryRecordsFoldersAndFilters() {
        QTemporaryDir folder;
        for (const char* name : {"a_clinical.jpg", "b_other.jpg"})
            QFile::copy(images_ + "/" + QDir(images_).entryList({"ISIC*.jpg"}).first(),
                        folder.path() + "/" + name);
        testdata::writeDicom((folder.path() + "/c_lesion.dcm").toStdString(), 16, 12,
                             std::vector<std::uint8_t>(16 * 12 * 3, 120),
                             {"1.2.840.10008.5.1.4.1.1.77.1.7", true, EXS_LittleEndianExplicit});
        LibraryBrowser* browser = window_->browser();
        QVERIFY(browser->hasLibrary());
        QSignalSpy imported(browser, &LibraryBrowser::importFinished);
        window_->openFolder(folder.path());
        QCOMPARE(browser->rowCount(), 3);  // listed at once, recorded in the background
        QVERIFY(imported.wait(30000));
        QCOMPARE(browser->rowCount(), 3);
        const auto* record = browser->model()->recordAt(2);
        QVERIFY(record);
        QCOMPARE(QString::fromStdString(eng::toString(record->modality)), QString("dermoscopic"));
        QCOMPARE(QString::fromStdString(record->patientId), QString("P123"));

        browser->setModalityFilter(eng::ImageModality::Dermoscopic);
        QCOMPARE(browser->rowCount(), 1);
        QVERIFY(browser->currentPath().endsWith("c_lesion.dcm"));
        browser->setModalityFilter(std::nullopt);
        QCOMPARE(browser->rowCount(), 3);
        browser->setSearchText("b_OTHER");
        QCOMPARE(browser->rowCount(), 1);
        browser->setSearchText("P123");  // the DICOM patient id
        QCOMPARE(browser->rowCount(), 1);
        browser->setSearchText({});
        // Grid and list views share one current image.
        browser->selectRow(1);
        browser->setListMode(true);
        QVERIFY(browser->listMode());
        QCOMPARE(browser->currentRow(), 1);
        browser->setListMode(false);
    }

    void importsQueueAndImagesKeepEveryCollection() {
        QTemporaryDir folder;
        const QStringList samples = QDir(images_).entryList({"ISIC*.jpg"});
        for (const QString& name : samples.mid(0, 2))
            QFile::copy(images_ + "/" + name, folder.path() + "/" + name);
        QFile csv(folder.path() + "/queued.csv");
        QVERIFY(csv.open(QIODevice::WriteOnly));
        csv.write(("path,label,modality\n" + samples[0] + ",melanoma,dermoscopic\n" + samples[1] +
                   ",nevus,dermoscopic\n")
                      .toUtf8());
        csv.close();
        LibraryBrowser* browser = window_->browser();
        QSignalSpy imported(browser, &LibraryBrowser::importFinished);
        window_->openFolder(folder.path());
        QVERIFY(signInCoordinator());
        window_->importDataset(csv.fileName(), "csv");  // queued behind the folder
        QTRY_COMPARE_WITH_TIMEOUT(imported.size(), 2, 30000);
        QCOMPARE(imported.at(1).at(0).toString(), QString("queued"));
        QCOMPARE(browser->rowCount(), 2);  // the dataset, shown after its import
        QVERIFY(browser->model()->recordAt(0)->diagnosisNode.has_value());
        browser->showCollection(QDir::cleanPath(folder.path()));
        QCOMPARE(browser->rowCount(), 2);  // still in the folder's collection too
        QCOMPARE(QString::fromStdString(eng::toString(browser->model()->recordAt(0)->modality)),
                 QString("dermoscopic"));
    }

    // A failed import says it failed (it used to say "0 added"); a cancelled one says what it
    // kept.
    void failedAndCancelledImportsSaySo() {
        LibraryBrowser* browser = window_->browser();
        QSignalSpy imported(browser, &LibraryBrowser::importFinished);
        QSignalSpy messages(browser, &LibraryBrowser::message);
        QTemporaryDir data;
        QFile csv(data.path() + "/broken.csv");
        QVERIFY(csv.open(QIODevice::WriteOnly));
        csv.write("no,header,of,this,format\n1,2,3,4,5\n");
        csv.close();
        QVERIFY(signInCoordinator());
        window_->importDataset(csv.fileName(), "ham10000");
        QVERIFY(imported.wait(30000));
        QVERIFY(!messages.isEmpty());
        QVERIFY2(messages.last().at(0).toString().startsWith("Adding images failed"),
                 qPrintable(messages.last().at(0).toString()));
        QVERIFY(messages.last().at(0).toString().contains("broken.csv"));

        imported.clear();
        window_->openFolder(images_);
        browser->cancelImport();
        QVERIFY(imported.wait(30000));
        QVERIFY2(messages.last().at(0).toString().startsWith("Adding images cancelled"),
                 qPrintable(messages.last().at(0).toString()));
    }

    void importedDatasetShowsDiagnosesAndRecordsRisk() {
        const QStringList samples = QDir(images_).entryList({"ISIC*.jpg"});
        QTemporaryDir data;
        QFile csv(data.path() + "/labels.csv");
        QVERIFY(csv.open(QIODevice::WriteOnly));
        csv.write("path,label,modality\n");
        // Images of their own content: risks are kept per content and model, and earlier
        // test functions view the samples.
        QStringList files;
        for (int i = 0; i < 2; ++i) {
            QImage image(images_ + "/" + samples[i]);
            image.setPixelColor(0, 0, QColor(1, 2, 3 + i));
            files << data.path() + QStringLiteral("/own_%1.png").arg(i);
            QVERIFY(image.save(files.back()));
        }
        csv.write((files[0] + ",melanoma,dermoscopic\n").toUtf8());
        csv.write((files[1] + ",nevus,dermoscopic\n").toUtf8());
        csv.write("missing.jpg,nevus,dermoscopic\n");  // reported, not fatal
        csv.close();
        LibraryBrowser* browser = window_->browser();
        QSignalSpy imported(browser, &LibraryBrowser::importFinished);
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        QVERIFY(signInCoordinator());
        window_->importDataset(csv.fileName(), "csv");
        QVERIFY(imported.wait(30000));
        QCOMPARE(imported.last().at(1).toInt(), 2);  // new labels for the two images
        QCOMPARE(imported.last().at(2).toInt(), 1);  // problems
        QCOMPARE(browser->rowCount(), 2);
        browser->setDiagnosisFilter(dermreader::records::LibraryFilter::Diagnosis::Known);
        QCOMPARE(browser->rowCount(), 2);
        const QModelIndex diagnosis = browser->model()->index(0, LibraryModel::DiagnosisColumn);
        QCOMPARE(diagnosis.data().toString(),
                 QString::fromStdString(taxonomy().node(*taxonomy().find("melanoma")).name));

        // Viewing an image records what the model said, and the risk filter uses it.
        browser->selectRow(0);
        QTRY_VERIFY_WITH_TIMEOUT(window_->shownPrediction().has_value(), 30000);
        const QString path = window_->currentPath();
        const double p = window_->shownPrediction()->malignant;
        QTRY_VERIFY(browser->model()->recordAt(0)->malignant.has_value());
        QVERIFY(std::abs(*browser->model()->recordAt(0)->malignant - p) < 1e-9);
        using Risk = dermreader::records::LibraryFilter::Risk;
        browser->setRiskFilter(Risk::NotPredicted, 0);
        QCOMPARE(browser->rowCount(), 1);
        QVERIFY(browser->model()->pathAt(0) != path);
        browser->setRiskFilter(p >= 0.2 ? Risk::AtLeast : Risk::Below, 0.2);
        QCOMPARE(browser->rowCount(), 1);
        QCOMPARE(browser->model()->pathAt(0), path);
    }

    void aBadDatabaseLeavesFolderBrowsing() {
        // The database path is a JPEG: the library is off with a message naming the file, and
        // the folder is still browsed and analysed.
        const QString notADatabase = images_ + "/" + QDir(images_).entryList({"ISIC*.jpg"}).first();
        window_.reset();
        session_ = testdata::makeSession(notADatabase, bundle_);
        QVERIFY(session_->reloadModel());
        window_ = std::make_unique<MainWindow>(*session_);
        window_->show();
        QVERIFY(!window_->browser()->hasLibrary());
        QVERIFY2(window_->browser()->libraryError().contains(QFileInfo(notADatabase).fileName()),
                 qPrintable(window_->browser()->libraryError()));
        QSignalSpy shown(window_.get(), &MainWindow::predictionShown);
        window_->openFolder(images_);
        QVERIFY(shown.wait(30000));
        QCOMPARE(window_->browser()->rowCount(), 6);
        window_->browser()->setSearchText("zz_");  // name filter without a library
        QCOMPARE(window_->browser()->rowCount(), 1);
        // The file itself is untouched.
        QVERIFY(!QImage(notADatabase).isNull());
    }

    void worksWithoutAModel() {
        window_.reset();
        WorkstationSettings{}.save();  // no Settings bundle to fall back on
        // A database of its own: no registry model to fall back on either.
        session_ = testdata::makeSession(dir_.filePath("without-a-model.sqlite"),
                                         dir_.filePath("no-such-model"));
        QVERIFY(!session_->reloadModel());
        QVERIFY(session_->modelError().contains("no-such-model"));
        window_ = std::make_unique<MainWindow>(*session_);
        window_->refreshStatus();
        window_->show();
        window_->openFolder(images_);
        QTRY_COMPARE_WITH_TIMEOUT(window_->viewer()->imageSize(), QSize(256, 256), 30000);
        QVERIFY(window_->analysisPanel()->malignantText() == QStringLiteral("–"));
    }

    // Issue 14.9: known diagnoses only while a coordinator or trainer is signed in; nobody
    // else imports labels.
    void diagnosesOnlyWhileACoordinatorIsSignedIn() {
        const QStringList samples = QDir(images_).entryList({"ISIC*.jpg"});
        QTemporaryDir data;
        QFile csv(data.path() + "/truth.csv");
        QVERIFY(csv.open(QIODevice::WriteOnly));
        csv.write(("path,label,modality\n" + images_ + "/" + samples[0] + ",melanoma,dermoscopic\n")
                      .toUtf8());
        csv.close();
        LibraryBrowser* browser = window_->browser();
        QSignalSpy imported(browser, &LibraryBrowser::importFinished);
        QSignalSpy errors(session_.get(), &ws::WorkstationSession::errorOccurred);

        // Nobody signed in: the import is refused (and reported), nothing is labelled.
        QVERIFY(!browser->labelsShown());
        browser->importDataset(csv.fileName(), dermreader::training::DatasetFormat::GenericCsv);
        QVERIFY(imported.wait(30000));
        QVERIFY(!errors.isEmpty());
        QVERIFY2(errors.last().at(1).toString().contains("coordinator or trainer"),
                 qPrintable(errors.last().at(1).toString()));

        QVERIFY(signInCoordinator());
        QVERIFY(browser->labelsShown());
        window_->importDataset(csv.fileName(), "csv");
        QVERIFY(imported.wait(30000));
        QCOMPARE(browser->rowCount(), 1);
        auto* list = browser->findChild<QTreeView*>();
        QVERIFY(list && !list->isColumnHidden(LibraryModel::DiagnosisColumn));
        QVERIFY(browser->model()->recordAt(0)->hasLabels());
        QVERIFY(
            !browser->model()->index(0, LibraryModel::DiagnosisColumn).data().toString().isEmpty());
        browser->setSearchText("melanoma");
        QCOMPARE(browser->rowCount(), 1);

        // Signing out hides them at once: no column, no labels in the records, no search by them.
        window_->signOut();
        QVERIFY(!browser->labelsShown());
        QVERIFY(list->isColumnHidden(LibraryModel::DiagnosisColumn));
        QCOMPARE(browser->rowCount(), 0);  // "melanoma" matches no name or patient
        browser->setSearchText({});
        QVERIFY(browser->rowCount() > 0);
        for (int row = 0; row < browser->model()->rowCount(); ++row) {
            const auto* record = browser->model()->recordAt(row);
            QVERIFY(!record || !record->hasLabels());
        }
    }

  private:
    // The coordinator every test function of this file shares ("coord"), created by the first.
    bool signInCoordinator() {
        QString error;
        const bool ok =
            session_->needsFirstAccount()
                ? session_->createFirstCoordinator("coord", "coord-pass", 3, &error).has_value()
                : session_->signIn("coord", "coord-pass", &error).has_value();
        if (!ok)
            qWarning("cannot sign in: %s", qPrintable(error));
        return ok && session_->labelViewer().has_value();
    }

    QTemporaryDir dir_;
    QString images_, bundle_;
    std::unique_ptr<eng::Predictor> predictor_;
    int accounts_ = 0;
    std::unique_ptr<dermreader::workstation::WorkstationSession> session_;
    std::unique_ptr<MainWindow> window_;
};

QTEST_MAIN(TestWorkstation)
#include "tst_workstation.moc"
