#include "dermreader/records/Database.h"

#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace dermreader::records {

namespace {
constexpr int kBusyTimeoutMs = 10000;
}

// --- Statement ---------------------------------------------------------------------------

Statement::Statement(const Database& database, sqlite3_stmt* statement)
    : database_(&database), statement_(statement) {}

Statement::Statement(Statement&& other) noexcept
    : database_(other.database_), statement_(other.statement_) {
    other.statement_ = nullptr;
}

Statement::~Statement() {
    if (statement_)
        sqlite3_finalize(statement_);
}

void Statement::fail(const char* what) const {
    const char* sql = sqlite3_sql(statement_);
    database_->fail(std::string(what) + " (" + (sql ? sql : "?") + ")");
}

Statement& Statement::bind(int index, std::int64_t value) {
    if (sqlite3_bind_int64(statement_, index, value) != SQLITE_OK)
        fail("cannot bind an integer");
    return *this;
}

Statement& Statement::bind(int index, double value) {
    if (sqlite3_bind_double(statement_, index, value) != SQLITE_OK)
        fail("cannot bind a number");
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    // An empty view may hold no pointer, which SQLite would store as NULL.
    const char* text = value.data() ? value.data() : "";
    if (sqlite3_bind_text(statement_, index, text, static_cast<int>(value.size()),
                          SQLITE_TRANSIENT) != SQLITE_OK)
        fail("cannot bind a text");
    return *this;
}

Statement& Statement::bindNull(int index) {
    if (sqlite3_bind_null(statement_, index) != SQLITE_OK)
        fail("cannot bind null");
    return *this;
}

bool Statement::step() {
    const int status = sqlite3_step(statement_);
    if (status == SQLITE_ROW)
        return true;
    if (status == SQLITE_DONE)
        return false;
    fail("statement failed");
}

void Statement::run() {
    while (step()) {
    }
    reset();
}

void Statement::reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::int64_t Statement::integer(int column) const {
    return sqlite3_column_int64(statement_, column);
}

double Statement::real(int column) const {
    return sqlite3_column_double(statement_, column);
}

std::string Statement::text(int column) const {
    const auto* data = sqlite3_column_text(statement_, column);
    return data ? std::string(reinterpret_cast<const char*>(data),
                              static_cast<std::size_t>(sqlite3_column_bytes(statement_, column)))
                : std::string();
}

std::optional<std::string> Statement::optionalText(int column) const {
    return isNull(column) ? std::nullopt : std::optional<std::string>(text(column));
}
std::optional<double> Statement::optionalReal(int column) const {
    return isNull(column) ? std::nullopt : std::optional<double>(real(column));
}
std::optional<std::int64_t> Statement::optionalInteger(int column) const {
    return isNull(column) ? std::nullopt : std::optional<std::int64_t>(integer(column));
}

// --- Database ----------------------------------------------------------------------------

Database::Database(std::filesystem::path path) : path_(std::move(path)) {}

Database::Database(Database&& other) noexcept
    : path_(std::move(other.path_)),
      handle_(other.handle_),
      transactionDepth_(other.transactionDepth_) {
    other.handle_ = nullptr;
}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        if (handle_)
            sqlite3_close_v2(handle_);
        path_ = std::move(other.path_);
        handle_ = other.handle_;
        transactionDepth_ = other.transactionDepth_;
        other.handle_ = nullptr;
    }
    return *this;
}

Database::~Database() {
    if (handle_)
        sqlite3_close_v2(handle_);
}

void Database::fail(const std::string& what) const {
    std::string message = "database '" + path_.string() + "': " + what;
    if (handle_ && sqlite3_errcode(handle_) != SQLITE_OK)
        message += ": " + std::string(sqlite3_errmsg(handle_));
    throw DatabaseError(message);
}

namespace {

void createOwnerOnly(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        ::close(fd);  // EEXIST: an existing file keeps its mode
}

}  // namespace

