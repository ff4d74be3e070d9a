// Accounts: the first coordinator, roles, unique names, slow salted hashes, audited logins.
#include <QtTest>

#include <QTemporaryDir>
#include <filesystem>

#include "dermreader/records/Accounts.h"
#include "dermreader/records/Schema.h"

using namespace dermreader::records;

class TestAccounts : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

  private Q_SLOTS:
    void rolesAndPasswords() {
        Database db = openWorkstationDatabase(dir_.filePath("accounts.sqlite").toStdString());
        Accounts accounts(db);
        QVERIFY(accounts.empty());
        QVERIFY_THROWS_EXCEPTION(
            AccessDenied, accounts.create(std::nullopt, "first", Role::Reader, 1, "password1"));
        const User boss = accounts.create(std::nullopt, "Coord", Role::Coordinator, 20, "secret-1");
        QVERIFY(!accounts.empty());
        // Only a coordinator creates further accounts.
        QVERIFY_THROWS_EXCEPTION(AccessDenied,
                                 accounts.create(std::nullopt, "x", Role::Reader, 1, "password1"));
        const User reader = accounts.create(boss, "Dr Reader", Role::Reader, 7, "reader-pw");
        QVERIFY_THROWS_EXCEPTION(AccessDenied,
                                 accounts.create(reader, "y", Role::Reader, 1, "password1"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 accounts.create(boss, "dr reader", Role::Reader, 1, "password1"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 accounts.create(boss, "short", Role::Reader, 1, "1234567"));

        // The password is stored only as an Argon2id hash.
        Statement stored = db.prepare("SELECT password_hash FROM users WHERE id = ?1");
        QVERIFY(stored.bind(1, reader.id).step());
        const QString hash = QString::fromStdString(stored.text(0));
        QVERIFY2(hash.startsWith("$argon2id$"), qPrintable(hash));
        QVERIFY(!hash.contains("reader-pw"));

        const User again = accounts.authenticate("Dr Reader", "reader-pw");
        QCOMPARE(again.id, reader.id);
        QCOMPARE(again.experienceYears, 7);
        QVERIFY_THROWS_EXCEPTION(AccessDenied, accounts.authenticate("Dr Reader", "wrong-pw"));
        QVERIFY_THROWS_EXCEPTION(AccessDenied, accounts.authenticate("nobody", "reader-pw"));
        accounts.changePassword(reader, "reader-pw", "new-password");
        QVERIFY_THROWS_EXCEPTION(AccessDenied, accounts.authenticate("Dr Reader", "reader-pw"));
        QCOMPARE(accounts.authenticate("Dr Reader", "new-password").id, reader.id);
        QCOMPARE(int(accounts.list().size()), 2);

        // A deactivated account cannot log in; only coordinators deactivate, never themselves.
        const User other = accounts.create(boss, "leaving", Role::Reader, 2, "leaving-pw");
        QVERIFY_THROWS_EXCEPTION(AccessDenied, accounts.deactivate(reader, other.id));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, accounts.deactivate(boss, boss.id));
        accounts.deactivate(boss, other.id);
        QVERIFY_THROWS_EXCEPTION(AccessDenied, accounts.authenticate("leaving", "leaving-pw"));
        QCOMPARE(int(accounts.list().size()), 2);

        // Everything above is in the audit log, failures included.
        QStringList actions;
        for (const auto& entry : readAuditLog(db))
            actions << QString::fromStdString(entry.action);
        QCOMPARE(actions.count("create account"), 3);
        QCOMPARE(actions.count("login failed"), 4);
        QVERIFY(actions.contains("change password"));
        QVERIFY(actions.contains("deactivate account"));

        // The export: a coordinator's, every entry, fields with commas quoted.
        audit(db, boss, "note", "a, \"quoted\" detail");
        const auto file = dir_.filePath("audit.csv").toStdString();
        QVERIFY_THROWS_EXCEPTION(AccessDenied, exportAuditLogCsv(db, reader, file));
        exportAuditLogCsv(db, boss, file);
        QFile csv(QString::fromStdString(file));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.front(), QString("id,at,user_id,user_name,action,detail"));
        QCOMPARE(lines.size(),
                 1 + int(readAuditLog(db).size()) - 1);  // the export's own entry follows it
        QVERIFY(lines.last().endsWith(",Coord,note,\"a, \"\"quoted\"\" detail\""));
        // Exports hold truth and names: their owner's only.
        QCOMPARE(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
                 std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }

    // Issue 14.10: a password typed into the name field never reaches the audit log, and
    // guessing locks the account.
    void failedLoginsNameNoOneAndLockTheAccount() {
        Database db = openWorkstationDatabase(dir_.filePath("logins.sqlite").toStdString());
        Accounts accounts(db);
        const User boss = accounts.create(std::nullopt, "Coord", Role::Coordinator, 20, "secret-1");
        QVERIFY_THROWS_EXCEPTION(AccessDenied,
                                 accounts.authenticate("my-real-password-42", "whatever"));
        for (const auto& entry : readAuditLog(db)) {
            QVERIFY(entry.detail.find("my-real-password") == std::string::npos);
            QVERIFY(entry.userName.find("my-real-password") == std::string::npos);
        }
        for (int i = 0; i < Accounts::kLockoutFailures; ++i)
            QVERIFY_THROWS_EXCEPTION(AccessDenied, accounts.authenticate("Coord", "wrong guess"));
        QString error;
        try {
            accounts.authenticate("Coord", "secret-1");  // right, but too late
        } catch (const AccessDenied& e) {
            error = QString::fromUtf8(e.what());
        }
        QVERIFY2(error.contains("locked"), qPrintable(error));
        // Fewer failures than the limit, then the right password: fine.
        const User other = accounts.create(boss, "Other", Role::Reader, 1, "other-pass");
        for (int i = 0; i + 1 < Accounts::kLockoutFailures; ++i)
            QVERIFY_THROWS_EXCEPTION(AccessDenied, accounts.authenticate("Other", "nope"));
        QCOMPARE(accounts.authenticate("Other", "other-pass").id, other.id);
    }
};

QTEST_GUILESS_MAIN(TestAccounts)
#include "tst_accounts.moc"
