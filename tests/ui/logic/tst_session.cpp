// The session without any window: one connection per thread, sign-in and sign-out, audited
// actions whose failures are reported (never thrown into the event loop), no database.
#include <QtTest>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>

#include "TestSession.h"
#include "dermreader/records/Accounts.h"
#include "dermreader/records/Schema.h"
#include "dermreader/workstation/DatabaseConnections.h"
#include "dermreader/workstation/Jobs.h"

namespace ws = dermreader::workstation;
namespace rec = dermreader::records;

class TestSession : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    int databases_ = 0;

    QString newDatabase() { return dir_.filePath(QString("db%1.sqlite").arg(++databases_)); }

  private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        QCoreApplication::setOrganizationName("dermreader-tests-session");
    }

    void oneConnectionPerThread() {
        auto session = testdata::makeSession(newDatabase());
        QVERIFY(session->hasDatabase());
        rec::Database* here = &session->database();
        QCOMPARE(&session->database(), here);  // the same one on the same thread
        rec::Database* there = nullptr;
        std::int64_t accountsThere = -1;
        ws::WorkstationSession* s = session.get();
        ws::Job* job = session->jobs().start("other thread", [&, s](ws::JobContext&) {
            there = &s->database();
            accountsThere = static_cast<std::int64_t>(rec::Accounts(*there).list().size());
        });
        QSignalSpy finished(job, &ws::Job::finished);
        QVERIFY(finished.wait(10000));
        QVERIFY(there != nullptr);
        QVERIFY(there != here);
        QCOMPARE(accountsThere, std::int64_t{0});
        QCOMPARE(there->path(), here->path());
    }

    void signInAndOutAreAudited() {
        auto session = testdata::makeSession(newDatabase());
        QVERIFY(session->needsFirstAccount());
        QString error;
        const auto coordinator =
            session->createFirstCoordinator("head", "coordinator-pass", 10, &error);
        QVERIFY2(coordinator.has_value(), qPrintable(error));
        QVERIFY(!session->needsFirstAccount());
        QVERIFY(!session->signIn("head", "wrong-password", &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(session->signIn("head", "coordinator-pass", &error).has_value());
        QCOMPARE(int(session->signedIn().size()), 1);  // once, however often
        session->signOutEveryone();
        QVERIFY(session->signedIn().empty());
        QStringList actions;
        for (const auto& entry : rec::readAuditLog(session->database()))
            actions << QString::fromStdString(entry.action);
        QVERIFY2(actions.contains("login failed"), qPrintable(actions.join(",")));
        QVERIFY2(actions.contains("sign out"), qPrintable(actions.join(",")));
    }

    void aFailedAuditIsReportedNotThrown() {
        const QString path = newDatabase();
        auto session = testdata::makeSession(path);
        QVERIFY(session->hasDatabase());
        QVERIFY(session->audit(std::nullopt, "works"));
        {
            // Another process makes every audit insert fail.
            rec::Database other = rec::openWorkstationDatabase(path.toStdString());
            other.exec(
                "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'the disk says no'); END;");
        }
        QSignalSpy errors(session.get(), &ws::WorkstationSession::errorOccurred);
        bool returned = false;
        try {
            returned = session->audit(std::nullopt, "fails", "detail");
        } catch (...) {
            QFAIL("audit threw");
        }
        QVERIFY(!returned);
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors.first().at(1).toString().contains("the disk says no"),
                 qPrintable(errors.first().at(1).toString()));
        // perform() is the same channel for any action.
        QVERIFY(!session->perform("Something", [] { throw std::runtime_error("broken"); }));
        QCOMPARE(errors.size(), 2);
        QCOMPARE(errors.last().at(0).toString(), QString("Something"));
    }

    void aJobFailureReachesTheSessionChannel() {
        auto session = testdata::makeSession(newDatabase());
        QSignalSpy errors(session.get(), &ws::WorkstationSession::errorOccurred);
        session->jobs().start("Import", [](ws::JobContext&) { throw std::runtime_error("no"); });
        QVERIFY(errors.wait(10000));
        QCOMPARE(errors.first().at(0).toString(), QString("Import"));
    }

    void withoutADatabase() {
        auto none = testdata::makeSession({});
        QVERIFY(!none->hasDatabase());
        QVERIFY(!none->databaseError().isEmpty());
        QVERIFY_THROWS_EXCEPTION(rec::DatabaseError, none->database());
        QVERIFY(!none->audit(std::nullopt, "nothing to audit into"));
        // A file that is not a database: the error names it.
        const QString bad = dir_.filePath("not-a-database.sqlite");
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(4096, 'x'));
        file.close();
        auto broken = testdata::makeSession(bad);
        QVERIFY(!broken->hasDatabase());
        QVERIFY2(broken->databaseError().contains("not-a-database.sqlite"),
                 qPrintable(broken->databaseError()));
        // No model without one: the reason is given, nothing crashes.
        QVERIFY(!broken->reloadModel());
        QVERIFY(!broken->modelError().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
