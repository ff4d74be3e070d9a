// The reader-study windows, offscreen: a reader decides by key and every decision is in the
// database before the next case shows; pausing resumes at the same case; the AI-assisted read
// shows the CNN; the results view draws the Fig. 3 comparison and exports it; a coordinator
// creates, scores and opens a study from a labelled library collection.
// With DERMREADER_SCREENSHOT_DIR set, the results view is saved there for review.
#include <QtTest>

#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPointer>
#include <QProgressBar>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QSlider>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QValueAxis>
#include <fstream>

#include "Screenshots.h"
#include "TestModels.h"
#include "TestSession.h"
#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/engine/ModelManifest.h"
#include "dermreader/engine/Predictor.h"
#include "dermreader/records/ImageLibrary.h"
#include "dermreader/records/Schema.h"
#include "dermreader/training/Dataset.h"
#include "dermreader/ui/AdminWindow.h"
#include "dermreader/ui/Confirm.h"
#include "dermreader/ui/CoordinatorDialogs.h"
#include "dermreader/ui/ImageViewer.h"
#include "dermreader/ui/LockScreen.h"
#include "dermreader/ui/MainWindow.h"
#include "dermreader/ui/ReadingWindow.h"
#include "dermreader/ui/StudyResultsView.h"
#include "dermreader/ui/StudyWindows.h"
#include "dermreader/workstation/Jobs.h"
#include "dermreader/workstation/PredictionService.h"

using namespace dermreader::ui;
namespace rec = dermreader::records;
namespace ws = dermreader::workstation;
namespace eng = dermreader::engine;
namespace fs = std::filesystem;

namespace {

const dermreader::taxonomy::Taxonomy& taxonomy() {
    return dermreader::taxonomy::Taxonomy::builtin();
}

int countDecisions(const fs::path& database) {
    rec::Database db = rec::openWorkstationDatabase(database);  // a separate connection
    rec::Statement statement = db.prepare("SELECT count(*) FROM decisions");
    statement.step();
    return static_cast<int>(statement.integer(0));
}

// Starts scoring and waits for the job; true when the scores were stored.
bool scoreAndWait(dermreader::ui::StudyCoordinatorWindow& window, std::int64_t study) {
    QSignalSpy finished(&window, &dermreader::ui::StudyCoordinatorWindow::scoringFinished);
    if (!window.scoreCases(study))
        return false;
    if (finished.isEmpty() && !finished.wait(300000))
        return false;
    return finished.takeFirst().at(1).toBool();
}

}  // namespace

// Pearson correlation of two images' grey levels at 64x48: near 1 for the same picture at
// another resolution, far lower for a crop of it.
static double correlation(const QImage& a, const QImage& b) {
    const QSize size(64, 48);
    const QImage x = a.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation)
                         .convertToFormat(QImage::Format_Grayscale8);
    const QImage y = b.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation)
                         .convertToFormat(QImage::Format_Grayscale8);
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    const double n = size.width() * size.height();
    for (int r = 0; r < size.height(); ++r) {
        for (int c = 0; c < size.width(); ++c) {
            const double u = x.pixelColor(c, r).value(), v = y.pixelColor(c, r).value();
            sx += u;
            sy += v;
            sxx += u * u;
            syy += v * v;
            sxy += u * v;
        }
    }
    const double cov = sxy / n - sx * sy / n / n;
    return cov / std::sqrt((sxx / n - sx * sx / n / n) * (syy / n - sy * sy / n / n) + 1e-12);
}

