// Accounts: the first coordinator, roles, unique names, slow salted hashes, audited logins.
#include <QtTest>

#include <QTemporaryDir>

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

        // Everything above is in the audit log, failures included.
        QStringList actions;
        for (const auto& entry : readAuditLog(db))
            actions << QString::fromStdString(entry.action);
        QCOMPARE(actions.count("create account"), 2);
        QCOMPARE(actions.count("login failed"), 3);
        QVERIFY(actions.contains("change password"));
    }
};

QTEST_GUILESS_MAIN(TestAccounts)
#include "tst_accounts.moc"
