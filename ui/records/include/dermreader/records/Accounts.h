#pragma once
// User accounts and the audit log. Passwords are kept only as libsodium's crypto_pwhash_str
// (Argon2id, salted, deliberately slow); every action that changes what the workstation
// records is appended to the audit log, which the schema makes append-only.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dermreader/records/Database.h"

namespace dermreader::records {

enum class Role { Reader, Coordinator, Trainer };
std::string_view toString(Role role);
std::optional<Role> parseRole(std::string_view text);

struct User {
    std::int64_t id = 0;
    std::string name;
    Role role = Role::Reader;
    int experienceYears = 0;
};

// An action the user's role does not allow, or a login that failed. The message says which.
class AccessDenied : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Throws AccessDenied unless `user` has one of `roles`; `action` names what was refused.
void requireRole(const User& user, std::initializer_list<Role> roles, std::string_view action);
// The same, against the account as the database holds it now: a deactivated account, a
// changed role or an id no account has is refused, whatever the caller's User says.
void requireRole(const Database& database, const User& user, std::initializer_list<Role> roles,
                 std::string_view action);

class Accounts {
  public:
    explicit Accounts(Database& database) : database_(database) {}

    bool empty() const;
    // The first account must be a coordinator and needs no creator; later accounts are
    // created by a coordinator. Names are unique (case-insensitive); passwords need at least
    // 8 characters.
    User create(const std::optional<User>& creator, const std::string& name, Role role,
                int experienceYears, const std::string& password);
    // The user, or AccessDenied (the same message for an unknown name and a wrong password).
    // Both outcomes are audited (a failure names only an existing account, never what was
    // typed); kLockoutFailures failures in kLockoutMinutes lock the account for that long.
    User authenticate(const std::string& name, const std::string& password);
    static constexpr int kLockoutFailures = 5;
    static constexpr int kLockoutMinutes = 15;
    void changePassword(const User& user, const std::string& oldPassword,
                        const std::string& newPassword);
    // Coordinator only, not oneself: the account can no longer log in; what it recorded stays.
    void deactivate(const User& coordinator, std::int64_t userId);
    std::vector<User> list() const;  // active accounts
    std::optional<User> find(std::int64_t id) const;

  private:
    int recentFailures(std::int64_t userId) const;
    Database& database_;
};

// Salted slow hash (crypto_pwhash_str, interactive limits) and its check.
std::string hashPassword(const std::string& password);
bool verifyPassword(const std::string& hash, const std::string& password);

struct AuditEntry {
    std::int64_t id = 0;
    std::string at;
    std::optional<std::int64_t> userId;
    std::string userName;
    std::string action;
    std::string detail;
};

// Appends to the audit log (inside the caller's transaction when there is one, so the
// action and its record commit together).
void audit(Database& database, const std::optional<User>& user, std::string_view action,
           std::string_view detail = {});
std::vector<AuditEntry> readAuditLog(const Database& database, std::int64_t afterId = 0);

// Whether the audit log's hash chain holds: every chained entry's link recomputed from its
// fields and the link before. Entries written before the chain existed are counted apart.
struct AuditChainCheck {
    bool intact = true;
    int entries = 0;    // chained entries checked
    int unchained = 0;  // older entries, before the chain
    std::optional<std::int64_t> firstBroken;
};
AuditChainCheck verifyAuditChain(const Database& database);

// Coordinator only, audited: a consistent copy of the whole database (0600).
void backupDatabase(Database& database, const User& coordinator, const std::filesystem::path& file);
// Coordinator only: the whole log as CSV (written whole or not at all); the export is audited.
void exportAuditLogCsv(Database& database, const User& coordinator,
                       const std::filesystem::path& file);

}  // namespace dermreader::records
