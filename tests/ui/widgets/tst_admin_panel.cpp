// The admin panel, offscreen: the partition preview; a real (tiny) training run in a dermtool
// process with progress arriving, cancelled, resumed and registered; activation switches the
// workstation's model; two models compared on the same images; the embedding map, whose
// points open their images. Readers do not get in.
#include <QtTest>

#include <QChart>
#include <QLabel>
#include <QProgressBar>
#include <QScatterSeries>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>

#include "Screenshots.h"
#include "TestModels.h"
#include "TestSession.h"
#include "dermreader/engine/ImageLoader.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/records/ModelRegistry.h"
#include "dermreader/records/Schema.h"
#include "dermreader/ui/AdminWindow.h"
#include "dermreader/ui/Confirm.h"
#include "dermreader/ui/MainWindow.h"
#include "dermreader/workstation/PredictionService.h"

using namespace dermreader::ui;
using namespace dermreader::workstation;
namespace rec = dermreader::records;
namespace eng = dermreader::engine;
namespace fs = std::filesystem;

namespace {

const dermreader::taxonomy::Taxonomy& taxonomy() {
    return dermreader::taxonomy::Taxonomy::builtin();
}

}  // namespace

class TestAdminPanel : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::unique_ptr<WorkstationSession> session_;
    QString dataset_, database_, initial_;
    rec::User trainer_, reader_;

    dermreader::workstation::TrainingRequest tinyRun(const QString& name) const {
        dermreader::workstation::TrainingRequest r;
        r.dataset = dataset_;
        r.format = "folder";
        r.runFolder = dir_.filePath(name);
        r.epochs = 6;
        r.batchSize = 2;
        r.inputSize = 75;
        r.folds = 4;
        r.holdoutFold = 0;
        r.maxClassSize = 1000;
        return r;
    }

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        QCoreApplication::setOrganizationName("dermreader-tests");
        // Two classes, eight small images, distinct colours.
        for (int i = 0; i < 8; ++i) {
            const fs::path folder =
                fs::path(dir_.path().toStdString()) / "data" / (i % 2 ? "melanoma" : "nevus");
            fs::create_directories(folder);
            eng::saveImage(eng::RgbImage::filled(90 + i, 80, static_cast<std::uint8_t>(i * 30),
                                                 i % 2 ? 60 : 160, 90),
                           folder / ("img" + std::to_string(i) + ".png"));
        }
        dataset_ = dir_.filePath("data");
        database_ = dir_.filePath("admin.sqlite");
        rec::Database db = rec::openWorkstationDatabase(database_.toStdString());
        rec::Accounts accounts(db);
        const rec::User coordinator =
            accounts.create(std::nullopt, "coord", rec::Role::Coordinator, 9, "coord-pass");
        trainer_ = accounts.create(coordinator, "trainer", rec::Role::Trainer, 4, "trainer-pass");
        reader_ = accounts.create(coordinator, "reader", rec::Role::Reader, 4, "reader-pass");
        initial_ = dir_.filePath("initial");
        eng::createInitialBundle(initial_.toStdString(),
                                 testdata::testManifest("initial model", {"nevus", "melanoma"}), 3);
        session_ = testdata::makeSession(database_, initial_);
    }

    void readersDoNotGetIn() {
        QVERIFY_THROWS_EXCEPTION(rec::AccessDenied, AdminWindow(*session_, reader_, DERMTOOL));
    }

    void previewShowsThePartitionAndSplit() {
        AdminWindow admin(*session_, trainer_, DERMTOOL);
        admin.setRequest(tinyRun("preview"));
        QVERIFY(admin.previewPartition());
        QCOMPARE(admin.partitionTable()->rowCount(), 2);
        int images = 0;
        for (int row = 0; row < 2; ++row)
            images += admin.partitionTable()->item(row, 2)->text().toInt();
        const auto dataset = dermreader::training::importDataset(
            dataset_.toStdString(), dermreader::training::DatasetFormat::FolderPerClass,
            taxonomy());
        const auto preview = previewPartition(dataset, taxonomy(), 1000, 4, 0);
        QCOMPARE(images, preview.trainImages);
        QCOMPARE(preview.trainImages + preview.validationImages, 8);
        QVERIFY(preview.validationImages > 0);
    }

    void trainCancelResumeRegisterActivate() {
        AdminWindow admin(*session_, trainer_, DERMTOOL);
        admin.show();
        // Two data-parallel workers (issue 15.5): cancel and resume go through the launcher.
        auto request = tinyRun("run1");
        request.processes = 2;
        admin.setRequest(request);
        QSignalSpy stopped(&admin, &AdminWindow::trainingStopped);
        QSignalSpy finished(&admin, &AdminWindow::trainingFinished);
        admin.startTraining();
        // Progress arrives from the dermtool process...
        QTRY_VERIFY_WITH_TIMEOUT(
            admin.statusLabel()->text().startsWith("Epoch") || !stopped.isEmpty(), 120000);
        QVERIFY2(stopped.isEmpty(), qPrintable(admin.statusLabel()->text()));
        QVERIFY(admin.progressBar()->value() > 0);
        QVERIFY(admin.trainingRunning());
        // ...and cancelling stops it, resumable.
        admin.cancelTraining();
        QTRY_VERIFY_WITH_TIMEOUT(!stopped.isEmpty() || !finished.isEmpty(), 120000);
        QVERIFY2(finished.isEmpty(), "the run ended before the cancel reached it");
        QVERIFY(stopped.last().at(1).toBool());
        QVERIFY(!admin.trainingRunning());
        admin.resumeTraining();
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty() || stopped.size() > 1, 300000);
        QVERIFY2(!finished.isEmpty(), qPrintable(admin.statusLabel()->text()));
        QVERIFY(!admin.lossChart()->series().isEmpty());
        testdata::saveScreenshot(&admin, "admin-training-run.png");

        // The finished run's model is in the registry (after the embedded default model, which
        // the first opening registered); activating it switches the workstation.
        QCOMPARE(admin.registryTable()->rowCount(), 2);
        // The workstation was opened on the initial model for this session; activating a
        // model in the registry replaces it (and the window follows the session).
        QVERIFY(session_->reloadModel());
        auto& service = session_->predictions();
        QCOMPARE(service.modelName(), QString("initial model"));
        MainWindow window(*session_);
        rec::Database db = rec::openWorkstationDatabase(database_.toStdString());
        const auto trained = rec::ModelRegistry(db, taxonomy()).list().back();
        QCOMPARE(QString::fromStdString(trained.bundle.filename().string()), QString("model-best"));
        // Issue 13.13: nothing active yet, so a roll back says why; activation asks first and
        // shows the new model's validation AUC beside the current one.
        QVERIFY(!admin.rollback());
        QVERIFY2(admin.statusLabel()->text().contains("Nothing to roll back"),
                 qPrintable(admin.statusLabel()->text()));
        QStringList questions;
        bool answer = false;
        setConfirmationAnswerer([&](const QString&, const QString& question) {
            questions << question;
            return answer;
        });
        QVERIFY(!admin.activate(trained.id));  // answered No: nothing changes
        QCOMPARE(service.modelName(), QString("initial model"));
        QCOMPARE(questions.size(), 1);
        QVERIFY2(questions.front().contains(QString::fromStdString(trained.name)) &&
                     questions.front().contains("AUC") &&
                     questions.front().contains("No model is active"),
                 qPrintable(questions.front()));
        answer = true;
        QVERIFY(admin.activate(trained.id));
        QCOMPARE(service.modelName(), QString::fromStdString(trained.name));
        QCOMPARE(admin.registryTable()->item(1, 0)->text(), QString("●"));
        // Registering the initial model, activating it and rolling back returns to the trained.
        const auto initial = admin.registerBundle(initial_);
        QVERIFY(initial.has_value());
        QVERIFY(admin.activate(initial->id));
        QVERIFY2(questions.last().contains("In use now: '" + QString::fromStdString(trained.name)),
                 qPrintable(questions.last()));
        QCOMPARE(service.modelName(), QString("initial model"));
        QVERIFY(admin.rollback());
        QCOMPARE(service.modelName(), QString::fromStdString(trained.name));
        setConfirmationAnswerer({});
        QStringList actions;
        for (const auto& entry : rec::readAuditLog(db))
            actions << QString::fromStdString(entry.action);
        for (const char* action :
             {"start training", "cancel training", "resume training", "training finished",
              "register model", "activate model", "roll back model"})
            QVERIFY2(actions.contains(action), action);
    }

    // Uses the model the previous test function trained (Qt Test runs them in order).
    void compareAndMap() {
        rec::Database db = rec::openWorkstationDatabase(database_.toStdString());
        const auto models = rec::ModelRegistry(db, taxonomy()).list();
        QVERIFY(models.size() >= 2);
        const auto dataset = dermreader::training::importDataset(
            dataset_.toStdString(), dermreader::training::DatasetFormat::FolderPerClass,
            taxonomy());
        QString trained;
        for (const auto& model : models) {
            if (model.bundle.filename() == "model-best")
                trained = QString::fromStdString(model.bundle.string());
        }
        QVERIFY(!trained.isEmpty());
        const ModelComparison comparison =
            compareModels(trained, initial_, dataset.images, taxonomy());
        QCOMPARE(comparison.images, 8);
        QCOMPARE(int(comparison.tasks.size()), 1);
        const auto& task = comparison.tasks.front();
        QCOMPARE(task.task, QString("melanocytic"));
        QCOMPARE(task.a.positives, 4);
        QCOMPARE(task.a.negatives, 4);
        QVERIFY(std::abs(task.difference.difference - (task.a.auc - task.b.auc)) < 1e-12);

        AdminWindow admin(*session_, trainer_, DERMTOOL);
        admin.showComparison(comparison);
        QCOMPARE(admin.comparisonChart()->series().size(), 2);
        QVERIFY2(admin.comparisonText().contains("p = "), qPrintable(admin.comparisonText()));

        const EmbeddingMap map = computeEmbeddingMap(trained, dataset.images, taxonomy(), 8);
        QCOMPARE(int(map.points.size()), 8);
        admin.showEmbeddingMap(map);
        const auto series = admin.embeddingChart()->series();
        QCOMPARE(series.size(), 2);  // benign and malignant melanocytic lesions
        QSignalSpy requested(&admin, &AdminWindow::imageRequested);
        auto* scatter = qobject_cast<QScatterSeries*>(series.front());
        QVERIFY(scatter);
        Q_EMIT scatter->clicked(scatter->at(0));
        QCOMPARE(requested.size(), 1);
        QVERIFY(QFileInfo::exists(requested.first().at(0).toString()));
        const QString screenshots = qEnvironmentVariable("DERMREADER_SCREENSHOT_DIR");
        if (!screenshots.isEmpty()) {
            admin.findChild<QTabWidget*>("adminTabs")->setCurrentIndex(0);
            admin.show();
            QVERIFY(QTest::qWaitForWindowExposed(&admin));
            QDir().mkpath(screenshots);
            admin.grab().save(screenshots + "/admin-training-empty.png");
            admin.findChild<QTabWidget*>("adminTabs")->setCurrentIndex(2);
            admin.show();
            QVERIFY(QTest::qWaitForWindowExposed(&admin));
            QDir().mkpath(screenshots);
            admin.grab().save(screenshots + "/admin-compare-and-map.png");
        }
    }
};

QTEST_MAIN(TestAdminPanel)
#include "tst_admin_panel.moc"
