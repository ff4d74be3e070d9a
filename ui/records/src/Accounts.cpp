#include "dermreader/records/Accounts.h"

#include <sodium.h>

#include "dermreader/engine/AtomicFile.h"

namespace dermreader::records {

namespace {

constexpr std::size_t kMinPasswordLength = 8;

void initSodium() {
    if (sodium_init() < 0)
        throw std::runtime_error("libsodium cannot be initialised");
}

User readUser(const Statement& row) {
    User user;
    user.id = row.integer(0);
    user.name = row.text(1);
    user.role = parseRole(row.text(2)).value_or(Role::Reader);
    user.experienceYears = static_cast<int>(row.integer(3));
    return user;
}

}  // namespace

std::string_view toString(Role role) {
    switch (role) {
        case Role::Coordinator:
            return "coordinator";
        case Role::Trainer:
            return "trainer";
        default:
            return "reader";
    }
}

std::optional<Role> parseRole(std::string_view text) {
    for (Role role : {Role::Reader, Role::Coordinator, Role::Trainer}) {
        if (toString(role) == text)
            return role;
    }
    return std::nullopt;
}

void requireRole(const User& user, std::initializer_list<Role> roles, std::string_view action) {
    for (Role role : roles) {
        if (user.role == role)
            return;
    }
    throw AccessDenied("'" + user.name + "' (" + std::string(toString(user.role)) + ") may not " +
                       std::string(action));
}

void requireRole(const Database& database, const User& user, std::initializer_list<Role> roles,
                 std::string_view action) {
    // The caller's User is only a claim: the account as the database has it now decides
    // (deactivated since sign-in, role changed, or never signed in at all).
    Statement statement = database.prepare("SELECT name, role, active FROM users WHERE id = ?1");
    statement.bind(1, user.id);
    if (!statement.step() || statement.integer(2) == 0) {
        throw AccessDenied("the account '" + user.name +
                           "' is deactivated or unknown: it may not " + std::string(action));
    }
    User current = user;
    current.name = statement.text(0);
    current.role = parseRole(statement.text(1)).value_or(Role::Reader);
    requireRole(current, roles, action);
}

std::string hashPassword(const std::string& password) {
    initSodium();
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password.data(), password.size(),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        throw std::runtime_error("password hashing ran out of memory");
    }
    return hash;
}

