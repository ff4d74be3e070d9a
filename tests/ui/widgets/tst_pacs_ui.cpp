// The PACS windows against a real Orthanc, driven from the keyboard: Settings > PACS (add a
// node, test the connection, refuse a bad AE title), and File > Query/Retrieve (type a patient
// ID, Enter searches, Alt+R retrieves the ticked dermatology series into the library; a study
// without dermatology images and an unreachable node say so in the dialog).

#include <dcmtk/dcmdata/dcuid.h>
#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTcpServer>
#include <QtTest>

#include "DicomFixtures.h"
#include "Mnemonics.h"
#include "OrthancServer.h"
#include "Screenshots.h"
#include "TestModels.h"
#include "TestSession.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/ui/LibraryBrowser.h"
#include "dermreader/ui/MainWindow.h"
#include "dermreader/ui/PacsDialog.h"
#include "dermreader/ui/PacsSettingsPage.h"
#include "dermreader/ui/SettingsDialog.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/PacsTransfers.h"

namespace fs = std::filesystem;
namespace ws = dermreader::workstation;
namespace pacs = dermreader::pacs;
using dermreader::ui::LibraryBrowser;
using dermreader::ui::MainWindow;
using dermreader::ui::PacsDialog;
using dermreader::ui::PacsSettingsPage;

namespace {

constexpr const char* kDermStudy = "1.2.826.0.1.3680043.10.1234.21";
constexpr const char* kDermSeries = "1.2.826.0.1.3680043.10.1234.21.1";
constexpr const char* kOtherStudy = "1.2.826.0.1.3680043.10.1234.22";

}  // namespace

class TestPacsUi : public QObject {
    Q_OBJECT

  private:
    QTemporaryDir dir_;
    std::unique_ptr<testdata::OrthancServer> orthanc_;
    std::unique_ptr<ws::WorkstationSession> session_;
    std::unique_ptr<MainWindow> window_;

    pacs::DicomNode node() const { return orthanc_->node("Clinic PACS"); }

  private Q_SLOTS:
    void initTestCase() {
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, dir_.filePath("settings"));
        QCoreApplication::setOrganizationName("dermreader-pacs-tests");
        orthanc_ = std::make_unique<testdata::OrthancServer>(testdata::OrthancServer::Options{});
        DERMREADER_START_ORTHANC_OR_SKIP(*orthanc_);
        std::vector<fs::path> fixtures;
        for (int i = 0; i < 3; ++i) {
            testdata::DicomSpec spec{i < 2 ? UID_VLPhotographicImageStorage
                                           : UID_SecondaryCaptureImageStorage};
            spec.modality = i < 2 ? "XC" : "OT";
            spec.patientId = i < 2 ? "DERM-100" : "DERM-200";
            spec.studyUid = i < 2 ? kDermStudy : kOtherStudy;
            spec.seriesUid = i < 2 ? kDermSeries : nullptr;
            const fs::path file =
                fs::path(dir_.path().toStdString()) / ("fixture" + std::to_string(i) + ".dcm");
            testdata::writeDicom(file, 40, 30, std::vector<std::uint8_t>(40 * 30 * 3, 120), spec);
            fixtures.push_back(file);
        }
        ws::PacsSettings settings;
        settings.nodes = {node()};
        QCOMPARE(ws::pacsClient(settings, node()).store(fixtures).stored.size(), std::size_t{3});