class TestReaderStudyUi : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::vector<std::unique_ptr<ws::WorkstationSession>> sessions_;  // after dir_: gone first
    fs::path images_;
    QString bundle_;
    int databases_ = 0;

    // `malignant` melanomas and `benign` nevi as clinical PNGs, with a labels CSV.
    fs::path writeImages(int malignant, int benign) {
        const fs::path folder =
            fs::path(dir_.path().toStdString()) /
            ("images" + std::to_string(malignant) + "_" + std::to_string(benign));
        fs::create_directories(folder);
        std::ofstream csv(folder / "labels.csv");
        csv << "path,label,group,modality,biopsy_proven\n";
        for (int i = 0; i < malignant + benign; ++i) {
            const std::string name = (i < malignant ? "mel" : "nev") + std::to_string(i) + ".png";
            eng::saveImage(
                eng::RgbImage::filled(64, 48, static_cast<std::uint8_t>(40 + 3 * i), 90, 60),
                folder / name);
            csv << name << ',' << (i < malignant ? "melanoma" : "nevus") << ",L" << i
                << ",clinical,1\n";
        }
        return folder;
    }

    // The first coordinator (through the login dialog) and a labelled collection "labels" of
    // 4 melanomas and 4 nevi in the library.
    rec::User coordinatorWithLabelledImages(const fs::path& database, rec::Database& db) {
        LoginDialog first(sessionFor(database));
        if (!first.logIn("head", "coordinator-pass", 15))
            qFatal("cannot create the first coordinator");
        const fs::path folder = writeImages(4, 4);
        const auto dataset = dermreader::training::importDataset(
            folder / "labels.csv", dermreader::training::DatasetFormat::GenericCsv, taxonomy());
        rec::ImageLibrary(db, first.user()).addDataset(dataset, taxonomy());
        return *first.user();
    }

    fs::path newDatabase() {
        return fs::path(dir_.path().toStdString()) /
               ("ui" + std::to_string(++databases_) + ".sqlite");
    }

    struct Study {
        fs::path database;
        rec::User coordinator, reader;
        std::int64_t id = 0;
    };

    Study makeStudy(int malignant, int benign, bool confidence, bool assisted) {
        Study s;
        s.database = newDatabase();
        rec::Database db = rec::openWorkstationDatabase(s.database);
        rec::Accounts accounts(db);
        s.coordinator =
            accounts.create(std::nullopt, "coord", rec::Role::Coordinator, 9, "coord-pass");
        s.reader = accounts.create(s.coordinator, "reader", rec::Role::Reader, 6, "reader-pass");
        const fs::path folder = writeImages(malignant, benign);
        std::vector<rec::StudyCandidate> candidates;
        const auto dataset = dermreader::training::importDataset(
            folder / "labels.csv", dermreader::training::DatasetFormat::GenericCsv, taxonomy());
        for (const auto& image : dataset.images) {
            candidates.push_back({image.path, image.imageId, taxonomy().node(image.node).id,
                                  eng::ImageModality::Clinical, true, image.group});
        }
        rec::ReaderStudies studies(db, taxonomy());
        rec::StudySpec spec;
        spec.name = "ui study";
        spec.malignantCases = malignant;
        spec.benignCases = benign;
        spec.askConfidence = confidence;
        spec.aiAssisted = assisted;
        s.id = studies.create(s.coordinator, spec, candidates);
        std::vector<std::pair<std::int64_t, double>> scores;
        for (const auto& c : studies.cases(s.coordinator, s.id))
            scores.push_back({c.id, c.malignant ? 0.8 : 0.3});
        studies.setCnnScores(s.coordinator, s.id, "fixed scores", scores);
        studies.open(s.coordinator, s.id);
        studies.addReader(s.coordinator, s.id, s.reader.id);
        return s;
    }

    // A workstation session on `database` (kept until the test object goes, like the app's).
    ws::WorkstationSession& sessionFor(const fs::path& database, const QString& model = {}) {
        sessions_.push_back(
            testdata::makeSession(QString::fromStdString(database.string()), model));
        if (!model.isEmpty() && !sessions_.back()->reloadModel())
            qFatal("model not loaded: %s", qPrintable(sessions_.back()->modelError()));
        return *sessions_.back();
    }

    std::unique_ptr<ReadingWindow> readingWindow(const Study& s) {
        ws::WorkstationSession& workstation = sessionFor(s.database);
        auto session = std::make_unique<rec::ReaderSession>(workstation.database(), s.reader, s.id);
        auto window = std::make_unique<ReadingWindow>(workstation, std::move(session));
        window->show();
        return window;
    }

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        bundle_ = dir_.filePath("model");
        eng::createInitialBundle(
            bundle_.toStdString(),
            testdata::testManifest(
                "study ui test model",
                {"nevus", "melanoma", "seborrheic_keratosis", "basal_cell_carcinoma"}),
            5);
    }

    void everyKeyPressIsDurableBeforeTheNextCase() {
        const Study s = makeStudy(3, 3, false, false);
        auto window = readingWindow(s);
        QCOMPARE(window->statusText(), QString("Case 1 of 6"));
        QVERIFY(!window->aiShown());
        QVERIFY(window->viewer()->imageSize() == QSize(64, 48));
        for (int k = 1; k <= 3; ++k) {
            QTest::keyClick(window.get(), k % 2 ? Qt::Key_B : Qt::Key_R);
            // The next case is on screen only after its predecessor is in the database.
            QCOMPARE(countDecisions(s.database), k);
            QCOMPARE(window->statusText(), QString("Case %1 of 6").arg(k + 1));
        }
        const auto pausedAt = window->currentCase()->caseId;
        QSignalSpy paused(window.get(), &ReadingWindow::paused);
        QTest::keyClick(window.get(), Qt::Key_Escape);
        QCOMPARE(paused.count(), 1);
        window.reset();

        auto resumed = readingWindow(s);
        QCOMPARE(resumed->currentCase()->caseId, pausedAt);
        QCOMPARE(resumed->statusText(), QString("Case 4 of 6"));
        QSignalSpy finished(resumed.get(), &ReadingWindow::finished);
        for (int k = 4; k <= 6; ++k)
            resumed->decide(true);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(countDecisions(s.database), 6);
        QVERIFY(!resumed->currentCase());
        // Issue 13.14: a clear end screen, and the bar says how far the reader is.
        QVERIFY(resumed->endScreenShown());
        QVERIFY(!resumed->viewer()->isVisible());
        testdata::saveScreenshot(resumed.get(), "reading-end-screen.png");
        auto* bar = resumed->findChild<QProgressBar*>();
        QVERIFY(bar && bar->text().contains("6 of 6"));
    }

    void confidenceIsRequiredWhenAsked() {
        const Study s = makeStudy(1, 1, true, false);
        auto window = readingWindow(s);
        // Issue 13.14: the control starts visibly unset (no handle), and a digit sets it.
        QVERIFY(!window->confidenceSet());
        auto* slider = window->findChild<QSlider*>();
        QVERIFY(slider && slider->property("unset").toBool());
        window->resize(1280, 800);
        testdata::saveScreenshot(window.get(), "reading-confidence-unset.png");
        QTest::keyClick(window.get(), Qt::Key_B);  // no confidence yet: nothing recorded
        QCOMPARE(countDecisions(s.database), 0);
        QTest::keyClick(window.get(), Qt::Key_9);
        QVERIFY(window->confidenceSet());
        QVERIFY(!slider->property("unset").toBool());
        QTest::keyClick(window.get(), Qt::Key_B);
        QCOMPARE(countDecisions(s.database), 1);
        QVERIFY(!window->confidenceSet());  // unset again for the next case
        QVERIFY(slider->property("unset").toBool());
        rec::Database db = rec::openWorkstationDatabase(s.database);
        rec::Statement confidence = db.prepare("SELECT confidence FROM decisions");
        QVERIFY(confidence.step());
        QCOMPARE(confidence.integer(0), 100);
    }

    void assistedReadShowsTheCnn() {
        const Study s = makeStudy(1, 1, false, true);
        auto window = readingWindow(s);
        QVERIFY(!window->aiShown());
        const auto first = window->currentCase()->caseId;
        window->decide(false);
        QVERIFY(window->aiShown());
        QCOMPARE(window->currentCase()->caseId, first);
        QVERIFY2(window->findChildren<QLabel*>().size() > 0, "labels");
        bool cnnShown = false;
        for (auto* label : window->findChildren<QLabel*>())
            cnnShown = cnnShown || label->text().contains("CNN: P(malignant) =");
        QVERIFY(cnnShown);
        window->decide(true);
        QVERIFY(!window->aiShown());
        QCOMPARE(countDecisions(s.database), 2);
        window->decide(true);
        window->decide(false);
        QVERIFY(!window->currentCase());
        // The results show the reader's unaided and aided points, joined by an arrow.
        rec::Database db = rec::openWorkstationDatabase(s.database);
        StudyResultsView view;
        view.setResults(rec::studyResults(db, s.coordinator, s.id));
        int aidedPoints = 0, unnamedLines = 0;
        for (QAbstractSeries* series : view.chart()->series()) {
            if (series->name() == "Readers, AI-assisted")
                aidedPoints = qobject_cast<QScatterSeries*>(series)->count();
            if (series->name().isEmpty() && qobject_cast<QLineSeries*>(series))
                ++unnamedLines;
        }
        QCOMPARE(aidedPoints, 1);
        QVERIFY(unnamedLines >= 3);  // the arrow's shaft and head
        QVERIFY(view.summaryText().contains("AI-assisted (1 readers)"));
    }

    void assistedReadShowsTheStudyModelsSaliency() {
        const fs::path database = newDatabase();
        const fs::path folder = writeImages(1, 1);
        rec::User coordinator, reader;
        {
            rec::Database db = rec::openWorkstationDatabase(database);
            rec::Accounts accounts(db);
            coordinator =
                accounts.create(std::nullopt, "coord", rec::Role::Coordinator, 9, "coord-pass");
            reader = accounts.create(coordinator, "reader", rec::Role::Reader, 6, "reader-pass");
            const auto dataset = dermreader::training::importDataset(
                folder / "labels.csv", dermreader::training::DatasetFormat::GenericCsv, taxonomy());
            rec::ImageLibrary(db, coordinator).addDataset(dataset, taxonomy());
        }
        ws::WorkstationSession& workstation = sessionFor(database, bundle_);
        StudyCoordinatorWindow coordination(workstation, coordinator);
        rec::StudySpec spec;
        spec.name = "assisted with saliency";
        spec.malignantCases = 1;
        spec.benignCases = 1;
        spec.aiAssisted = true;
        const auto study = coordination.createStudy(spec, "labels");
        QVERIFY(scoreAndWait(coordination, study));
        coordination.openStudy(study);
        coordination.assignReader(study, reader.id);

        auto open = [&] {
            auto session =
                std::make_unique<rec::ReaderSession>(workstation.database(), reader, study);
            return std::make_unique<ReadingWindow>(workstation, std::move(session));
        };
        auto window = open();
        window->show();
        window->decide(true);
        QVERIFY(window->aiShown());
        QTRY_VERIFY_WITH_TIMEOUT(window->viewer()->hasOverlay(), 30000);  // the study's model
        window.reset();

        // Another model in the workstation: its saliency would explain another answer.
        const QString otherBundle = dir_.filePath("other-model");
        eng::createInitialBundle(otherBundle.toStdString(),
                                 testdata::testManifest("another model", {"nevus", "melanoma"}),
                                 11);
        QVERIFY(workstation.openModelBundle(otherBundle));
        window = open();
        window->show();
        QVERIFY(window->aiShown());  // the assisted read of the first case, resumed
        bool explained = false;
        for (auto* label : window->findChildren<QLabel*>())
            explained = explained || label->text().contains("not the study's");
        QVERIFY(explained);
        QTest::qWait(500);
        QVERIFY(!window->viewer()->hasOverlay());
    }

    // Issue 13.4: during a reader's session nothing showing labels or CNN output is reachable,
    // and pausing does not drop the reader onto the workstation: a coordinator unlocks it.
    void readingLocksTheWorkstationUntilACoordinatorUnlocks() {
        const Study s = makeStudy(2, 2, false, false);
        ws::WorkstationSession& workstation = sessionFor(s.database);
        MainWindow main(workstation);
        main.show();
        QString error;
        const auto coordinator = workstation.signIn("coord", "coord-pass", &error);
        QVERIFY2(coordinator.has_value(), qPrintable(error));
        QPointer<StudyCoordinatorWindow> coordination =
            new StudyCoordinatorWindow(workstation, *coordinator);
        coordination->setAttribute(Qt::WA_DeleteOnClose);
        coordination->show();

        QPointer<ReadingWindow> reading = main.startReading(s.reader, s.id);
        QVERIFY(workstation.locked());
        QVERIFY(!main.isVisible());
        QTRY_VERIFY(coordination.isNull());  // closed and gone
        QVERIFY(reading->isVisible());
        QTest::keyClick(reading.data(), Qt::Key_B);  // one decision, then pause
        QTest::keyClick(reading.data(), Qt::Key_Escape);
        QTRY_VERIFY(reading.isNull());
        QVERIFY(!workstation.readingInProgress());
        QVERIFY(!main.isVisible());  // still locked
        QVERIFY(main.lockScreen()->isVisible());
        QVERIFY(!main.lockScreen()->unlock("reader", "reader-pass"));  // not a coordinator
        QVERIFY(!main.lockScreen()->message().isEmpty());
        QVERIFY(!main.isVisible());
        QVERIFY(main.lockScreen()->unlock("coord", "coord-pass"));
        QVERIFY(!workstation.locked());
        QVERIFY(main.isVisible());
        QVERIFY(!main.lockScreen()->isVisible());
        QStringList actions;
        for (const auto& entry : rec::readAuditLog(workstation.database()))
            actions << QString::fromStdString(entry.action);
        QVERIFY(actions.contains("workstation locked for reading"));
        QVERIFY(actions.contains("workstation unlocked"));
    }

    // Issue 13.5: File > Quit closes every window and signs everyone out.
    void quitClosesEveryWindowAndSignsOut() {
        const Study s = makeStudy(1, 1, false, false);
        ws::WorkstationSession& workstation = sessionFor(s.database);
        MainWindow main(workstation);
        main.show();
        QString error;
        const auto coordinator = workstation.signIn("coord", "coord-pass", &error);
        QVERIFY(coordinator.has_value());
        QPointer<AdminWindow> admin = new AdminWindow(workstation, *coordinator);
        admin->setAttribute(Qt::WA_DeleteOnClose);
        admin->show();
        QSignalSpy shuttingDown(&workstation, &ws::WorkstationSession::shuttingDown);
        main.quit();
        QCOMPARE(shuttingDown.size(), 1);
        QTRY_VERIFY(admin.isNull());
        QVERIFY(!main.isVisible());
        QVERIFY(workstation.signedIn().empty());
    }

    void resultsViewDrawsTheComparison() {
        // A synthetic study: 30 melanomas and 30 nevi, 8 readers of varied skill.
        const fs::path database = newDatabase();
        rec::Database db = rec::openWorkstationDatabase(database);
        rec::Accounts accounts(db);
        const rec::User coordinator =
            accounts.create(std::nullopt, "coord", rec::Role::Coordinator, 9, "coord-pass");
        std::vector<rec::StudyCandidate> candidates;
        for (int i = 0; i < 60; ++i) {
            candidates.push_back({"/synthetic/" + std::to_string(i) + ".jpg",
                                  "h" + std::to_string(i), i < 30 ? "melanoma" : "nevus",
                                  eng::ImageModality::Clinical, true, ""});
        }
        rec::ReaderStudies studies(db, taxonomy());
        rec::StudySpec spec;
        spec.name = "synthetic demonstration";
        spec.malignantCases = 30;
        spec.benignCases = 30;
        spec.askConfidence = true;
        const auto study = studies.create(coordinator, spec, candidates);
        std::vector<std::pair<std::int64_t, double>> scores;
        std::map<std::int64_t, bool> truth;
        for (const auto& c : studies.cases(coordinator, study)) {
            const int i = std::stoi(c.path.stem().string());
            // Overlapping score distributions: melanomas mostly high, nevi mostly low.
            scores.push_back({c.id, i < 30 ? 0.35 + 0.02 * i : 0.02 * (i - 30) + 0.05});
            truth[c.id] = c.malignant;
        }
        studies.setCnnScores(coordinator, study, "synthetic", scores);
        studies.open(coordinator, study);
        for (int r = 0; r < 8; ++r) {
            const rec::User reader = accounts.create(coordinator, "reader " + std::to_string(r),
                                                     rec::Role::Reader, 2 + 3 * r, "reader-pass");
            studies.addReader(coordinator, study, reader.id);
            rec::ReaderSession session(db, reader, study);
            int n = 0;
            while (auto item = session.next()) {
                // Reader r misses some melanomas and biopsies some nevi, depending on r.
                const bool malignant = truth.at(item->caseId);
                const int k = n++;
                const bool biopsy = malignant ? (k % 10) >= (r % 4) : (k % 10) < 1 + r % 3;
                const int confidence = biopsy ? 55 + (7 * k + r) % 45 : (13 * k + r) % 60;
                session.record(*item, {biopsy, std::nullopt, confidence}, 3.0);
            }
        }
        const rec::StudyResults results = rec::studyResults(db, coordinator, study);
        StudyResultsView view;
        view.resize(820, 760);
        view.setResults(results);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));

        QLineSeries* curve = nullptr;
        QScatterSeries* readers = nullptr;
        for (QAbstractSeries* series : view.chart()->series()) {
            if (series->name().startsWith("CNN (AUC"))
                curve = qobject_cast<QLineSeries*>(series);
            if (series->name() == "Readers")
                readers = qobject_cast<QScatterSeries*>(series);
        }
        QVERIFY(curve && readers);
        QCOMPARE(curve->count(), int(results.cnn->roc.size()) + 1);
        QCOMPARE(readers->count(), 8);
        for (int i = 0; i < readers->count(); ++i) {
            QCOMPARE(readers->at(i).x(), results.readers[i].specificity);
            QCOMPARE(readers->at(i).y(), results.readers[i].sensitivity);
        }
        QVERIFY2(view.summaryText().contains(
                     QString("%1 of 8 readers fall below").arg(results.readersBelowCurve)),
                 qPrintable(view.summaryText()));
        QVERIFY(view.summaryText().contains(QString::number(results.cnn->auc, 'f', 3)));
        // Issue 13.15: one axis convention (the paper's), each reader's own ROC curve from the
        // confidence ratings, and each point says whose it is.
        const auto* x = qobject_cast<QValueAxis*>(view.chart()->axes(Qt::Horizontal).front());
        QCOMPARE(x->titleText(), QString("Specificity"));
        QList<QLineSeries*> readerCurves;
        for (QAbstractSeries* series : view.chart()->series()) {
            if (series->name() == "Readers' ROC from their confidence")
                readerCurves << qobject_cast<QLineSeries*>(series);
        }
        QCOMPARE(readerCurves.size(), 8);
        for (int i = 0; i < 8; ++i) {
            const auto& roc = results.readers[i].confidenceRoc;
            QVERIFY(results.readers[i].confidenceAuc.has_value());
            QCOMPARE(readerCurves[i]->count(), int(roc.size()) + 1);
            QCOMPARE(readerCurves[i]->at(1).x(), roc[1].specificity);
            QCOMPARE(readerCurves[i]->at(1).y(), roc[1].sensitivity);
        }
        int visibleMarkers = 0;
        for (QLegendMarker* marker : view.chart()->legend()->markers())
            if (marker->isVisible() && marker->label() == "Readers' ROC from their confidence")
                ++visibleMarkers;
        QCOMPARE(visibleMarkers, 1);
        const QString hover = view.pointDescription(readers->at(3));
        QVERIFY2(hover.contains("reader 3 (11 years)") && hover.contains("Sensitivity") &&
                     hover.contains("AUC of the confidence ratings"),
                 qPrintable(hover));
        QVERIFY(view.pointDescription({5, 5}).isEmpty());

        const QString png = dir_.filePath("results.png"), svg = dir_.filePath("results.svg");
        QVERIFY(view.savePng(png));
        QVERIFY(view.saveSvg(svg));
        // Issue 13.6: the PNG holds the whole figure as on screen (at twice the resolution).
        const QImage exported(png);
        const QImage onScreen = view.chartView()->grab().toImage();
        QCOMPARE(exported.size(), onScreen.size() * 2);
        const double similarity = correlation(exported, onScreen);
        QVERIFY2(similarity > 0.8, qPrintable(QString::number(similarity)));
        QFile svgFile(svg);
        QVERIFY(svgFile.open(QIODevice::ReadOnly));
        QVERIFY(svgFile.readAll().contains("<svg"));
        testdata::saveScreenshot(&view, "study-results.png");
    }

    void coordinatorCreatesScoresAndOpensAStudy() {
        const fs::path database = newDatabase();
        const fs::path folder = writeImages(4, 4);
        rec::User coordinator;
        {
            rec::Database db = rec::openWorkstationDatabase(database);
            LoginDialog first(sessionFor(database));
            QVERIFY(first.logIn("head", "coordinator-pass", 15));  // creates the coordinator
            coordinator = *first.user();
            QVERIFY(coordinator.role == rec::Role::Coordinator);
            rec::ImageLibrary library(db, coordinator);
            const auto dataset = dermreader::training::importDataset(
                folder / "labels.csv", dermreader::training::DatasetFormat::GenericCsv, taxonomy());
            library.addDataset(dataset, taxonomy());
        }
        ws::WorkstationSession& workstation = sessionFor(database, bundle_);
        const auto& service = workstation.predictions();
        StudyCoordinatorWindow window(workstation, coordinator);
        window.show();
        rec::StudySpec spec;
        spec.name = "clinic study";
        spec.malignantCases = 3;
        spec.benignCases = 3;
        rec::Database db = rec::openWorkstationDatabase(database);
        const std::string collection = rec::ImageLibrary(db).collections().front();
        const auto study = window.createStudy(spec, QString::fromStdString(collection));
        QCOMPARE(window.studiesTable()->rowCount(), 1);
        QVERIFY(scoreAndWait(window, study));
        // The stored scores are the model's, for these images.
        const auto predictor = service.predictor();
        for (const auto& c : rec::ReaderStudies(db, taxonomy()).cases(coordinator, study)) {
            QVERIFY(c.cnnScore.has_value());
            const auto p = predictor->predict(eng::loadImage(c.path).image);
            QVERIFY(std::abs(*c.cnnScore - p.melanocyticMalignant.value_or(p.malignant)) < 1e-9);
        }
        window.openStudy(study);
        const rec::User reader =
            window.createAccount("new reader", rec::Role::Reader, 4, "reader-pass");
        window.studiesTable()->selectRow(0);
        window.assignReader(study, reader.id);
        QCOMPARE(window.progressTable()->rowCount(), 1);
        QCOMPARE(window.progressTable()->item(0, 2)->text(), QString("0 of 6 decisions"));
        // Who did what is in the audit log the coordinator can read.
        std::unique_ptr<QTableWidget> audit(window.showAuditLog());
        QVERIFY2(audit->windowTitle().contains("hash chain intact"),
                 qPrintable(audit->windowTitle()));
        QStringList actions;
        for (int row = 0; row < audit->rowCount(); ++row)
            actions << audit->item(row, 2)->text();
        for (const char* action :
             {"create account", "create study", "score study", "open study", "assign reader"})
            QVERIFY2(actions.contains(action), action);
        LoginDialog login(workstation);
        QVERIFY(!login.logIn("new reader", "wrong-password"));
        QVERIFY(login.logIn("new reader", "reader-pass"));
        QVERIFY(login.user()->role == rec::Role::Reader);
        QVERIFY_THROWS_EXCEPTION(rec::AccessDenied,
                                 StudyCoordinatorWindow(workstation, *login.user()));
    }

    // Issue 13.13: forms keep what was typed when refused, a new account's password is typed
    // twice, there is an accounts list, closing a study asks first, the collection list shows
    // what each collection offers, and a study drawn from the model's training data is flagged.
    void coordinatorSafeguards() {
        const fs::path database = newDatabase();
        rec::Database db = rec::openWorkstationDatabase(database);
        const rec::User coordinator = coordinatorWithLabelledImages(database, db);
        ws::WorkstationSession& workstation = sessionFor(database, bundle_);
        StudyCoordinatorWindow window(workstation, coordinator);

        // Accounts: a mistyped confirmation or a short password keeps the form as typed.
        int created = 0;
        NewAccountDialog account([&](const AccountRequest& r) {
            try {
                window.createAccount(r.name, r.role, r.experienceYears, r.password);
                ++created;
                return QString();
            } catch (const std::exception& e) {
                return QString::fromUtf8(e.what());
            }
        });
        account.fill({"dr new", rec::Role::Reader, 6, "long-enough"}, "long-enuogh");
        QVERIFY(!account.submit());
        QVERIFY2(account.error().contains("differ"), qPrintable(account.error()));
        testdata::saveScreenshot(&account, "new-account-refused.png");
        QCOMPARE(account.typedName(), QString("dr new"));
        account.fill({"dr new", rec::Role::Reader, 6, "short"}, "short");
        QVERIFY(!account.submit());
        QVERIFY2(account.error().contains("8"), qPrintable(account.error()));
        QCOMPARE(account.typedName(), QString("dr new"));
        QCOMPARE(created, 0);
        account.fill({"dr new", rec::Role::Reader, 6, "long-enough"}, "long-enough");
        QVERIFY(account.submit());
        QCOMPARE(created, 1);
        std::unique_ptr<QTableWidget> accounts(window.showAccounts());
        QStringList names;
        for (int row = 0; row < accounts->rowCount(); ++row)
            names << accounts->item(row, 0)->text();
        QVERIFY(names.contains("dr new") && names.contains("head"));

        // New study: only labelled collections, with what each offers for the task.
        std::vector<CollectionCandidates> collections;
        collections.push_back({"labels", {}});
        for (const auto& image : rec::ImageLibrary(db, coordinator).query({}))
            collections.back().candidates.push_back(
                {image.path, image.contentHash, image.diagnosisNode.value_or(""), image.modality,
                 image.biopsyProven, image.lesionGroup});
        std::int64_t study = 0;
        NewStudyDialog form(std::move(collections), taxonomy(),
                            [&](const rec::StudySpec& spec, const QString& collection) {
                                try {
                                    study = window.createStudy(spec, collection);
                                    return QString();
                                } catch (const std::exception& e) {
                                    return QString::fromUtf8(e.what());
                                }
                            });
        rec::StudySpec spec;
        spec.name = "safeguarded";
        spec.task = rec::StudyTask::Melanocytic;
        spec.malignantCases = 5;  // one more than there are
        spec.benignCases = 4;
        form.setSpec(spec);
        QCOMPARE(form.collectionEntries(), QStringList{"labels — 4 malignant, 4 benign eligible"});
        QVERIFY(!form.submit());
        testdata::saveScreenshot(&form, "new-study-refused.png");
        QVERIFY2(form.error().contains("not enough"), qPrintable(form.error()));
        QCOMPARE(form.spec().name, std::string("safeguarded"));  // still as typed
        spec.malignantCases = 4;
        form.setSpec(spec);
        QVERIFY(form.submit());
        QVERIFY(study != 0);
        // The test model lists no training images: the coordinator is told it is unchecked.
        QVERIFY2(window.messageText().contains("does not list"), qPrintable(window.messageText()));
        // A model that lists them is checked against the cases.
        const fs::path list = fs::path(bundle_.toStdString()) / eng::kTrainingImagesFile;
        eng::writeTrainingImageIds(bundle_.toStdString(), {"mel0", "nev4", "unrelated"});
        {
            const auto removeList = qScopeGuard([&] { fs::remove(list); });  // shared bundle
            QVERIFY(scoreAndWait(window, study));
        }
        QVERIFY2(window.messageText().contains("2 of 8 cases were in the training data"),
                 qPrintable(window.messageText()));
        window.resize(1100, 600);
        testdata::saveScreenshot(&window, "coordinator-overlap-warning.png");

        // Closing asks first; No leaves the study as it was.
        window.openStudy(study);
        QStringList questions;
        bool answer = false;
        setConfirmationAnswerer([&](const QString&, const QString& question) {
            questions << question;
            return answer;
        });
        QVERIFY(!window.closeStudy(study));
        QCOMPARE(questions.size(), 1);
        QVERIFY(questions.front().contains("safeguarded"));
        QVERIFY(rec::ReaderStudies(db, taxonomy()).info(study).state == rec::StudyState::Open);
        answer = true;
        QVERIFY(window.closeStudy(study));
        QVERIFY(rec::ReaderStudies(db, taxonomy()).info(study).state == rec::StudyState::Closed);
        setConfirmationAnswerer({});
    }

    // The window may close (the session locks, the user quits) while the pool scores: nothing
    // crashes, nothing half-written is stored, and a later window scores normally.
    void closingTheWindowWhileScoringIsSafe() {
        const fs::path database = newDatabase();
        rec::Database db = rec::openWorkstationDatabase(database);
        const rec::User coordinator = coordinatorWithLabelledImages(database, db);
        ws::WorkstationSession& workstation = sessionFor(database, bundle_);
        rec::StudySpec spec;
        spec.name = "closed while scoring";
        spec.malignantCases = 3;
        spec.benignCases = 3;
        const QString collection =
            QString::fromStdString(rec::ImageLibrary(db).collections().front());
        auto window = std::make_unique<StudyCoordinatorWindow>(workstation, coordinator);
        const auto study = window->createStudy(spec, collection);
        QPointer<ws::Job> job = window->scoreCases(study);
        QVERIFY(job);
        QVERIFY2(!window->scoreCases(study), "a second scoring of the same window is refused");
        window.reset();
        QVERIFY(job.isNull() || job->isCancelled());
        QTRY_VERIFY_WITH_TIMEOUT(job.isNull(), 120000);
        for (const auto& c : rec::ReaderStudies(db, taxonomy()).cases(coordinator, study))
            QVERIFY(!c.cnnScore.has_value());
        StudyCoordinatorWindow again(workstation, coordinator);
        QVERIFY(scoreAndWait(again, study));
        for (const auto& c : rec::ReaderStudies(db, taxonomy()).cases(coordinator, study))
            QVERIFY(c.cnnScore.has_value());
    }
};

QTEST_MAIN(TestReaderStudyUi)
#include "tst_reader_study_ui.moc"
