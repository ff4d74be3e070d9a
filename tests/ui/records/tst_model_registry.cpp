// The model registry: register bundles with their cards, activate, refuse a model of another
// taxonomy, roll back; trainers and coordinators only; everything audited.
#include <QtTest>

#include <QTemporaryDir>

#include "TestModels.h"
#include "dermreader/engine/ModelManifest.h"
#include "dermreader/records/ModelRegistry.h"
#include "dermreader/records/Schema.h"

using namespace dermreader::records;
namespace eng = dermreader::engine;
namespace fs = std::filesystem;

namespace {

const dermreader::taxonomy::Taxonomy& taxonomy() {
    return dermreader::taxonomy::Taxonomy::builtin();
}

// A bundle's manifest is all the registry reads.
fs::path writeBundle(const fs::path& dir, const std::string& name, const std::string& digest) {
    eng::ModelManifest m = testdata::testManifest(name, {"nevus", "melanoma"}, 10);
    m.description = "test model " + name;
    m.created = eng::utcTimestamp();
    m.taxonomyDigest = digest;
    m.metricsJson = R"({"melanocytic_auc": 0.8})";
    fs::create_directories(dir / name);
    eng::writeManifest(m, dir / name);
    return dir / name;
}

}  // namespace

class TestModelRegistry : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void registerActivateRollBack() {
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        Database db = openWorkstationDatabase(dir / "registry.sqlite");
        Accounts accounts(db);
        const User coordinator =
            accounts.create(std::nullopt, "coord", Role::Coordinator, 9, "coord-pass");
        const User trainer =
            accounts.create(coordinator, "trainer", Role::Trainer, 3, "train-pass");
        const User reader = accounts.create(coordinator, "reader", Role::Reader, 3, "read-pass");
        ModelRegistry registry(db, taxonomy());
        QVERIFY(!registry.active());

        const auto first =
            registry.registerBundle(trainer, writeBundle(dir, "first", taxonomy().digest()));
        const auto second =
            registry.registerBundle(trainer, writeBundle(dir, "second", taxonomy().digest()));
        const auto foreign =
            registry.registerBundle(trainer, writeBundle(dir, "foreign", "0123456789abcdef"));
        QCOMPARE(int(registry.list().size()), 3);
        QCOMPARE(QString::fromStdString(first.metricsJson), QString(R"({"melanocytic_auc":0.8})"));
        QVERIFY_THROWS_EXCEPTION(AccessDenied, registry.registerBundle(reader, dir / "first"));
        QVERIFY_THROWS_EXCEPTION(AccessDenied, registry.activate(reader, first.id));

        registry.activate(trainer, first.id);
        QCOMPARE(registry.active()->id, first.id);
        try {
            registry.activate(trainer, foreign.id);
            QFAIL("a model of another taxonomy must not be activated");
        } catch (const std::invalid_argument& e) {
            QVERIFY2(QString(e.what()).contains("another taxonomy"), e.what());
        }
        QCOMPARE(registry.active()->id, first.id);
        registry.activate(coordinator, second.id);
        QCOMPARE(registry.active()->id, second.id);
        QVERIFY(registry.rollback(trainer));
        QCOMPARE(registry.active()->id, first.id);
        QVERIFY(registry.rollback(trainer));  // and forth again
        QCOMPARE(registry.active()->id, second.id);

        // Registering again refreshes the card; a vanished bundle cannot be activated.
        fs::remove_all(dir / "first");
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, registry.activate(trainer, first.id));
        QVERIFY_THROWS_EXCEPTION(eng::ModelError, registry.registerBundle(trainer, dir / "first"));

        QStringList actions;
        for (const auto& entry : readAuditLog(db))
            actions << QString::fromStdString(entry.action);
        QCOMPARE(actions.count("register model"), 3);
        QCOMPARE(actions.count("activate model"), 4);
        QCOMPARE(actions.count("roll back model"), 2);
    }
};

QTEST_GUILESS_MAIN(TestModelRegistry)
#include "tst_model_registry.moc"
