// Which model the workstation uses: the policy alone, then through a session with a real
// registry — the bug where changing device/TTA in Settings replaced an activated model.
#include <QtTest>

#include <QDir>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <filesystem>

#include "TestModels.h"
#include "TestSession.h"
#include "dermreader/engine/ModelFactory.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/records/ModelRegistry.h"
#include "dermreader/records/Schema.h"
#include "dermreader/workstation/ModelSelection.h"
#include "dermreader/workstation/PredictionService.h"

namespace ws = dermreader::workstation;
namespace rec = dermreader::records;
namespace eng = dermreader::engine;

class TestModelSelection : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString bundleA_, bundleB_, database_;
    rec::User trainer_;

    static ws::ModelSelectionInputs everything() {
        ws::ModelSelectionInputs in;
        in.sessionBundle = "/session";
        in.registryActiveBundle = "/registry";
        in.settings.modelBundle = "/settings";
        in.settings.device = "cpu";
        in.settings.testTimeAugmentation = true;
        in.embeddedDefaultBundle = "/default";
        return in;
    }

    // A new database's first coordinator, and the trainer it creates.
    static rec::User firstTrainer(rec::Database& db) {
        rec::Accounts accounts(db);
        const auto coordinator =
            accounts.create(std::nullopt, "coord", rec::Role::Coordinator, 5, "coord-pass");
        return accounts.create(coordinator, "trainer", rec::Role::Trainer, 2, "trainer-pass");
    }

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        QCoreApplication::setOrganizationName("dermreader-tests-model-selection");
        ws::WorkstationSettings{}.save();  // a clean slate for the saved settings
        bundleA_ = dir_.filePath("model-a");
        bundleB_ = dir_.filePath("model-b");
        eng::createInitialBundle(bundleA_.toStdString(),
                                 testdata::testManifest("model A", {"nevus", "melanoma"}), 1);
        eng::createInitialBundle(bundleB_.toStdString(),
                                 testdata::testManifest("model B", {"nevus", "melanoma"}), 2);
        database_ = dir_.filePath("workstation.sqlite");
        rec::Database db = rec::openWorkstationDatabase(database_.toStdString());
        trainer_ = firstTrainer(db);
    }

    void cleanupTestCase() { ws::WorkstationSettings{}.save(); }

    void policyOrder() {
        ws::ModelSelectionInputs in = everything();
        QCOMPARE(ws::chooseModel(in).bundle, QString("/session"));
        QCOMPARE(ws::chooseModel(in).source, ws::ModelSource::Session);
        in.sessionBundle.clear();
        QCOMPARE(ws::chooseModel(in).bundle, QString("/registry"));
        in.registryActiveBundle.clear();
        QCOMPARE(ws::chooseModel(in).bundle, QString("/settings"));
        in.settings.modelBundle.clear();
        QCOMPARE(ws::chooseModel(in).bundle, QString("/default"));
        QCOMPARE(ws::chooseModel(in).source, ws::ModelSource::EmbeddedDefault);
        in.embeddedDefaultBundle.clear();
        QCOMPARE(ws::chooseModel(in).source, ws::ModelSource::None);
        QVERIFY(ws::chooseModel(in).bundle.isEmpty());
    }

    void deviceAndTtaApplyToWhicheverBundleWins() {
        ws::ModelSelectionInputs in = everything();
        for (int drop = 0; drop < 4; ++drop) {
            const ws::ModelChoice choice = ws::chooseModel(in);
            QCOMPARE(choice.options.device, eng::DevicePreference::Cpu);
            QVERIFY(choice.options.testTimeAugmentation);
            if (drop == 0)
                in.sessionBundle.clear();
            if (drop == 1)
                in.registryActiveBundle.clear();
            if (drop == 2)
                in.settings.modelBundle.clear();
        }
        // The command line overrides the saved device and turns TTA on.
        in = everything();
        in.settings.testTimeAugmentation = false;
        in.commandLineDevice = QString("auto");
        in.commandLineTta = true;
        const ws::ModelChoice choice = ws::chooseModel(in);
        QCOMPARE(choice.options.device, eng::DevicePreference::Auto);
        QVERIFY(choice.options.testTimeAugmentation);
    }

    // The regression: activate a model in the registry, change device and TTA in Settings,
    // and the activated model stays (with the new device and TTA).
    void settingsKeepTheActivatedModel() {
        auto session = testdata::makeSession(database_);
        ws::WorkstationSettings settings;
        settings.modelBundle = bundleA_;
        session->applySettings(settings);
        QCOMPARE(session->predictions().modelName(), QString("model A"));
        QCOMPARE(session->loadedChoice().source, ws::ModelSource::Settings);

        const auto registered = session->registerModel(trainer_, bundleB_);
        QVERIFY(registered.has_value());
        QSignalSpy changed(session.get(), &ws::WorkstationSession::modelChanged);
        QVERIFY(session->activateModel(trainer_, registered->id));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(session->predictions().modelName(), QString("model B"));

        settings.device = "cpu";
        settings.testTimeAugmentation = true;
        session->applySettings(settings);
        QCOMPARE(session->predictions().modelName(), QString("model B"));
        QCOMPARE(session->loadedChoice().source, ws::ModelSource::Registry);
        QVERIFY(session->loadedChoice().options.testTimeAugmentation);
        QCOMPARE(session->loadedChoice().options.device, eng::DevicePreference::Cpu);
        QCOMPARE(changed.size(), 2);  // reloaded for TTA, same bundle

        // A new session (the next start of the program) picks the same.
        auto next = testdata::makeSession(database_);
        QVERIFY(next->reloadModel());
        QCOMPARE(next->predictions().modelName(), QString("model B"));
        QVERIFY(next->loadedChoice().options.testTimeAugmentation);
        settings = {};
        next->applySettings(settings);
    }

    // File > Open model bundle wins for the session and keeps device/TTA (it used to drop
    // them); a later activation in the registry wins over it.
    void openedBundleKeepsSettingsAndActivationWins() {
        auto session = testdata::makeSession(database_);
        ws::WorkstationSettings settings;
        settings.testTimeAugmentation = true;
        session->applySettings(settings);
        QVERIFY(session->openModelBundle(bundleA_));
        QCOMPARE(session->predictions().modelName(), QString("model A"));
        QCOMPARE(session->loadedChoice().source, ws::ModelSource::Session);
        QVERIFY(session->loadedChoice().options.testTimeAugmentation);
        // A bundle that does not load leaves the working one in place and says why.
        QSignalSpy errors(session.get(), &ws::WorkstationSession::errorOccurred);
        QVERIFY(!session->openModelBundle(dir_.filePath("missing")));
        QVERIFY(!errors.isEmpty());
        QVERIFY(errors.first().at(1).toString().contains("missing"));
        QCOMPARE(session->predictions().modelName(), QString("model A"));

        rec::Database db = rec::openWorkstationDatabase(database_.toStdString());
        const auto b = rec::ModelRegistry(db, dermreader::taxonomy::Taxonomy::builtin()).active();
        QVERIFY(b.has_value());
        QVERIFY(session->activateModel(trainer_, b->id));
        QCOMPARE(session->predictions().modelName(), QString("model B"));
        QCOMPARE(session->loadedChoice().source, ws::ModelSource::Registry);
        session->applySettings({});
    }

    void candidatesInOrderEachOnce() {
        ws::ModelSelectionInputs in = everything();
        in.settings.modelBundle = "/registry";  // the same bundle named twice is tried once
        const auto candidates = ws::modelCandidates(in);
        QCOMPARE(candidates.size(), std::size_t(3));
        QCOMPARE(candidates[0].source, ws::ModelSource::Session);
        QCOMPARE(candidates[1].source, ws::ModelSource::Registry);
        QCOMPARE(candidates[2].source, ws::ModelSource::EmbeddedDefault);
        for (const auto& c : candidates)
            QVERIFY(c.options.testTimeAugmentation);
    }

    // A bundle that does not load gives way to the next one down the order, and says so.
    void aBrokenBundleFallsBackDownTheOrder() {
        ws::SessionOptions options;
        options.databasePath = dir_.filePath("fallback.sqlite");
        options.embeddedDefaultModel = bundleA_;
        ws::WorkstationSession session(dermreader::taxonomy::Taxonomy::builtin(), options);
        ws::WorkstationSettings settings;
        settings.modelBundle = dir_.filePath("broken-bundle");
        QSignalSpy errors(&session, &ws::WorkstationSession::errorOccurred);
        session.applySettings(settings);
        QCOMPARE(session.predictions().modelName(), QString("model A"));
        QCOMPARE(session.loadedChoice().source, ws::ModelSource::EmbeddedDefault);
        QVERIFY(!errors.isEmpty());
        QVERIFY(errors.last().at(1).toString().contains("broken-bundle"));
        QVERIFY(errors.last().at(1).toString().contains("model-a"));
        QVERIFY(!session.reloadModel());  // the first choice still fails
        QCOMPARE(session.predictions().modelName(), QString("model A"));
        session.applySettings({});
    }

    // A trainer re-trains into the same folder and activates it again: the new weights load
    // (the session used to keep the old ones because the path had not changed).
    void reactivatingARetrainedBundleReloadsIt() {
        const QString bundle = dir_.filePath("retrained");
        eng::createInitialBundle(bundle.toStdString(),
                                 testdata::testManifest("first training", {"nevus", "melanoma"}),
                                 3);
        auto session = testdata::makeSession(database_);
        const auto first = session->registerModel(trainer_, bundle);
        QVERIFY(first.has_value());
        QVERIFY(session->activateModel(trainer_, first->id));
        QCOMPARE(session->predictions().modelName(), QString("first training"));
        QDir(bundle).removeRecursively();
        eng::createInitialBundle(bundle.toStdString(),
                                 testdata::testManifest("second training", {"nevus", "melanoma"}),
                                 4);
        const auto second = session->registerModel(trainer_, bundle);
        QVERIFY(second.has_value());
        QCOMPARE(second->id, first->id);
        QVERIFY(session->activateModel(trainer_, second->id));
        QCOMPARE(session->predictions().modelName(), QString("second training"));
    }

    // A roll back to a model that no longer loads does not leave the withdrawn model scoring.
    void aRollBackThatCannotLoadLeavesNoWithdrawnModel() {
        const QString database = dir_.filePath("rollback.sqlite");
        rec::Database db = rec::openWorkstationDatabase(database.toStdString());
        const rec::User trainer = firstTrainer(db);
        const QString doomed = dir_.filePath("doomed");
        eng::createInitialBundle(doomed.toStdString(),
                                 testdata::testManifest("doomed", {"nevus", "melanoma"}), 5);
        auto session = testdata::makeSession(database);
        const auto first = session->registerModel(trainer, doomed);
        const auto second = session->registerModel(trainer, bundleB_);
        QVERIFY(session->activateModel(trainer, first->id));
        QVERIFY(session->activateModel(trainer, second->id));
        QCOMPARE(session->predictions().modelName(), QString("model B"));
        // Its weights are damaged after it was registered (the manifest still reads).
        const std::string weights = (doomed + "/weights.safetensors").toStdString();
        std::filesystem::resize_file(weights, std::filesystem::file_size(weights) / 2);
        QVERIFY(!session->rollbackModel(trainer));  // rolled back in the registry, not loaded
        QCOMPARE(rec::ModelRegistry(db, dermreader::taxonomy::Taxonomy::builtin()).active()->id,
                 first->id);
        QVERIFY(!session->predictions().hasModel());
        QVERIFY(session->modelError().contains("doomed"));
    }

    // A registry that cannot be read says nothing about which model to use: the one in use
    // stays instead of Settings' bundle taking over.
    void anUnreadableRegistryKeepsTheModelInUse() {
        const QString database = dir_.filePath("unreadable.sqlite");
        rec::Database db = rec::openWorkstationDatabase(database.toStdString());
        const rec::User trainer = firstTrainer(db);
        auto session = testdata::makeSession(database);
        const auto b = session->registerModel(trainer, bundleB_);
        QVERIFY(session->activateModel(trainer, b->id));
        QCOMPARE(session->predictions().modelName(), QString("model B"));
        db.exec("ALTER TABLE model_activations RENAME TO model_activations_away");
        QSignalSpy errors(session.get(), &ws::WorkstationSession::errorOccurred);
        ws::WorkstationSettings settings;
        settings.modelBundle = bundleA_;
        session->applySettings(settings);
        QVERIFY(!errors.isEmpty());
        QCOMPARE(session->predictions().modelName(), QString("model B"));
        db.exec("ALTER TABLE model_activations_away RENAME TO model_activations");
        session->applySettings({});
        QCOMPARE(session->predictions().modelName(), QString("model B"));
    }
};

QTEST_GUILESS_MAIN(TestModelSelection)
#include "tst_model_selection.moc"