bool verifyPassword(const std::string& hash, const std::string& password) {
    initSodium();
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool Accounts::empty() const {
    Statement statement = database_.prepare("SELECT count(*) FROM users");
    statement.step();
    return statement.integer(0) == 0;
}

User Accounts::create(const std::optional<User>& creator, const std::string& name, Role role,
                      int experienceYears, const std::string& password) {
    if (name.empty() || name.size() > 100)
        throw std::invalid_argument("a user name needs 1 to 100 characters");
    if (password.size() < kMinPasswordLength)
        throw std::invalid_argument("a password needs at least 8 characters");
    if (experienceYears < 0 || experienceYears > 80)
        throw std::invalid_argument("years of experience must be between 0 and 80");
    const std::string hash = hashPassword(password);  // slow: outside the write lock
    User user;
    database_.transaction([&] {
        if (creator) {
            requireRole(database_, *creator, {Role::Coordinator}, "create accounts");
        } else if (!empty()) {
            throw AccessDenied("only a coordinator may create accounts");
        } else if (role != Role::Coordinator) {
            throw AccessDenied("the first account must be a coordinator");
        }
        Statement exists = database_.prepare("SELECT 1 FROM users WHERE name = ?1");
        if (exists.bind(1, name).step())
            throw std::invalid_argument("an account named '" + name + "' exists already");
        database_
            .prepare(
                "INSERT INTO users(name, role, experience_years, password_hash, created_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(1, name)
            .bind(2, toString(role))
            .bind(3, experienceYears)
            .bind(4, hash)
            .bind(5, nowUtc())
            .run();
        user = {database_.lastInsertId(), name, role, experienceYears};
        audit(database_, creator ? creator : std::optional<User>(user), "create account",
              name + " as " + std::string(toString(role)));
    });
    return user;
}

User Accounts::authenticate(const std::string& name, const std::string& password) {
    std::optional<User> user;
    std::string hash;
    {  // finished before anything is written: an open read would pin a snapshot that a
       // concurrent writer (a library import) makes stale, and the audit insert would fail
        Statement statement = database_.prepare(
            "SELECT id, name, role, experience_years, password_hash FROM users "
            "WHERE name = ?1 AND active = 1");
        statement.bind(1, name);
        if (statement.step()) {
            user = readUser(statement);
            hash = statement.text(4);
        }
    }
    bool valid = false;
    if (user) {
        valid = verifyPassword(hash, password);
    } else {
        hashPassword(password);  // the same delay for unknown names: no user enumeration
    }
    // After kLockoutFailures failed logins in kLockoutMinutes, the account refuses even the
    // right password until the window has passed: guessing stays slow.
    if (user && recentFailures(user->id) >= kLockoutFailures) {
        audit(database_, user, "login refused", "account locked after failed logins");
        throw AccessDenied("the account '" + user->name + "' is locked for " +
                           std::to_string(kLockoutMinutes) + " minutes after " +
                           std::to_string(kLockoutFailures) + " failed logins");
    }
    if (!valid) {
        // Only a known account is named: what was typed into the name field may be a password.
        audit(database_, user, "login failed", user ? "wrong password" : "unknown account");
        throw AccessDenied("unknown user name or wrong password");
    }
    audit(database_, user, "login");
    return *user;
}

int Accounts::recentFailures(std::int64_t userId) const {
    // Failures since the last successful login, within the lockout window.
    Statement statement = database_.prepare(
        "SELECT count(*) FROM audit_log WHERE user_id = ?1 AND action = 'login failed' "
        "AND at >= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?2) AND id > coalesce("
        "(SELECT max(id) FROM audit_log WHERE user_id = ?1 AND action = 'login'), 0)");
    statement.bind(1, userId).bind(2, "-" + std::to_string(kLockoutMinutes) + " minutes");
    statement.step();
    return static_cast<int>(statement.integer(0));
}

void Accounts::changePassword(const User& user, const std::string& oldPassword,
                              const std::string& newPassword) {
    authenticate(user.name, oldPassword);
    if (newPassword.size() < kMinPasswordLength)
        throw std::invalid_argument("a password needs at least 8 characters");
    const std::string hash = hashPassword(newPassword);
    database_.transaction([&] {
        database_.prepare("UPDATE users SET password_hash = ?1 WHERE id = ?2")
            .bind(1, hash)
            .bind(2, user.id)
            .run();
        audit(database_, user, "change password");
    });
}

void Accounts::deactivate(const User& coordinator, std::int64_t userId) {
    requireRole(database_, coordinator, {Role::Coordinator}, "deactivate accounts");
    if (userId == coordinator.id)
        throw std::invalid_argument("a coordinator cannot deactivate their own account");
    const auto user = find(userId);
    if (!user)
        throw std::invalid_argument("there is no user " + std::to_string(userId));
    database_.transaction([&] {
        database_.prepare("UPDATE users SET active = 0 WHERE id = ?1").bind(1, userId).run();
        audit(database_, coordinator, "deactivate account", user->name);
    });
}

std::vector<User> Accounts::list() const {
    Statement statement = database_.prepare(
        "SELECT id, name, role, experience_years FROM users WHERE active = 1 ORDER BY name");
    std::vector<User> users;
    while (statement.step())
        users.push_back(readUser(statement));
    return users;
}

std::optional<User> Accounts::find(std::int64_t id) const {
    Statement statement =
        database_.prepare("SELECT id, name, role, experience_years FROM users WHERE id = ?1");
    if (!statement.bind(1, id).step())
        return std::nullopt;
    return readUser(statement);
}

namespace {

constexpr int kAuditChainSchemaVersion = 5;  // the migration that added audit_log.chain

// Each entry's link: SHA-256 over the previous link and every field, so changing, removing or
// inserting an entry anywhere breaks every link after it.
std::string chainLink(const std::string& previous, std::int64_t id, const std::string& at,
                      const std::string& userId, std::string_view userName, std::string_view action,
                      std::string_view detail) {
    initSodium();
    std::string text = previous;
    for (const std::string& field : {std::to_string(id), at, userId, std::string(userName),
                                     std::string(action), std::string(detail)}) {
        text += '\x1f';  // unit separator: fields cannot run into each other
        text += std::to_string(field.size()) + ':' + field;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    return hex;
}

}  // namespace

void audit(Database& database, const std::optional<User>& user, std::string_view action,
           std::string_view detail) {
    // In a write transaction (a savepoint when the caller has one): the previous link read is
    // the last one when this entry is written, whichever connection writes next.
    database.transaction([&] {
        const bool hasChain = database.schemaVersion() >= kAuditChainSchemaVersion;
        Statement last =
            database.prepare(hasChain ? "SELECT id, chain FROM audit_log ORDER BY id DESC LIMIT 1"
                                      : "SELECT id, '' FROM audit_log ORDER BY id DESC LIMIT 1");
        std::int64_t id = 1;
        std::string previous;
        if (last.step()) {
            id = last.integer(0) + 1;
            previous = last.text(1);
        }
        const std::string at = nowUtc();
        // The user id as the chain spells it ("null" for none): the same text on both sides.
        const std::string userId = user ? std::to_string(user->id) : std::string("null");
        const std::string userName = user ? user->name : std::string("-");
        // A database opened at an older version (tests of migrations) has no chain column.
        Statement insert = database.prepare(
            hasChain ? "INSERT INTO audit_log(id, at, user_id, user_name, action, detail, chain) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                     : "INSERT INTO audit_log(id, at, user_id, user_name, action, detail) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        insert.bind(1, id).bind(2, at).bind(4, userName).bind(5, action).bind(6, detail);
        if (user)
            insert.bind(3, user->id);
        else
            insert.bindNull(3);
        if (hasChain)
            insert.bind(7, chainLink(previous, id, at, userId, userName, action, detail));
        insert.run();
    });
}

AuditChainCheck verifyAuditChain(const Database& database) {
    AuditChainCheck check;
    Statement rows = database.prepare(
        "SELECT id, at, user_id, user_name, action, detail, chain FROM audit_log ORDER BY id");
    std::string previous;
    bool chained = false;
    while (rows.step()) {
        const std::string link = rows.text(6);
        if (link.empty() && !chained) {
            ++check.unchained;  // written before the chain existed
            continue;
        }
        chained = true;
        ++check.entries;
        const std::int64_t id = rows.integer(0);
        const auto userId = rows.optionalInteger(2);
        if (link != chainLink(previous, id, rows.text(1),
                              userId ? std::to_string(*userId) : std::string("null"), rows.text(3),
                              rows.text(4), rows.text(5))) {
            check.intact = false;
            check.firstBroken = id;
            return check;
        }
        previous = link;
    }
    return check;
}

namespace {

std::string csvField(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (char c : text)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

}  // namespace

void exportAuditLogCsv(Database& database, const User& coordinator,
                       const std::filesystem::path& file) {
    requireRole(database, coordinator, {Role::Coordinator}, "export the audit log");
    std::string text = "id,at,user_id,user_name,action,detail\n";
    for (const auto& e : readAuditLog(database)) {
        text += std::to_string(e.id) + "," + e.at + "," +
                (e.userId ? std::to_string(*e.userId) : std::string()) + "," +
                csvField(e.userName) + "," + csvField(e.action) + "," + csvField(e.detail) + "\n";
    }
    engine::writeFileAtomically(file, text, engine::FileAccess::OwnerOnly);
    audit(database, coordinator, "export audit log", file.string());
}

std::vector<AuditEntry> readAuditLog(const Database& database, std::int64_t afterId) {
    Statement statement = database.prepare(
        "SELECT id, at, user_id, user_name, action, detail FROM audit_log WHERE id > ?1 "
        "ORDER BY id");
    statement.bind(1, afterId);
    std::vector<AuditEntry> entries;
    while (statement.step()) {
        entries.push_back({statement.integer(0), statement.text(1), statement.optionalInteger(2),
                           statement.text(3), statement.text(4), statement.text(5)});
    }
    return entries;
}

void backupDatabase(Database& database, const User& coordinator,
                    const std::filesystem::path& file) {
    requireRole(database, coordinator, {Role::Coordinator}, "back up the database");
    database.backupTo(file);
    audit(database, coordinator, "back up database", file.string());
}

}  // namespace dermreader::records