Database Database::open(const std::filesystem::path& path,
                        const std::vector<Migration>& migrations) {
    Database database(path);
    if (path.has_parent_path()) {
        std::error_code ignored;
        std::filesystem::create_directories(path.parent_path(), ignored);
    }
    // It holds ground truth, password hashes and patient names: a new file is its owner's
    // only (SQLite gives its -wal and -shm files the same mode).
    createOwnerOnly(path);
    const int status = sqlite3_open_v2(
        path.c_str(), &database.handle_,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
    if (status != SQLITE_OK)
        database.fail("cannot be opened");
    sqlite3_extended_result_codes(database.handle_, 1);
    sqlite3_busy_timeout(database.handle_, kBusyTimeoutMs);
    // Not a database at all (a JPEG, a text file) shows here, on the first read.
    try {
        database.exec("PRAGMA journal_mode=WAL");
    } catch (const DatabaseError& error) {
        throw DatabaseError("database '" + path.string() +
                            "' is not a dermreader database or is damaged (" + error.what() + ")");
    }
    database.exec("PRAGMA synchronous=FULL");
    database.exec("PRAGMA foreign_keys=ON");
    // INSERT OR REPLACE deletes the conflicting row: with this on, the delete triggers that
    // keep the audit log and decisions final fire for it too.
    database.exec("PRAGMA recursive_triggers=ON");
    database.checkIntegrity();
    database.migrate(migrations);
    return database;
}

int Database::schemaVersion() const {
    Statement statement = prepare("PRAGMA user_version");
    statement.step();
    return static_cast<int>(statement.integer(0));
}

void Database::checkIntegrity() const {
    std::string problems;
    try {
        Statement check = prepare("PRAGMA quick_check(5)");
        while (check.step()) {
            const std::string line = check.text(0);
            if (line != "ok")
                problems += (problems.empty() ? "" : "; ") + line;
        }
    } catch (const DatabaseError& e) {  // too damaged for the check itself to run
        problems = e.what();
    }
    if (!problems.empty())
        throw DatabaseError("database '" + path_.string() +
                            "' is damaged (SQLite quick_check: " + problems +
                            "); restore a backup (*.before-v*, or one made from Reader studies)");
}

void Database::backupTo(const std::filesystem::path& file) const {
    createOwnerOnly(file);
    sqlite3* destination = nullptr;
    if (sqlite3_open_v2(file.c_str(), &destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
        const std::string message = destination ? sqlite3_errmsg(destination) : "out of memory";
        sqlite3_close(destination);
        throw DatabaseError("cannot back up to '" + file.string() + "': " + message);
    }
    sqlite3_backup* backup = sqlite3_backup_init(destination, "main", handle_, "main");
    int status = backup ? SQLITE_OK : sqlite3_errcode(destination);
    if (backup) {
        do {
            status = sqlite3_backup_step(backup, 256);
            if (status == SQLITE_BUSY || status == SQLITE_LOCKED)
                sqlite3_sleep(20);
        } while (status == SQLITE_OK || status == SQLITE_BUSY || status == SQLITE_LOCKED);
        sqlite3_backup_finish(backup);
    }
    const std::string message = sqlite3_errmsg(destination);
    sqlite3_close(destination);
    if (status != SQLITE_DONE)
        throw DatabaseError("cannot back up '" + path_.string() + "' to '" + file.string() +
                            "': " + message);
}

void Database::migrate(const std::vector<Migration>& migrations) {
    const int latest = migrations.empty() ? 0 : migrations.back().version;
    // A database that a migration is about to change is copied first: a failed or unwanted
    // upgrade can be undone by hand.
    const int before = schemaVersion();
    if (before > 0 && before < latest)
        backupTo(path_.string() + ".before-v" + std::to_string(latest));
    // Read and upgrade under the write lock, so two processes opening a new file at once
    // cannot both apply the same migration.
    transaction([&] {
        const int current = schemaVersion();
        if (current > latest) {
            fail("has schema version " + std::to_string(current) + ", newer than this program's " +
                 std::to_string(latest) + "; use a newer dermreader");
        }
        for (const Migration& migration : migrations) {
            if (migration.version <= current)
                continue;
            try {
                exec(migration.sql);
            } catch (const DatabaseError& error) {
                fail("migration " + std::to_string(migration.version) + " (" +
                     std::string(migration.description) + ") failed: " + error.what());
            }
            exec("PRAGMA user_version=" + std::to_string(migration.version));
        }
    });
}

void Database::exec(std::string_view sql) {
    char* error = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(handle_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        throw DatabaseError("database '" + path_.string() + "': " + message);
    }
}

Statement Database::prepare(std::string_view sql) const {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(handle_, sql.data(), static_cast<int>(sql.size()), &statement,
                           nullptr) != SQLITE_OK) {
        fail("cannot prepare '" + std::string(sql) + "'");
    }
    return Statement(*this, statement);
}

std::int64_t Database::lastInsertId() const {
    return sqlite3_last_insert_rowid(handle_);
}

int Database::changes() const {
    return sqlite3_changes(handle_);
}

void Database::transaction(const std::function<void()>& work) {
    // Nested calls become savepoints, so helpers can be transactional on their own.
    const bool outer = transactionDepth_ == 0;
    const std::string savepoint = "nested" + std::to_string(transactionDepth_);
    exec(outer ? "BEGIN IMMEDIATE" : "SAVEPOINT " + savepoint);
    ++transactionDepth_;
    try {
        work();
    } catch (...) {
        --transactionDepth_;
        try {
            exec(outer ? "ROLLBACK" : "ROLLBACK TO " + savepoint + "; RELEASE " + savepoint);
        } catch (const DatabaseError&) {  // the original error matters more
        }
        throw;
    }
    --transactionDepth_;
    exec(outer ? "COMMIT" : "RELEASE " + savepoint);
}

std::string nowUtc() {
    using namespace std::chrono;
    const auto now = system_clock::now();
    const std::time_t seconds = system_clock::to_time_t(now);
    const auto millis = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    char result[40];
    std::snprintf(result, sizeof result, "%s.%03dZ", text, static_cast<int>(millis));
    return result;
}

}  // namespace dermreader::records