        const QString bundle = dir_.filePath("model");
        dermreader::engine::createInitialBundle(
            bundle.toStdString(), testdata::testManifest("pacs test model", {"nevus", "melanoma"}),
            3);
        session_ = testdata::makeSession(dir_.filePath("library.sqlite"), bundle);
        QVERIFY2(session_->reloadModel(), qPrintable(session_->modelError()));
        window_ = std::make_unique<MainWindow>(*session_);
        window_->show();
    }

    void settingsPageAddsTestsAndValidatesANode() {
        PacsSettingsPage page(session_->settings().pacs, session_.get());
        page.addNode();
        auto* aeTitle = page.findChildren<QLineEdit*>().at(1);
        auto* host = page.findChildren<QLineEdit*>().at(2);
        QVERIFY(aeTitle && host);
        aeTitle->clear();
        QTest::keyClicks(aeTitle, orthanc_->aeTitle());
        host->clear();
        QTest::keyClicks(host, "127.0.0.1");
        auto* port = page.findChild<QSpinBox*>();
        port->setValue(orthanc_->dicomPort());
        page.testConnection();
        QTRY_VERIFY_WITH_TIMEOUT(page.testResult().startsWith("OK"), 20000);
        QCOMPARE(page.settings().nodes.size(), std::size_t{1});
        QCOMPARE(page.settings().nodes[0].port, orthanc_->dicomPort());
        QVERIFY(page.problem().isEmpty());
        aeTitle->setText("BAD\\AE");  // a backslash separates values in DICOM
        QVERIFY2(page.problem().contains("AE title"), qPrintable(page.problem()));
    }

    // Each Alt+letter reaches one field: the settings (both tabs) and the dialog.
    void mnemonicsDoNotClash() {
        dermreader::ui::SettingsDialog settings(session_->settings(), session_.get());
        auto* tabs = settings.findChild<QTabWidget*>();
        QVERIFY(tabs);
        for (int tab = 0; tab < tabs->count(); ++tab) {
            tabs->setCurrentIndex(tab);
            const QStringList clashes = testdata::clashingMnemonics(&settings);
            QVERIFY2(clashes.isEmpty(), qPrintable(clashes.join("; ")));
        }
        PacsDialog dialog(*session_);
        const QStringList clashes = testdata::clashingMnemonics(&dialog);
        QVERIFY2(clashes.isEmpty(), qPrintable(clashes.join("; ")));
    }

    // An open dialog follows Settings > PACS: a node added there can be searched at once.
    void dialogWithoutNodesSaysWhereToAddOne() {
        PacsDialog dialog(*session_);
        QVERIFY2(dialog.statusText().contains("Settings > PACS"), qPrintable(dialog.statusText()));
        auto* nodes = dialog.findChild<QComboBox*>();
        QCOMPARE(nodes->count(), 0);
        ws::WorkstationSettings settings = session_->settings();
        settings.pacs.nodes = {node()};
        session_->applySettings(settings);
        QCOMPARE(nodes->count(), 1);
        QVERIFY(nodes->currentText().contains("Clinic PACS"));
        QVERIFY(dialog.statusText().isEmpty());
        dialog.search();
        QTRY_COMPARE_WITH_TIMEOUT(dialog.studyTable()->rowCount(), 2, 20000);
        // The node removed: its studies go too (their series and retrieval would have no node).
        settings.pacs.nodes.clear();
        session_->applySettings(settings);
        QCOMPARE(nodes->count(), 0);
        QCOMPARE(dialog.studyTable()->rowCount(), 0);
        QCOMPARE(dialog.seriesTable()->rowCount(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(session_->jobs().running(), 0, 20000);  // the series query
    }

    // A node that accepts the connection and never answers: Cancel gives the dialog back at
    // once (the query's late answer, if any, is dropped).
    void cancellingASearchReturnsAtOnce() {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        ws::WorkstationSettings settings = session_->settings();
        pacs::DicomNode mute = node();
        mute.name = "Silent PACS";
        mute.port = silent.serverPort();
        settings.pacs.nodes = {mute};
        const auto usualTimeouts = settings.pacs.timeouts;
        settings.pacs.timeouts.connectSeconds = settings.pacs.timeouts.responseSeconds = 3;
        session_->applySettings(settings);
        PacsDialog dialog(*session_);
        dialog.search();
        QVERIFY(dialog.busy());
        QTest::keyClick(&dialog, Qt::Key_Escape);  // Esc cancels first
        QVERIFY(!dialog.busy());
        QVERIFY2(dialog.statusText().contains("cancelled"), qPrintable(dialog.statusText()));
        const auto buttons = dialog.findChildren<QPushButton*>();
        QVERIFY(std::any_of(buttons.begin(), buttons.end(), [](QPushButton* button) {
            return button->text() == "&Search" && button->isEnabled();
        }));
        // The query gives up on its own (the ACSE timeout); its end changes nothing.
        QTRY_COMPARE_WITH_TIMEOUT(session_->jobs().running(), 0, 30000);
        QCoreApplication::processEvents();
        QCOMPARE(dialog.studyTable()->rowCount(), 0);
        QVERIFY2(dialog.statusText().contains("cancelled"), qPrintable(dialog.statusText()));
        settings.pacs.timeouts = usualTimeouts;  // the next tests talk to Orthanc under load
        session_->applySettings(settings);
    }

    void searchAndRetrieveFromTheKeyboard() {
        ws::WorkstationSettings settings = session_->settings();
        settings.pacs.nodes = {node()};
        session_->applySettings(settings);
        PacsDialog* dialog = window_->openPacs();
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        auto* patientId = dialog->findChildren<QLineEdit*>().at(0);
        patientId->setFocus();
        QTest::keyClicks(patientId, "DERM-100");
        QTest::keyClick(patientId, Qt::Key_Return);  // the default button searches
        QTRY_COMPARE_WITH_TIMEOUT(dialog->studyTable()->rowCount(), 1, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->seriesTable()->rowCount(), 1, 20000);
        QCOMPARE(dialog->seriesTable()->item(0, 0)->checkState(), Qt::Checked);  // XC is ticked
        QCOMPARE(dialog->seriesTable()->item(0, 2)->text(), QStringLiteral("XC"));

        QSignalSpy retrieved(dialog, &PacsDialog::retrieved);
        QSignalSpy imported(window_->browser(), &LibraryBrowser::importFinished);
        QTRY_VERIFY(!dialog->busy());
        QTest::keyClick(dialog, Qt::Key_R, Qt::AltModifier);
        QTRY_COMPARE_WITH_TIMEOUT(retrieved.count(), 1, 30000);
        QCOMPARE(retrieved.at(0).at(1).toInt(), 2);
        QTRY_COMPARE_WITH_TIMEOUT(imported.count(), 1, 30000);
        QCOMPARE(window_->browser()->rowCount(), 2);
        QVERIFY2(dialog->statusText().contains("2 image"), qPrintable(dialog->statusText()));
        testdata::saveScreenshot(dialog, "pacs-query-retrieve.png");
    }

    // The retrieved image on screen, its results go back to the PACS from the main window
    // with the clinician's decision, into the image's study; audited.
    void resultsGoBackFromTheMainWindow() {
        QTRY_VERIFY_WITH_TIMEOUT(window_->shownPrediction().has_value(), 60000);
        QSignalSpy saliency(window_.get(), &MainWindow::saliencyShown);
        window_->setOverlayEnabled(true);  // the overlay goes back as a Secondary Capture
        QVERIFY(!saliency.isEmpty() || saliency.wait(60000));
        const int before = orthanc_->instanceCount();
        ws::Job* job = window_->sendResultsToPacs("Clinic PACS", "biopsy");
        QVERIFY(job);
        QSignalSpy finished(job, &ws::Job::finished);
        QVERIFY(finished.wait(60000));
        QCOMPARE(orthanc_->instanceCount(), before + 3);  // SR, overlay, PDF
        const auto log = dermreader::records::readAuditLog(session_->database());
        QVERIFY(std::any_of(log.begin(), log.end(), [](const auto& entry) {
            return entry.action == "results sent to PACS" &&
                   entry.detail.find("3 of 3") != std::string::npos;
        }));
    }

    void studyWithoutDermatologyImagesIsSaid() {
        PacsDialog dialog(*session_);
        auto* patientId = dialog.findChildren<QLineEdit*>().at(0);
        QTest::keyClicks(patientId, "DERM-200");
        dialog.search();
        QTRY_COMPARE_WITH_TIMEOUT(dialog.studyTable()->rowCount(), 1, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(dialog.seriesTable()->rowCount(), 1, 20000);
        QTRY_VERIFY(dialog.statusText().contains("no dermatology images"));
        QCOMPARE(dialog.seriesTable()->item(0, 0)->checkState(), Qt::Unchecked);
        // Retrieving anyway (nothing ticked) is refused with the node's reason.
        dialog.retrieve();
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.busy(), 20000);
        QVERIFY2(dialog.statusText().contains("no dermatology images") &&
                     dialog.statusText().contains("OT"),
                 qPrintable(dialog.statusText()));
    }

    void unreachableNodeIsSaidInTheDialog() {
        ws::WorkstationSettings settings = session_->settings();
        pacs::DicomNode closed = node();
        closed.name = "Closed PACS";
        closed.port = testdata::freeLoopbackPort();
        settings.pacs.nodes = {closed};
        session_->applySettings(settings);
        PacsDialog dialog(*session_);
        dialog.search();
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.busy(), 20000);
        QVERIFY2(dialog.statusText().contains("cannot connect to Closed PACS"),
                 qPrintable(dialog.statusText()));
        // Results sent there: the status bar says why instead of "Sending…".
        ws::Job* job = window_->sendResultsToPacs("Closed PACS", {});
        QVERIFY(job);
        QSignalSpy finished(job, &ws::Job::finished);
        QVERIFY(finished.wait(30000));
        QVERIFY2(window_->statusBar()->currentMessage().contains("cannot connect to Closed PACS"),
                 qPrintable(window_->statusBar()->currentMessage()));
    }

    void cleanupTestCase() {
        window_.reset();
        if (session_)
            session_->jobs().waitForIdle(30000);
        session_.reset();
    }
};

QTEST_MAIN(TestPacsUi)
#include "tst_pacs_ui.moc"
