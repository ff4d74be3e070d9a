#pragma once
// A small RAII layer over SQLite for what the workstation records (image library, accounts,
// reader studies, audit log). Every database is opened in WAL mode with synchronous=FULL, so a
// committed transaction survives a killed process or a power cut, and with a busy timeout,
// so several processes can share one file.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace dermreader::records {

// Any database problem; the message names the database file and what went wrong.
class DatabaseError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Database;

// A prepared statement. Parameters are 1-based like SQLite's; columns are 0-based.
class Statement {
  public:
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const std::string& value) {
        return bind(index, std::string_view(value));
    }
    Statement& bindNull(int index);
    template <typename T>
    Statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bindNull(index);
    }

    // Advances to the next row; false when done. Throws DatabaseError on failure.
    bool step();
    // Runs a statement that returns no rows.
    void run();
    void reset();

    bool isNull(int column) const;
    std::int64_t integer(int column) const;
    double real(int column) const;
    std::string text(int column) const;
    std::optional<std::string> optionalText(int column) const;
    std::optional<double> optionalReal(int column) const;
    std::optional<std::int64_t> optionalInteger(int column) const;

  private:
    friend class Database;
    Statement(const Database& database, sqlite3_stmt* statement);
    [[noreturn]] void fail(const char* what) const;

    const Database* database_;
    sqlite3_stmt* statement_;
};

// One step of the schema: applied once, in order, inside a transaction.
struct Migration {
    int version;
    std::string_view description;
    std::string_view sql;
};

class Database {
  public:
    // Opens (creating if needed, readable by its owner only) and brings the schema up to the
    // last migration, after a backup beside it ("<file>.before-v<N>"). Refuses a database
    // written by a newer program (a higher schema version) rather than guess, and one that
    // fails SQLite's quick_check (a damaged page) with the damage named.
    static Database open(const std::filesystem::path& path,
                         const std::vector<Migration>& migrations);
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    ~Database();

    const std::filesystem::path& path() const { return path_; }
    int schemaVersion() const;

    void exec(std::string_view sql);
    Statement prepare(std::string_view sql) const;
    std::int64_t lastInsertId() const;
    int changes() const;

    // Runs `work` in a write transaction (BEGIN IMMEDIATE: takes the write lock up front, so
    // two writers wait for each other instead of failing half-way). Commits when `work`
    // returns, rolls back and rethrows when it throws.
    void transaction(const std::function<void()>& work);

    // A consistent copy of the whole database (SQLite's online backup), created 0600; it is
    // safe while other connections read and write.
    void backupTo(const std::filesystem::path& file) const;

    [[noreturn]] void fail(const std::string& what) const;

  private:
    explicit Database(std::filesystem::path path);
    void migrate(const std::vector<Migration>& migrations);
    void checkIntegrity() const;

    std::filesystem::path path_;
    sqlite3* handle_ = nullptr;
    int transactionDepth_ = 0;
};

// Now as ISO 8601 UTC with milliseconds, the timestamp format of every table.
std::string nowUtc();

}  // namespace dermreader::records
