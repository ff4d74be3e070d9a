// The SQLite layer: schema versions and migrations, transactions, clear errors for files
// that are not databases, and the append-only audit log.
#include <QtTest>

#include <QTemporaryDir>
#include <fstream>

#include "dermreader/records/Database.h"
#include "dermreader/records/Schema.h"

using namespace dermreader::records;
namespace fs = std::filesystem;

class TestDatabase : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    fs::path file(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

    static std::int64_t count(Database& db, const std::string& table) {
        Statement statement = db.prepare("SELECT count(*) FROM " + table);
        statement.step();
        return statement.integer(0);
    }

  private Q_SLOTS:
    void newFileGetsTheLatestSchema() {
        Database db = openWorkstationDatabase(file("new.sqlite"));
        QCOMPARE(db.schemaVersion(), workstationMigrations().back().version);
        Statement mode = db.prepare("PRAGMA journal_mode");
        QVERIFY(mode.step());
        QCOMPARE(QString::fromStdString(mode.text(0)), QString("wal"));
        QCOMPARE(count(db, "images"), 0);
    }

    void reopeningKeepsData() {
        const fs::path path = file("keep.sqlite");
        {
            Database db = openWorkstationDatabase(path);
            db.prepare("INSERT INTO audit_log(at, user_name, action) VALUES ('t', 'a', 'x')").run();
        }
        Database db = openWorkstationDatabase(path);
        QCOMPARE(count(db, "audit_log"), 1);
    }

    void migrationsApplyInOrderOnce() {
        const std::vector<Migration> v1 = {{1, "one", "CREATE TABLE a(x INTEGER);"}};
        const std::vector<Migration> v2 = {
            v1[0], {2, "two", "ALTER TABLE a ADD COLUMN y TEXT NOT NULL DEFAULT 'new';"}};
        const fs::path path = file("migrate.sqlite");
        {
            Database db = Database::open(path, v1);
            db.exec("INSERT INTO a(x) VALUES (7)");
        }
        Database db = Database::open(path, v2);
        QCOMPARE(db.schemaVersion(), 2);
        Statement row = db.prepare("SELECT x, y FROM a");
        QVERIFY(row.step());
        QCOMPARE(row.integer(0), 7);
        QCOMPARE(QString::fromStdString(row.text(1)), QString("new"));
    }

    void failedMigrationLeavesTheOldSchema() {
        const std::vector<Migration> v1 = {{1, "one", "CREATE TABLE a(x INTEGER);"}};
        const std::vector<Migration> broken = {v1[0], {2, "broken", "CREATE TABLE a(x);"}};
        const fs::path path = file("broken.sqlite");
        { Database::open(path, v1); }
        try {
            Database::open(path, broken);
            QFAIL("a failing migration must throw");
        } catch (const DatabaseError& e) {
            QVERIFY(QString(e.what()).contains("migration 2 (broken)"));
        }
        QCOMPARE(Database::open(path, v1).schemaVersion(), 1);
    }

    void newerSchemaIsRefused() {
        const fs::path path = file("newer.sqlite");
        { Database::open(path, {{1, "one", "CREATE TABLE a(x);"}, {2, "two", "SELECT 1;"}}); }
        try {
            Database::open(path, {{1, "one", "CREATE TABLE a(x);"}});
            QFAIL("a newer schema must be refused");
        } catch (const DatabaseError& e) {
            QVERIFY(QString(e.what()).contains("newer"));
            QVERIFY(QString(e.what()).contains(QString::fromStdString(path.string())));
        }
    }

    void notADatabaseIsAClearError() {
        const fs::path path = file("picture.jpg");
        std::ofstream(path, std::ios::binary) << std::string(4096, '\xff');
        try {
            openWorkstationDatabase(path);
            QFAIL("a non-database file must be refused");
        } catch (const DatabaseError& e) {
            QVERIFY(QString(e.what()).contains("picture.jpg"));
            QVERIFY(QString(e.what()).contains("not a dermreader database"));
        }
    }

    void transactionRollsBackOnException() {
        Database db = openWorkstationDatabase(file("tx.sqlite"));
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, db.transaction([&] {
            db.exec("INSERT INTO audit_log(at, user_name, action) VALUES ('t', 'a', 'x')");
            throw std::runtime_error("stop");
        }));
        QCOMPARE(count(db, "audit_log"), 0);
        // A failing nested step rolls back only itself.
        db.transaction([&] {
            db.exec("INSERT INTO audit_log(at, user_name, action) VALUES ('t', 'a', 'kept')");
            try {
                db.transaction([&] {
                    db.exec("INSERT INTO audit_log(at, user_name, action) VALUES ('t', 'a', 'no')");
                    throw std::runtime_error("inner");
                });
            } catch (const std::runtime_error&) {
            }
        });
        QCOMPARE(count(db, "audit_log"), 1);
    }

    void auditLogIsAppendOnly() {
        Database db = openWorkstationDatabase(file("audit.sqlite"));
        db.exec("INSERT INTO audit_log(at, user_name, action) VALUES ('t', 'a', 'x')");
        QVERIFY_THROWS_EXCEPTION(DatabaseError, db.exec("UPDATE audit_log SET action = 'y'"));
        QVERIFY_THROWS_EXCEPTION(DatabaseError, db.exec("DELETE FROM audit_log"));
        QCOMPARE(count(db, "audit_log"), 1);
    }
};

QTEST_GUILESS_MAIN(TestDatabase)
#include "tst_database.moc"
